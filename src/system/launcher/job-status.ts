import type { V1ContainerStatus, V1Job, V1Pod } from '@kubernetes/client-node';

/** What a Job's status says about its stage. */
export type JobState =
  | { readonly kind: 'running' }
  | { readonly kind: 'complete' }
  | { readonly kind: 'failed'; readonly reason: string; readonly message: string };

/** What one pod's status says: `disrupted` pods are replaced by the Job (podFailurePolicy Ignore). */
export type PodState =
  | { readonly kind: 'ok' }
  | { readonly kind: 'disrupted' }
  | { readonly kind: 'failed'; readonly reason: string; readonly message: string }
  | { readonly kind: 'stuck'; readonly reason: string; readonly message: string; readonly fatal: boolean };

/** Waiting reasons that do not clear on their own: after a grace period the stage is failed and relaunched. */
const STUCK_REASONS = new Set(['ImagePullBackOff', 'ErrImagePull', 'CreateContainerConfigError', 'CreateContainerError', 'CrashLoopBackOff', 'RunContainerError']);
/** Waiting reasons no amount of waiting fixes. */
const FATAL_REASONS = new Set(['InvalidImageName', 'ErrImageNeverPull']);

/** Reads the Job's conditions; `FailureTarget`/`SuccessCriteriaMet` (Kubernetes ≥ 1.31) come before `Failed`/`Complete`. */
export function jobState(job: V1Job): JobState {
  const conditions = job.status?.conditions ?? [];
  const holds = (type: string) => conditions.find((c) => c.type === type && c.status === 'True');
  const failed = holds('Failed') ?? holds('FailureTarget');
  if (failed) return { kind: 'failed', reason: failed.reason ?? failed.type, message: failed.message ?? '' };
  if (holds('Complete') ?? holds('SuccessCriteriaMet')) return { kind: 'complete' };
  return { kind: 'running' };
}

export function podState(pod: V1Pod): PodState {
  const status = pod.status;
  if (!status) return { kind: 'ok' };
  if (status.conditions?.some((c) => c.type === 'DisruptionTarget' && c.status === 'True')) return { kind: 'disrupted' };
  const containers: V1ContainerStatus[] = [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])];
  if (status.phase === 'Failed') {
    const terminated = containers.map((c) => c.state?.terminated).find((t) => t !== undefined && t.exitCode !== 0);
    if (terminated) {
      return { kind: 'failed', reason: terminated.reason ?? 'Error', message: `exit code ${terminated.exitCode}${terminated.message ? `: ${terminated.message}` : ''}` };
    }
    return { kind: 'failed', reason: status.reason ?? 'Failed', message: status.message ?? '' };
  }
  for (const c of containers) {
    const waiting = c.state?.waiting;
    if (!waiting?.reason) continue;
    const fatal = FATAL_REASONS.has(waiting.reason);
    if (fatal || STUCK_REASONS.has(waiting.reason)) return { kind: 'stuck', reason: waiting.reason, message: waiting.message ?? '', fatal };
  }
  return { kind: 'ok' };
}
