// `network`: faults on the wire between the stage processes and Kafka, and between the loaders and
// the exchange, through Toxiproxy: latency, a bandwidth cap, connections reset mid-stream, held
// connections that time out, and both links cut (30 s in the full profile). The manager talks to
// the broker directly (its own listener); only the stages' traffic crosses the proxy: the broker
// advertises the proxy's address on a second listener, which is the one the stages bootstrap from.
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../../src/system/config/index.ts';
import { createBus } from '../../../src/system/bus/index.ts';
import { startExchangeSimulator } from '../../../src/system/exchange-simulator/index.ts';
import type { ExchangeSimulator } from '../../../src/system/exchange-simulator/index.ts';
import { processStagesOnKafka } from '../../helpers/kafka-broker.ts';
import { freePort } from '../../helpers/free-port.ts';
import { freePortPair, kafkaDown, kafkaUp } from '../../helpers/private-broker.ts';
import { startTestRuntime } from '../../helpers/test-runtime.ts';
import type { TestRuntime } from '../../helpers/test-runtime.ts';
import type { ChaosContext, ChaosExperiment, ChaosMeasurement } from '../chaos-experiment.ts';
import { isAbort, pause, recoveryAfterHeal, until } from '../fault-timing.ts';
import { Toxiproxy } from '../toxiproxy.ts';
import { measure, settleMix } from '../mix-measurement.ts';
import { killLeftoverStages, teardown } from '../teardown.ts';
import { startLiveMix, startRestMix, storedCount } from '../kafka-fault-mix.ts';

const SEED = 41;

interface NetworkFault {
  readonly name: string;
  inject(): Promise<void>;
  heal(): Promise<void>;
  readonly holdMs: number;
}

/** The faults, in order, for a profile: every kind once in short; longer windows and a 30 s cut in full. */
function faultPlan(toxi: Toxiproxy, profile: ChaosContext['profile']): NetworkFault[] {
  const full = profile === 'full';
  const degradeMs = full ? 10_000 : 2_000;
  const cutMs = full ? 30_000 : 8_000;
  const toxic = (name: string, proxies: readonly string[], add: (proxy: string) => Promise<string>, holdMs: number): NetworkFault => {
    const added: Array<[string, string]> = [];
    return {
      name,
      holdMs,
      async inject() {
        for (const p of proxies) added.push([p, await add(p)]);
      },
      async heal() {
        for (const [p, t] of added.splice(0)) await toxi.removeToxic(p, t);
      },
    };
  };
  const both = ['kafka', 'exchange'] as const;
  const plan: NetworkFault[] = [
    toxic('latency 150±50 ms, both links, both ways', both, async (p) => {
      await toxi.addToxic(p, { type: 'latency', attributes: { latency: 150, jitter: 50 } }, 'upstream');
      return toxi.addToxic(p, { type: 'latency', attributes: { latency: 150, jitter: 50 } }, 'downstream');
    }, degradeMs),
    toxic('bandwidth 32 KB/s, both links, downstream', both, (p) => toxi.addToxic(p, { type: 'bandwidth', attributes: { rate: 32 } }), degradeMs),
    toxic('reset_peer: Kafka connections reset mid-stream', ['kafka'], (p) => toxi.addToxic(p, { type: 'reset_peer', attributes: { timeout: 200 } }, 'upstream'), 1_500),
    toxic('reset_peer: exchange connections (REST, WebSocket) reset mid-stream', ['exchange'], (p) => toxi.addToxic(p, { type: 'reset_peer', attributes: { timeout: 200 } }, 'downstream'), 1_500),
    toxic('timeout: Kafka connections held, closed after 2 s', ['kafka'], (p) => toxi.addToxic(p, { type: 'timeout', attributes: { timeout: 2_000 } }, 'upstream'), 3_000),
    {
      name: `cut: both links down for ${cutMs / 1000} s`,
      holdMs: cutMs,
      async inject() {
        for (const p of both) await toxi.setEnabled(p, false);
      },
      async heal() {
        for (const p of both) await toxi.setEnabled(p, true);
      },
    },
  ];
  if (!full) return plan;
  // Full: a second round of resets and a second cut after the workflows have recovered once.
  return [...plan, ...plan.slice(2)];
}

/** Wall time the plan takes (holds plus a recovery allowance per fault): the live stream must outlast it. */
function planMs(plan: readonly NetworkFault[]): number {
  return plan.reduce((sum, f) => sum + f.holdMs + 1_500, 0);
}

export const network: ChaosExperiment = {
  name: 'network',
  chaosMesh: { manifest: 'network-delay-kafka.yaml, network-partition-kafka.yaml, network-loss-exchange.yaml' },
  async run(ctx: ChaosContext): Promise<ChaosMeasurement> {
    const { signal, log } = ctx;
    const full = ctx.profile === 'full';
    let sim: ExchangeSimulator | undefined;
    let toxi: Toxiproxy | undefined;
    let brokerPort: number | undefined;
    let rt: TestRuntime | undefined;
    let faults = 0;
    const recoveryMs: number[] = [];
    const checks: { name: string; ok: boolean; detail?: string }[] = [];
    try {
      // The broker: its own listener for the manager, a second one advertised at the proxy's port.
      const port = await freePortPair();
      const proxiedPort = await freePort();
      const proxyPort = await freePort();
      const extra = [
        `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${port + 1},PROXIED://127.0.0.1:${proxiedPort}`,
        `advertised.listeners=PLAINTEXT://127.0.0.1:${port},PROXIED://127.0.0.1:${proxyPort}`,
        'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,PROXIED:PLAINTEXT',
      ].join('\n');
      // All three at once; each is recorded as soon as it runs, so teardown stops whatever started.
      brokerPort = port;
      const [simulator, proxy, direct] = await Promise.all([
        startExchangeSimulator({ seed: SEED, latencyMs: 10 }).then((s) => (sim = s)),
        Toxiproxy.start().then((t) => (toxi = t)),
        kafkaUp(port, false, { KAFKA_EXTRA_CONFIG: extra, KAFKA_HEAP_OPTS: '-Xms128m -Xmx384m' }),
      ]);
      await proxy.createProxy('kafka', `127.0.0.1:${proxiedPort}`, proxyPort);
      const exchange = await proxy.createProxy('exchange', new URL(simulator.url).host);
      signal.throwIfAborted();
      log.info({ kafka: direct, proxied: `127.0.0.1:${proxyPort}`, exchange: exchange.listen }, 'network: deployment up');

      const stagesEnv = processStagesOnKafka(`127.0.0.1:${proxyPort}`);
      const managerBus = createBus(loadConfig({}, { KAFKA_BOOTSTRAP_SERVERS: direct, LOG_LEVEL: 'silent' }));
      rt = await startTestRuntime(`http://${exchange.listen}`, {
        env: { ...stagesEnv, STREAMFORGE_INSTANCE_ID: `chaos-network-${randomBytes(3).toString('hex')}`, EXCHANGE_MAX_ATTEMPTS: '8', STALL_TIMEOUT_MS: '30000' },
        overrides: () => ({ bus: managerBus }),
      });
      const runtime = rt;

      const plan = faultPlan(proxy, ctx.profile);
      const mix = await startRestMix(rt.manager, { candleDays: full ? 240 : 30, tradeMinutes: full ? 120 : 20 });
      const progress = () => storedCount(runtime.runtime.store, mix);
      log.info({ workflows: mix.map((m) => m.workflow.queue_id) }, 'network: REST workflows created');
      await until(async () => ((await progress()) > 0 ? true : undefined), 60_000, signal);
      // The live stream from now until just after the last fault: its stages start under the first faults.
      mix.push(await startLiveMix(rt.manager, planMs(plan) + 2_000));
      log.info({ stored: await progress() }, 'network: workflows running, injecting faults');

      for (const fault of plan) {
        signal.throwIfAborted();
        const stored = await progress();
        await fault.inject();
        faults += 1;
        log.info({ fault: fault.name, stored }, 'network: fault injected');
        try {
          await pause(fault.holdMs, signal);
        } finally {
          await fault.heal();
        }
        const recovered = await recoveryAfterHeal(progress, 30_000, signal);
        if (recovered !== undefined) recoveryMs.push(recovered);
        log.info({ fault: fault.name, recoveryMs: recovered }, 'network: fault healed');
      }

      log.info({ stored: await progress() }, 'network: faults over, waiting for the workflows to end');
      await settleMix(runtime, mix, signal, full ? 300_000 : 60_000);
      log.info('network: workflows ended, checking against the oracle');
      return await measure(runtime, mix, SEED, faults, recoveryMs, checks);
    } catch (err) {
      if (!isAbort(err, signal)) throw err;
      checks.push({ name: 'ran to the end', ok: false, detail: 'aborted' });
      return { faults, workflows: 0, expected: 0, stored: 0, missing: 0, duplicated: 0, recoveryMs, restarts: 0, checks };
    } finally {
      await teardown(log, [
        ['runtime', () => rt?.close()],
        ['stage processes', () => killLeftoverStages()],
        ['toxiproxy', () => toxi?.stop()],
        ['broker', () => (brokerPort === undefined ? undefined : kafkaDown(brokerPort))],
        ['simulator', () => sim?.close()],
      ]);
    }
  },
};

