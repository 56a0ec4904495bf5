import type { Clock, Logger } from '../../actors/ports/index.ts';
import type { ObjectStore } from '../../actors/ports/object-store.ts';
import { ConfigError } from '../../protocol/index.ts';
import type { Config } from '../config/index.ts';
import { parseS3Endpoint } from '../config/index.ts';
import { systemClock } from '../observability/index.ts';
import { FilesystemObjectStore } from './filesystem-object-store.ts';
import { MinioObjectStore } from './minio-object-store.ts';

/**
 * Top-level key prefixes of the embedded default, which stands for the bucket in STREAMFORGE_DATA_DIR
 * itself (so models land in `data/models/<id>/`, as in the bucket): any other key is refused, so no
 * object can overwrite the embedded bus or store beside them.
 */
export const OBJECT_KEY_ROOTS = ['models', 'checkpoints'] as const;

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
 * when set, else files under `STREAMFORGE_DATA_DIR` (`models/<id>/…`, `checkpoints/…`).
 */
export function createObjectStore(config: ObjectStoreConfig, options: CreateObjectStoreOptions = {}): ObjectStore {
  if (config.MINIO_ENDPOINT === undefined) return new FilesystemObjectStore(config.STREAMFORGE_DATA_DIR, { topLevel: OBJECT_KEY_ROOTS });
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
