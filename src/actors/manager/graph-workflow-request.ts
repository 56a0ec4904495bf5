import { gnnParamsOf, INTERVAL_MS, LIVE_HISTORY_CANDLES, ValidationError } from '../../protocol/index.ts';
import type { CreateGraphBody, TimeRange } from '../../protocol/index.ts';
import type { GraphWorkflowRequest } from './manager.ts';

/** How long a live stream started without an end runs: until stopped, its range ending in 10 years. */
const LIVE_SPAN_MS = 10 * 365 * 86_400_000;

/** A live stream started without a range: from now until stopped. */
export function openLiveRange(nowMs: number): TimeRange {
  return { fromMs: nowMs, toMs: nowMs + LIVE_SPAN_MS };
}

/**
 * The manager's request for a graph body (the API's, the CLI's `train` and `graph` workflows): a
 * closed range (`time_range`, or `from` and `to`) trains once; none, or `from` alone, is live:
 * history from `from` (default the last {@link LIVE_HISTORY_CANDLES} candles), then every closed candle.
 */
export function graphWorkflowRequest(body: CreateGraphBody, nowMs: number): GraphWorkflowRequest {
  const closed = body.time_range ?? (body.from !== undefined && body.to !== undefined ? { fromMs: body.from, toMs: body.to } : undefined);
  if (closed !== undefined) {
    if (closed.fromMs >= closed.toMs) throw new ValidationError('invalid body: from must be before to (the range is half-open: [from, to))');
    return { type: body.type, range: closed, gnn: gnnParamsOf(body, false) };
  }
  const from = body.from ?? nowMs - LIVE_HISTORY_CANDLES * INTERVAL_MS[body.interval];
  return { type: body.type, range: { fromMs: from, toMs: openLiveRange(nowMs).toMs }, gnn: gnnParamsOf(body, true) };
}
