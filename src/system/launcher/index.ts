export * from './in-process-launcher.ts';
export * from './process-launcher.ts';
export * from './kubernetes-launcher.ts';
export { jobManifest, assignmentEnv, JobLabels, JobAnnotations, DEFAULT_JOB_SETTINGS, DEFAULT_SECRET_ENV, DEFAULT_TRAINER_JOB_SETTINGS, DEFAULT_LOADER_JOB_SETTINGS, DEFAULT_CONNECTOR_JOB_SETTINGS, stageKafkaUser, stageResources, stageSecretEnv } from './job-manifest.ts';
export type { JobSettings, JobResources, RoleJobSettings, SecretKeyRef } from './job-manifest.ts';
export { jobName, labelValue, isDns1123Label, isLabelValue } from './job-names.ts';
export { resolveJobSettings } from './job-settings.ts';
export * from './pooled-connector-launcher.ts';
