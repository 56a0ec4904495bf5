import { Targets } from '../../../src/protocol/index.ts';
import type { Workflow } from '../../../src/protocol/index.ts';
import { DEFAULT_RATE_LIMITS } from '../../../src/system/exchange-simulator/index.ts';
import type { RateLimitRule } from '../../../src/system/exchange-simulator/index.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import type { ChaosContext, ChaosExperiment, ChaosMeasurement } from '../chaos-experiment.ts';
import { startChaosDeployment } from '../chaos-deployment.ts';
import type { ChaosDeployment } from '../chaos-deployment.ts';
import { measureOutcome } from '../chaos-outcome.ts';
import { RecoveryClock } from '../recovery-clock.ts';
import { MIX_SIZES, abortableDelay, settleAll, startWorkflowMix } from '../workflow-mix.ts';

/** A day of the archive served with bytes that do not match its `.CHECKSUM`: the loader must take that day over REST. */
const ARCHIVE_FROM_MS = Date.parse('2024-04-08T00:00:00Z');
const ARCHIVE_TO_MS = Date.parse('2024-04-12T00:00:00Z');
const CORRUPT_FILE = 'ETHUSDT-1m-2024-04-10.zip';
/**
 * The exchange lowers its limits mid-run to a per-second weight far below what a REST backfill
 * uses (Binance changes its limits; loaders that read exchangeInfo before do not know): the loader
 * runs into 429s it could not foresee and must honour them (a request sent during the back-off
 * earns a 418 ban).
 */
const TIGHT_LIMITS: readonly RateLimitRule[] = [
  { rateLimitType: 'REQUEST_WEIGHT', interval: 'SECOND', intervalNum: 1, limit: 10 },
  { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6_000 },
  { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61_000 },
];
const STORM_MS = { short: 8_000, full: 20_000 } as const;
const STORM_FROM_MS = Date.parse('2023-01-01T00:00:00Z');
/**
 * Loader processes of one deployment share the exchange's per-IP limit, but each hears only its own
 * 429s: the full profile also storms three REST loaders at once. Known to fail today (the others keep
 * sending during the back-off one of them was told to keep, and the IP is banned): the loaders need a
 * back-off shared across processes.
 */
const SHARED_IP_STORM = { short: false, full: true } as const;

/** Rounds of 5xx burst, WebSocket drop and serverShutdown. */
const ROUNDS = { short: 1, full: 4 } as const;
const BURST_MS = 3_000;
const BURST_ERROR_RATE = 0.5;

/** 5xx bursts, a 429 storm, WebSocket drops and `serverShutdown` during the live stream, a corrupt archive file. */
export const exchangeFaults: ChaosExperiment = {
  name: 'exchange-faults',
  chaosMesh: { none: 'the exchange is outside the cluster: HTTPChaos only faults HTTP served by pods, so 5xx, 429 and WebSocket shutdowns from Binance cannot be injected; the simulator stands in for them here' },
  async run(ctx: ChaosContext): Promise<ChaosMeasurement> {
    const dep = await startChaosDeployment(ctx, {
      simulator: { latencyMs: 20, archive: { corrupt: [CORRUPT_FILE] }, ws: { pingIntervalMs: 1_000 } },
    });
    try {
      const size = MIX_SIZES[ctx.profile];
      const mix = await startWorkflowMix(dep.rt.manager, { ...size, liveMs: ctx.profile === 'short' ? 45_000 : 150_000 });
      const archive = await dep.rt.manager.create({ symbol: 'ETHUSDT', type: 'archive_candles_1m', range: { fromMs: ARCHIVE_FROM_MS, toMs: ARCHIVE_TO_MS } });
      const workflows = [...mix, archive];
      const recovery = new RecoveryClock(dep.rt.runtime.store, dep.rt.registry);
      const live = mix.find((wf) => wf.type === 'ws_aggtrades');
      const rest = mix.find((wf) => wf.type === 'api_candles_1m');
      if (live === undefined || rest === undefined) throw new Error('the mix lacks its live or REST candle workflow');
      // Faults start once the live loader streams (it backfills its first seconds over REST first).
      await waitFor('the live loader to connect', () => (dep.sim.wsStats().open >= 1 || ctx.signal.aborted ? true : undefined), 45_000, 100).catch((err: unknown) =>
        ctx.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'faults start without a live connection'),
      );
      let faults = 1; // the corrupt archive file, there from the start
      for (let round = 0; round < ROUNDS[ctx.profile] && !ctx.signal.aborted; round++) {
        faults += await faultRound(ctx, dep, { live, rest }, recovery);
        await abortableDelay(4_000, ctx.signal);
      }
      // The mix's workflows end (the live stream at its range's end) before the storms, so that each storm
      // meets the loaders it means to and no other.
      await settleAll(dep.rt.registry, workflows, ctx.profile === 'short' ? 90_000 : 300_000, ctx.signal);
      const storms = [await rateLimitStorm(ctx, dep, recovery, 'api_candles_1m', ['PEPEUSDT'])];
      if (SHARED_IP_STORM[ctx.profile]) storms.push(await rateLimitStorm(ctx, dep, recovery, 'api_candles_5m', ['BTCUSDT', 'ETHUSDT', 'PEPEUSDT']));
      for (const storm of storms) {
        workflows.push(...storm.workflows);
        faults += storm.status429;
      }
      const stats = dep.sim.stats();
      ctx.log.info({ status429: stats.status429, status418: stats.status418, status5xx: stats.status5xx, banned: stats.banned }, 'exchange responses');
      return await measureOutcome(ctx, { store: dep.rt.runtime.store, registry: dep.rt.registry }, workflows, {
        faults,
        recovery,
        settleMs: ctx.profile === 'short' ? 90_000 : 300_000,
        checks: storms.map((storm) => ({
          name: `no 418 ban earned by ${storm.workflows.length} REST loader process${storm.workflows.length > 1 ? 'es' : ''} in a 429 storm`,
          ok: storm.status429 > 0 && storm.status418 === 0,
          detail: `${storm.status429} × 429, ${storm.status418} × 418`,
        })),
      });
    } finally {
      await dep.close();
    }
  },
};

/** A 5xx burst on REST, then a WebSocket drop, then a `serverShutdown`; resolves with the faults injected. */
async function faultRound(ctx: ChaosContext, dep: ChaosDeployment, wfs: { readonly live: Workflow; readonly rest: Workflow }, recovery: RecoveryClock): Promise<number> {
  let faults = 0;
  await recovery.fault(wfs.rest, Date.now());
  dep.sim.setServerErrorRate(BURST_ERROR_RATE);
  ctx.log.info({ rate: BURST_ERROR_RATE, ms: BURST_MS }, '5xx burst');
  await abortableDelay(BURST_MS, ctx.signal);
  dep.sim.setServerErrorRate(0);
  faults++;
  await recovery.fault(wfs.live, Date.now());
  const dropped = dep.sim.dropConnections();
  ctx.log.info({ connections: dropped }, 'WebSocket connections dropped');
  if (dropped > 0) faults++;
  await abortableDelay(3_000, ctx.signal);
  await recovery.fault(wfs.live, Date.now());
  dep.sim.serverShutdown();
  ctx.log.info({}, 'serverShutdown sent');
  faults++;
  return faults;
}

/**
 * REST candle backfills of `symbols`, one workflow (one loader process) each; once they store, the
 * exchange drops to {@link TIGHT_LIMITS} for a while, then restores its own. Counts the 429s and 418s
 * answered meanwhile (the mix has ended: they are these loaders').
 */
async function rateLimitStorm(
  ctx: ChaosContext,
  dep: ChaosDeployment,
  recovery: RecoveryClock,
  type: 'api_candles_1m' | 'api_candles_5m',
  symbols: readonly string[],
): Promise<{ readonly workflows: Workflow[]; readonly status429: number; readonly status418: number }> {
  const days = ctx.profile === 'short' ? 120 : 360;
  const workflows = await Promise.all(symbols.map((symbol) => dep.rt.manager.create({ symbol, type, range: { fromMs: STORM_FROM_MS, toMs: STORM_FROM_MS + days * 86_400_000 } })));
  await waitFor('the storm\'s loaders to store', async () => {
    if (ctx.signal.aborted) return true;
    const now = await Promise.all(workflows.map((wf) => dep.rt.registry.get(wf.queue_id)));
    return now.every((wf) => (wf?.stages[Targets.loader]?.records ?? 0) > 0) ? true : undefined;
  }, 60_000, 100);
  const before = dep.sim.stats();
  for (const wf of workflows) await recovery.fault(wf, Date.now());
  dep.sim.setRateLimits(TIGHT_LIMITS);
  ctx.log.info({ symbols, ms: STORM_MS[ctx.profile] }, '429 storm: the exchange lowered its limits');
  await abortableDelay(STORM_MS[ctx.profile], ctx.signal);
  dep.sim.setRateLimits(DEFAULT_RATE_LIMITS);
  await settleAll(dep.rt.registry, workflows, ctx.profile === 'short' ? 90_000 : 300_000, ctx.signal);
  const after = dep.sim.stats();
  return { workflows, status429: after.status429 - before.status429, status418: after.status418 - before.status418 };
}
