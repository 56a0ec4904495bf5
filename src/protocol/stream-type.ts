import { z } from 'zod';
import { INTERVALS, Interval } from './intervals.ts';

/** Where a workflow's data comes from: REST history, live WebSocket streams, or the bulk archive. */
export type StreamSource = 'api' | 'ws' | 'archive';

/** The record a stream type produces: each has its schema, key and sort field in `series.ts`. */
export type RecordKind = 'candle' | 'agg_trade' | 'trade' | 'depth';

export type ParsedStreamType =
  | { readonly source: StreamSource; readonly record: 'candle'; readonly interval: Interval }
  | { readonly source: StreamSource; readonly record: 'agg_trade' | 'trade' | 'depth' };

/**
 * Every type a workflow can load:
 * - `api_candles_<interval>`, `api_trades` (aggregate trades paged by id) over REST;
 * - `ws_candles_<interval>`, `ws_trades`, `ws_aggtrades`, `ws_depth` live over WebSocket, gaps repaired over REST;
 * - `archive_candles_<interval>`, `archive_trades` from the bulk archive, the recent tail over REST.
 */
const FIXED: ReadonlyMap<string, ParsedStreamType> = new Map<string, ParsedStreamType>([
  ['api_trades', { source: 'api', record: 'agg_trade' }],
  ['archive_trades', { source: 'archive', record: 'agg_trade' }],
  ['ws_trades', { source: 'ws', record: 'trade' }],
  ['ws_aggtrades', { source: 'ws', record: 'agg_trade' }],
  ['ws_depth', { source: 'ws', record: 'depth' }],
]);

const CANDLES = /^(api|ws|archive)_candles_(.+)$/;

export const STREAM_TYPE_PATTERNS = ['api_candles_<interval>', 'ws_candles_<interval>', 'archive_candles_<interval>', ...FIXED.keys()];

export const STREAM_TYPE_EXAMPLES = [
  ...INTERVALS.map((i) => `api_candles_${i}`),
  ...INTERVALS.map((i) => `ws_candles_${i}`),
  ...INTERVALS.map((i) => `archive_candles_${i}`),
  ...FIXED.keys(),
];

export function parseStreamType(type: string): ParsedStreamType | undefined {
  const fixed = FIXED.get(type);
  if (fixed) return fixed;
  const match = CANDLES.exec(type);
  if (!match?.[1] || !match[2]) return undefined;
  const interval = Interval.safeParse(match[2]);
  return interval.success ? { source: match[1] as StreamSource, record: 'candle', interval: interval.data } : undefined;
}

/**
 * Every type whose records form the same series as `type`'s: 1m candles from REST, the live stream and
 * the archive are one series (same records, same keys); so are aggregate trades from REST, the archive
 * and `ws_aggtrades`.
 */
export function sameSeriesTypes(type: ParsedStreamType): string[] {
  switch (type.record) {
    case 'candle':
      return [`api_candles_${type.interval}`, `ws_candles_${type.interval}`, `archive_candles_${type.interval}`];
    case 'agg_trade':
      return ['api_trades', 'archive_trades', 'ws_aggtrades'];
    case 'trade':
      return ['ws_trades'];
    case 'depth':
      return ['ws_depth'];
  }
}

export function describeAcceptedTypes(): string {
  return `${STREAM_TYPE_PATTERNS.join(', ')} (interval one of ${INTERVALS.join(' ')})`;
}

export const StreamType = z.string().refine((t) => parseStreamType(t) !== undefined, {
  error: (issue) => `unknown type ${JSON.stringify(issue.input)}; accepted: ${describeAcceptedTypes()}`,
});
export type StreamType = z.infer<typeof StreamType>;
