import { z } from 'zod';
import { Decimal } from './decimal.ts';

/** `[price, quantity]`; a quantity of 0 removes the level. */
export const PriceLevel = z.tuple([Decimal, Decimal]);
export type PriceLevel = z.infer<typeof PriceLevel>;

/** `GET /api/v3/depth`. */
export const DepthSnapshotBody = z.object({
  lastUpdateId: z.number().int().nonnegative(),
  bids: z.array(PriceLevel),
  asks: z.array(PriceLevel),
});
export type DepthSnapshotBody = z.infer<typeof DepthSnapshotBody>;

/** One diff event of `<symbol>@depth` as stored: the exchange's update ids kept, so replays can be checked. */
export const DepthUpdate = z.object({
  record: z.literal('depth_update'),
  symbol: z.string().min(1),
  first_update_id: z.number().int().nonnegative(),
  final_update_id: z.number().int().nonnegative(),
  event_time: z.number().int().nonnegative(),
  bids: z.array(PriceLevel),
  asks: z.array(PriceLevel),
});
export type DepthUpdate = z.infer<typeof DepthUpdate>;

/** The local book's top levels at one update id: on the first sync, after every resync, and periodically. */
export const BookSnapshot = z.object({
  record: z.literal('book_snapshot'),
  symbol: z.string().min(1),
  last_update_id: z.number().int().nonnegative(),
  event_time: z.number().int().nonnegative(),
  reason: z.enum(['initial', 'resync', 'periodic']),
  bids: z.array(PriceLevel),
  asks: z.array(PriceLevel),
});
export type BookSnapshot = z.infer<typeof BookSnapshot>;

export const DepthRecord = z.discriminatedUnion('record', [DepthUpdate, BookSnapshot]);
export type DepthRecord = z.infer<typeof DepthRecord>;
