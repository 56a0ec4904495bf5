import type { Workflow } from '../../../src/protocol/index.ts';
import type { RateLimitRule } from '../../../src/system/exchange-simulator/index.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import type { ChaosContext, ChaosExperiment, ChaosMeasurement } from '../chaos-experiment.ts';
import { startChaosDeployment } from '../chaos-deployment.ts';
import type { ChaosDeployment } from '../chaos-deployment.ts';
import { measureOutcome } from '../chaos-outcome.ts';
import { RecoveryClock } from '../recovery-clock.ts';
import { MIX_SIZES, abortableDelay, startWorkflowMix } from '../workflow-mix.ts';

/** A day of the archive served with bytes that do not match its `.CHECKSUM`: the loader must take that day over REST. */
const ARCHIVE_FROM_MS = Date.parse('2024-04-08T00:00:00Z');
const ARCHIVE_TO_MS = Date.parse('2024-04-12T00:00:00Z');
const CORRUPT_FILE = 'ETHUSDT-1m-2024-04-10.zip';
/**
 * A per-second weight limit far below the exchange's: the REST loaders of the mix (several processes,
 * each paging slices concurrently) run into 429s, which they must honour (a request sent during the
 * back-off earns a 418 ban).
 */
const TIGHT_LIMITS: readonly RateLimitRule[] = [
  { rateLimitType: 'REQUEST_WEIGHT', interval: 'SECOND', intervalNum: 1, limit: 40 },
  { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6_000 },
  { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61_000 },
];
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
      simulator: { latencyMs: 20, rateLimits: TIGHT_LIMITS, archive: { corrupt: [CORRUPT_FILE] }, ws: { pingIntervalMs: 1_000 } },
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
      const stats = dep.sim.stats();
      // Every 429 the tight limit caused is a fault the loaders had to ride out.
      faults += stats.status429;
      ctx.log.info({ status429: stats.status429, status418: stats.status418, status5xx: stats.status5xx, banned: stats.banned }, 'exchange responses');
      return await measureOutcome(ctx, { store: dep.rt.runtime.store, registry: dep.rt.registry }, workflows, {
        faults,
        recovery,
        settleMs: ctx.profile === 'short' ? 90_000 : 300_000,
        checks: [{ name: 'no 418 ban earned', ok: stats.status418 === 0 && !dep.sim.stats().banned, detail: `${stats.status429} × 429, ${stats.status418} × 418` }],
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
