import { z } from 'zod';
import { GraphWindow } from './graph.ts';
import { GnnParams, UniverseSymbols } from './gnn-params.ts';
import type { GnnParams as GnnParamsType } from './gnn-params.ts';
import { Interval } from './intervals.ts';
import { ModelArchName } from './model.ts';
import { AnalyticsTypes } from './stage-roles.ts';
import { Instant, TimeRangeText } from './time-range.ts';

const whole = (what: string, min: number, max: number) =>
  z.number({ error: `${what}: expected a whole number from ${min} to ${max}` }).int({ error: `${what}: expected a whole number from ${min} to ${max}` }).min(min, { error: `${what} too small; accepted: ${min} to ${max}` }).max(max, { error: `${what} too large; accepted: ${min} to ${max}` });

/**
 * `POST /queues` for the analytics types: a universe and its settings. The range as `time_range`
 * or `from`/`to`; none at all (or `from` alone) is live: history from `from` (default: the last
 * 2000 candles), then a snapshot per closed candle until stopped (`gnn_train` retrains every
 * `retrain_every` snapshots). Edges by |ρ| ≥ `threshold` (default 0.3) or the `top_k` per node.
 */
export const CreateGraphBody = z
  .strictObject({
    type: z.enum(AnalyticsTypes),
    symbols: UniverseSymbols,
    interval: Interval,
    time_range: TimeRangeText.optional(),
    from: Instant.optional(),
    to: Instant.optional(),
    horizon: whole('horizon', 1, 1000).optional(),
    epochs: whole('epochs', 1, 10_000).optional(),
    seed: whole('seed', 0, 2 ** 31 - 1).optional(),
    arch: ModelArchName.optional(),
    window: GraphWindow.optional(),
    threshold: z.number().min(0, { error: 'threshold is |ρ|: accepted 0 to 1' }).max(1, { error: 'threshold is |ρ|: accepted 0 to 1' }).optional(),
    top_k: whole('top_k', 1, 199).optional(),
    retrain_every: whole('retrain_every', 1, 1_000_000).optional(),
  })
  .superRefine((b, ctx) => {
    if (b.time_range !== undefined && (b.from !== undefined || b.to !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give the range as time_range or as from/to, not both' });
    }
    if (b.to !== undefined && b.from === undefined) ctx.addIssue({ code: 'custom', path: ['from'], message: 'to needs from (the range is [from, to))' });
    if (b.threshold !== undefined && b.top_k !== undefined) ctx.addIssue({ code: 'custom', message: 'edges by threshold or by top_k, not both' });
  });
export type CreateGraphBody = z.infer<typeof CreateGraphBody>;

/** Candles of history a live graph workflow reads when no `from` is given. */
export const LIVE_HISTORY_CANDLES = 2_000;

/** The settings of a graph body (the range aside), defaults filled in. */
export function gnnParamsOf(body: Omit<CreateGraphBody, 'type' | 'time_range' | 'from' | 'to'>, live: boolean): GnnParamsType {
  return GnnParams.parse({
    symbols: body.symbols,
    interval: body.interval,
    ...(body.window !== undefined ? { window: body.window } : {}),
    ...(body.threshold !== undefined ? { edges: { kind: 'threshold', threshold: body.threshold } } : {}),
    ...(body.top_k !== undefined ? { edges: { kind: 'top-k', k: body.top_k } } : {}),
    ...(body.horizon !== undefined ? { horizon: body.horizon } : {}),
    ...(body.epochs !== undefined ? { epochs: body.epochs } : {}),
    ...(body.seed !== undefined ? { seed: body.seed } : {}),
    ...(body.arch !== undefined ? { arch: body.arch } : {}),
    ...(body.retrain_every !== undefined ? { retrain_every: body.retrain_every } : {}),
    live,
  });
}
