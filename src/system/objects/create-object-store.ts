import { join } from 'node:path';
import type { Clock, Logger } from '../../actors/ports/index.ts';
import type { ObjectStore } from '../../actors/ports/object-store.ts';
import { ConfigError } from '../../protocol/index.ts';
import type { Config } from '../config/index.ts';
import { parseS3Endpoint } from '../config/index.ts';
import { systemClock } from '../observability/index.ts';
import { FilesystemObjectStore } from './filesystem-object-store.ts';
import { MinioObjectStore } from './minio-object-store.ts';

/** The directory under STREAMFORGE_DATA_DIR that stands for the bucket when no S3 server is configured. */
export const MODELS_DIR = 'models';

type ObjectStoreConfig = Pick<
  Config,
  'STREAMFORGE_DATA_DIR' | 'MINIO_ENDPOINT' | 'MINIO_ACCESS_KEY' | 'MINIO_SECRET_KEY' | 'MINIO_BUCKET_NAME' | 'MINIO_SECURE' | 'MINIO_REGION' | 'MINIO_MAX_ATTEMPTS' | 'MINIO_TIMEOUT_MS'
>;

export interface CreateObjectStoreOptions {
  /** @defaultValue the system clock */
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/**
 * Where models live for this configuration: the S3 bucket `MINIO_BUCKET_NAME` at `MINIO_ENDPOINT`
 * when set, else files under `STREAMFORGE_DATA_DIR/models/`.
 */
export function createObjectStore(config: ObjectStoreConfig, options: CreateObjectStoreOptions = {}): ObjectStore {
  if (config.MINIO_ENDPOINT === undefined) return new FilesystemObjectStore(join(config.STREAMFORGE_DATA_DIR, MODELS_DIR));
  const endpoint = parseS3Endpoint(config.MINIO_ENDPOINT, config.MINIO_SECURE);
  if (typeof endpoint === 'string') throw new ConfigError(`invalid MINIO_ENDPOINT: ${endpoint}`);
  if (config.MINIO_ACCESS_KEY === undefined || config.MINIO_SECRET_KEY === undefined) {
    throw new ConfigError('MINIO_ACCESS_KEY and MINIO_SECRET_KEY are required with MINIO_ENDPOINT');
  }
  return new MinioObjectStore({
    endpoint,
    accessKey: config.MINIO_ACCESS_KEY,
    secretKey: config.MINIO_SECRET_KEY,
    bucket: config.MINIO_BUCKET_NAME,
    region: config.MINIO_REGION,
    clock: options.clock ?? systemClock,
    maxAttempts: config.MINIO_MAX_ATTEMPTS,
    timeoutMs: config.MINIO_TIMEOUT_MS,
    ...(options.logger !== undefined ? { logger: options.logger.child({ component: 'object-store' }) } : {}),
  });
}
