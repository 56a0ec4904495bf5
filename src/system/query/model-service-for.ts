import type { Logger, Store } from '../../actors/index.ts';
import type { Config } from '../config/index.ts';
import { ModelService } from './model-service.ts';

type ModelServiceConfig = Pick<
  Config,
  'TF_BACKEND' | 'STREAMFORGE_DATA_DIR' | 'MINIO_ENDPOINT' | 'MINIO_ACCESS_KEY' | 'MINIO_SECRET_KEY' | 'MINIO_BUCKET_NAME' | 'MINIO_SECURE' | 'MINIO_REGION' | 'MINIO_MAX_ATTEMPTS' | 'MINIO_TIMEOUT_MS'
>;

/**
 * The model service of this configuration: models in the configured object store (S3 or files under
 * the data dir), predictions on the `TF_BACKEND` tfjs backend. Both are imported on first use only:
 * tfjs takes a second or two to load, the S3 client a few hundred milliseconds, and most commands
 * and requests of a process never touch a model.
 */
export function modelServiceFor(config: ModelServiceConfig, store: Store, log?: Logger): ModelService {
  return new ModelService({
    store,
    objects: async () => (await import('../objects/index.ts')).createObjectStore(config, log ? { logger: log } : {}),
    backend: async () => (await import('../ml/index.ts')).createModelBackend(config.TF_BACKEND),
    ...(log ? { log } : {}),
  });
}
