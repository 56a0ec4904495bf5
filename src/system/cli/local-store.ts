import type { Store } from '../../actors/index.ts';
import { loadConfig, ONE_SHOT_DEFAULTS } from '../config/index.ts';
import type { Config } from '../config/index.ts';
import { createStore } from '../store/index.ts';
import type { CliIo } from './cli-io.ts';
import { UsageError } from './usage-error.ts';

/** Refuses `--data-dir` beside `--server`: with a server, the server's store is read. */
export function assertOneSource(values: { readonly server?: string | undefined; readonly 'data-dir'?: string | undefined }): void {
  if (values.server !== undefined && values['data-dir'] !== undefined) {
    throw new UsageError('--data-dir and --server exclude each other: with --server the server reads its own store');
  }
}

/** Runs `use` on the configured store (`--data-dir` over `STREAMFORGE_DATA_DIR`), closed afterwards. */
export async function withLocalStore<T>(dataDir: string | undefined, io: CliIo, use: (store: Store, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig({ STREAMFORGE_DATA_DIR: dataDir }, io.env, ONE_SHOT_DEFAULTS);
  const store = createStore(config);
  try {
    return await use(store, config);
  } finally {
    await store.close();
  }
}
