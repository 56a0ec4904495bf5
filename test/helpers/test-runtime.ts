import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/system/config/index.ts';
import { createRuntime } from '../../src/system/runtime.ts';
import type { Runtime, RuntimeOverrides } from '../../src/system/runtime.ts';
import { LocalManager } from '../../src/system/manager/index.ts';
import { WorkflowRegistry } from '../../src/actors/index.ts';
import { TERMINAL_STATUSES } from '../../src/protocol/index.ts';
import type { Workflow } from '../../src/protocol/index.ts';
import { waitFor } from './wait-for.ts';

export interface TestRuntime {
  readonly runtime: Runtime;
  readonly dataDir: string;
  readonly manager: LocalManager;
  readonly registry: WorkflowRegistry;
  /** Waits until the workflow reaches a terminal status and returns it. */
  settle(queueId: string, timeoutMs?: number): Promise<Workflow>;
  close(): Promise<void>;
}

export async function makeDataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'streamforge-test-'));
}

/** A full in-process runtime on a fresh data dir, talking to `exchangeUrl`. */
export async function startTestRuntime(
  exchangeUrl: string,
  options: { env?: Record<string, string>; overrides?: (dataDir: string) => RuntimeOverrides; dataDir?: string } = {},
): Promise<TestRuntime> {
  const dataDir = options.dataDir ?? (await makeDataDir());
  const config = loadConfig({}, {
    BINANCE_API_URL: exchangeUrl,
    // The simulator serves REST, WebSocket streams and the archive on one port.
    BINANCE_WS_URL: exchangeUrl.replace(/^http/, 'ws'),
    BINANCE_ARCHIVE_URL: exchangeUrl,
    STREAMFORGE_DATA_DIR: dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    EXCHANGE_MAX_ATTEMPTS: '4',
    ...options.env,
  });
  const logger = pino({ level: config.LOG_LEVEL });
  const runtime = createRuntime(config, { logger, progressIntervalMs: 100, ...options.overrides?.(dataDir) });
  if (!runtime.manager) throw new Error('runtime without manager');
  const manager = new LocalManager(runtime.manager, runtime.store);
  const registry = new WorkflowRegistry(runtime.store);
  await registry.init();
  return {
    runtime,
    dataDir,
    manager,
    registry,
    settle: (queueId, timeoutMs = 60_000) =>
      waitFor(`workflow ${queueId} to end`, async () => {
        const wf = await registry.get(queueId);
        return wf && TERMINAL_STATUSES.has(wf.status) ? wf : undefined;
      }, timeoutMs),
    async close() {
      await runtime.close();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
