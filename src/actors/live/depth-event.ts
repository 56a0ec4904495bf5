import { z } from 'zod';
import { PriceLevel } from '../../protocol/index.ts';
import type { DepthUpdate } from '../../protocol/index.ts';

/** `<symbol>@depth` / `<symbol>@depth@100ms`: `{e:"depthUpdate", E, s, U, u, b, a}`. */
export const DepthEvent = z
  .looseObject({
    e: z.literal('depthUpdate'),
    E: z.number().int().nonnegative(),
    s: z.string().min(1),
    U: z.number().int().nonnegative(),
    u: z.number().int().nonnegative(),
    b: z.array(PriceLevel),
    a: z.array(PriceLevel),
  })
  .refine((e) => e.U <= e.u, { error: 'U must not exceed u' });
export type DepthEvent = z.infer<typeof DepthEvent>;

/** The stored form of a diff event: the exchange's update ids and decimals kept as sent. */
export function depthUpdateOf(event: DepthEvent): DepthUpdate {
  return {
    record: 'depth_update',
    symbol: event.s,
    first_update_id: event.U,
    final_update_id: event.u,
    event_time: event.E,
    bids: event.b,
    asks: event.a,
  };
}

/** The diff stream's name, as the exchange spells it. */
export function depthStreamName(symbol: string): string {
  return `${symbol.toLowerCase()}@depth@100ms`;
}
