import { z } from 'zod';
import { SeriesRange } from './api.ts';

const QUIET_ACCEPTED = 'accepted: a number of minutes from 1 to 10080 (a week)';

/**
 * Minutes without any trade (and no missing id) after which a quiet stretch is listed as the exchange's
 * hole. At least one: below it, every pause between two trades would be listed.
 */
const QuietMinutes = z
  .number({ error: `expected a number; ${QUIET_ACCEPTED}` })
  .min(1, { error: `too small; ${QUIET_ACCEPTED}` })
  .max(10_080, { error: `too large; ${QUIET_ACCEPTED}` });

/** The same as text (a query string, the CLI's `--quiet-minutes`): digits only (no hex, no spaces, no `Infinity`). */
export const QuietMinutesText = z
  .string()
  .regex(/^\d{1,5}(\.\d{1,6})?$/, { error: `expected a plain decimal number; ${QUIET_ACCEPTED}` })
  .transform(Number)
  .pipe(QuietMinutes);

/** `GET /gaps`: audit one stored series over [from, to). */
export const GapsQuery = SeriesRange.extend({ quiet_minutes: QuietMinutesText.default(5) });
export type GapsQuery = z.infer<typeof GapsQuery>;

/** `POST /gaps/repair`: audit, fetch our holes again, audit once more. */
export const GapRepairBody = z.strictObject({ ...SeriesRange.shape, quiet_minutes: QuietMinutes.default(5) });
export type GapRepairBody = z.infer<typeof GapRepairBody>;

/**
 * One hole: `ours` (records the exchange has and the store lacks) or the `exchange`'s own
 * (maintenance, before the listing, a quiet stretch of trades). Trade holes of ours carry the
 * missing ids; `collection` is where a repair writes.
 */
export const GapHole = z.object({
  owner: z.enum(['ours', 'exchange']),
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  from_ms: z.number().int(),
  to_ms: z.number().int(),
  count: z.number().int().nonnegative(),
  from_id: z.number().int().optional(),
  to_id: z.number().int().optional(),
  collection: z.string().optional(),
});
export type GapHole = z.infer<typeof GapHole>;

/** An audit's answer (`streamforge gaps --json`, `GET /gaps`, `POST /gaps/repair`). */
export const GapReportBody = z.object({
  symbol: z.string(),
  type: z.string(),
  from: z.iso.datetime(),
  /** The end audited: the range's end, or the exchange's present when the range reaches past it. */
  to: z.iso.datetime(),
  from_ms: z.number().int(),
  to_ms: z.number().int(),
  /** Distinct stored records in the audited range. */
  stored: z.number().int().nonnegative(),
  /** How many holes are ours and how many the exchange's. */
  ours: z.number().int().nonnegative(),
  exchange: z.number().int().nonnegative(),
  holes: z.array(GapHole),
  /** After a repair: what it wrote, and the audit before it (the report itself is the audit after). */
  repaired: z.object({ holes: z.number().int().nonnegative(), records: z.number().int().nonnegative(), collections: z.array(z.string()) }).optional(),
  before: z.object({ stored: z.number().int().nonnegative(), holes: z.array(GapHole) }).optional(),
});
export type GapReportBody = z.infer<typeof GapReportBody>;
