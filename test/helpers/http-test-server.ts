import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Store } from '../../src/actors/index.ts';
import { loadConfig } from '../../src/system/config/index.ts';
import { AdminServer } from '../../src/system/http/index.ts';
import type { AdminServerOptions } from '../../src/system/http/index.ts';
import { createRuntime } from '../../src/system/runtime.ts';
import type { Runtime } from '../../src/system/runtime.ts';
import { EmbeddedStore } from '../../src/system/store/index.ts';

export interface HttpTestServer {
  readonly server: AdminServer;
  readonly runtime: Runtime;
  /** The runtime's store, before any wrapper: seed it directly. */
  readonly store: Store;
  /** Every log line written, as parsed JSON. */
  readonly logs: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/**
 * An AdminServer over a runtime without the manager actor (role `connector`, so no actor starts):
 * the embedded store in a fresh dir, logs captured. `wrapStore` puts a wrapper (a read counter, a
 * failing store) between the routes and the store.
 */
export async function startHttpTestServer(
  env: Record<string, string> = {},
  options: AdminServerOptions & { wrapStore?: (store: Store) => Store } = {},
): Promise<HttpTestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sf-http-test-'));
  const config = loadConfig({}, { STREAMFORGE_DATA_DIR: dataDir, ROLE: 'connector', LOG_LEVEL: 'info', BINANCE_API_URL: 'http://127.0.0.1:9', ...env });
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const store = new EmbeddedStore(dataDir);
  const runtime = createRuntime(config, { logger: pino({ level: 'debug' }, sink), store: options.wrapStore ? options.wrapStore(store) : store });
  const server = new AdminServer(runtime, options);
  await server.ready();
  return {
    server,
    runtime,
    store,
    logs,
    async close() {
      await server.close();
      await runtime.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
