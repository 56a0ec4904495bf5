export * from './create-object-store.ts';
export * from './filesystem-object-store.ts';
export * from './minio-object-store.ts';
export { assertObjectKey, assertObjectPrefix, MAX_KEY_LENGTH, MAX_SEGMENT_LENGTH } from './object-key.ts';
export { classifyS3Error, objectStoreErrorFrom, S3Failures } from './classify-s3-error.ts';
export type { S3CallContext, S3ErrorClass, S3Failure } from './classify-s3-error.ts';
