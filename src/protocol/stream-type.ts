import { z } from 'zod';
import { INTERVALS, Interval } from './intervals.ts';

/** What a workflow loads: `api_candles_<interval>` today; trades, streams and archives build on it. */
export const STREAM_TYPE_EXAMPLES = INTERVALS.map((i) => `api_candles_${i}`);

export interface ParsedStreamType {
  readonly source: 'api';
  readonly kind: 'candles';
  readonly interval: Interval;
}

const pattern = /^api_candles_(.+)$/;

export function parseStreamType(type: string): ParsedStreamType | undefined {
  const match = pattern.exec(type);
  if (!match?.[1]) return undefined;
  const interval = Interval.safeParse(match[1]);
  return interval.success ? { source: 'api', kind: 'candles', interval: interval.data } : undefined;
}

export const StreamType = z.string().refine((t) => parseStreamType(t) !== undefined, {
  error: (issue) =>
    `unknown type ${JSON.stringify(issue.input)}; accepted: api_candles_<interval> with interval one of ${INTERVALS.join(' ')}`,
});
export type StreamType = z.infer<typeof StreamType>;
