import type { RuntimeOverrides } from '../../src/system/runtime.ts';
import { startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import type { ExchangeSimulator, SimulatorOptions } from '../../src/system/exchange-simulator/index.ts';
import { processStagesOnKafka } from '../helpers/kafka-broker.ts';
import { stageProcesses } from '../helpers/stage-processes.ts';
import { startTestRuntime } from '../helpers/test-runtime.ts';
import type { TestRuntime } from '../helpers/test-runtime.ts';
import { waitFor } from '../helpers/wait-for.ts';
import type { ChaosContext } from './chaos-experiment.ts';
import { chaosKafka } from './chaos-kafka.ts';

/**
 * The stage restart budget under chaos: faults come every few seconds on purpose, so the default
 * budget (5 a minute per stage) would end workflows and measure the budget instead of recovery.
 */
export const CHAOS_STAGE_SUPERVISION = { maxRestarts: 100, windowMs: 60_000, initialBackoffMs: 100, maxBackoffMs: 2_000 } as const;

export interface ChaosDeployment {
  readonly sim: ExchangeSimulator;
  /** The manager (in this process) with the process launcher: every stage is a child process of this one. */
  readonly rt: TestRuntime;
  readonly bootstrap: string;
  /** Stops the manager, every stage process, the simulator; waits until no stage process is left. */
  close(): Promise<void>;
}

/**
 * A real deployment on this machine: the run's Kafka broker (fresh control and event topics), the
 * exchange simulator, a manager whose launcher runs each stage as its own OS process, the store in
 * the experiment's work directory.
 */
export async function startChaosDeployment(
  ctx: ChaosContext,
  options: { readonly simulator?: SimulatorOptions; readonly env?: Record<string, string>; readonly overrides?: (dataDir: string) => RuntimeOverrides } = {},
): Promise<ChaosDeployment> {
  const bootstrap = await chaosKafka();
  const sim = await startExchangeSimulator(options.simulator ?? {});
  let rt: TestRuntime;
  try {
    rt = await startTestRuntime(sim.url, {
      dataDir: ctx.workDir,
      // The broker's shortest session: a SIGKILLed consumer's partitions move to its replacement in seconds, not 30.
      // Production's exchange retries (the test runtime's 4 are for fast tests): a 5xx burst is ridden out, not failed.
      env: { ...processStagesOnKafka(bootstrap), BINANCE_WS_URL: sim.wsUrl, KAFKA_SESSION_TIMEOUT_MS: '6000', KAFKA_HEARTBEAT_INTERVAL_MS: '1000', EXCHANGE_MAX_ATTEMPTS: '6', ...options.env },
      overrides: (dataDir) => ({ stageSupervision: CHAOS_STAGE_SUPERVISION, ...options.overrides?.(dataDir) }),
    });
  } catch (err) {
    await sim.close();
    throw err;
  }
  ctx.log.info({ exchange: sim.url, kafka: bootstrap }, 'deployment up');
  return {
    sim,
    rt,
    bootstrap,
    async close() {
      try {
        await rt.close();
      } finally {
        await sim.close();
        // The launcher stops its stages on close; a SIGSTOPped one is SIGKILLed after its grace.
        await waitFor('every stage process to exit', () => (stageProcesses().length === 0 ? true : undefined), 20_000, 100).catch((err: unknown) => {
          for (const p of stageProcesses()) process.kill(p.pid, 'SIGKILL');
          ctx.log.warn({ err }, 'stage processes left behind were killed');
        });
      }
    },
  };
}
