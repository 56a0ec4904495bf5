import type { Store } from '../../actors/ports/index.ts';
import type { Config } from '../config/index.ts';
import { ArangoStore } from './arango-store.ts';
import { EmbeddedStore } from './embedded-store.ts';

/** The store this configuration asks for: ArangoDB when `ARANGO_URL` is set, else SQLite in the data dir. */
export function createStore(config: Config): Store {
  if (config.ARANGO_URL === undefined) return new EmbeddedStore(config.STREAMFORGE_DATA_DIR, { synchronous: config.STREAMFORGE_SQLITE_SYNCHRONOUS });
  return new ArangoStore({
    url: config.ARANGO_URL,
    databaseName: config.ARANGO_DB,
    username: config.ARANGO_USER,
    ...(config.ARANGO_PASSWORD !== undefined ? { password: config.ARANGO_PASSWORD } : {}),
  });
}
