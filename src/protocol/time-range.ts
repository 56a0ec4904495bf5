import { z } from 'zod';

/** A half-open UTC range `[fromMs, toMs)` in epoch milliseconds. */
export const TimeRange = z
  .object({ fromMs: z.number().int().nonnegative(), toMs: z.number().int().positive() })
  .refine((r) => r.fromMs < r.toMs, { error: 'from must be before to (the range is half-open: [from, to))' });
export type TimeRange = z.infer<typeof TimeRange>;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_NO_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/;
const ISO_ZONED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

export const ACCEPTED_INSTANTS = 'YYYY-MM-DD (UTC midnight) or ISO 8601 like 2024-08-01T12:00:00Z (UTC when no zone is given)';

/** Parses a date or an ISO instant as UTC; returns undefined when it is neither or not a real date. */
export function parseInstant(text: string): number | undefined {
  const t = text.trim();
  const date = DATE.exec(t);
  if (date) {
    const ms = Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3]));
    return new Date(ms).toISOString().slice(0, 10) === t ? ms : undefined;
  }
  if (ISO_NO_ZONE.test(t) || ISO_ZONED.test(t)) {
    // Date.parse rolls 2024-02-30 over to March: check the calendar date as written, before any zone shift.
    const y = Number(t.slice(0, 4));
    const m = Number(t.slice(5, 7));
    const d = Number(t.slice(8, 10));
    const day = new Date(Date.UTC(y, m - 1, d));
    if (day.getUTCFullYear() !== y || day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d) return undefined;
    const ms = Date.parse(ISO_ZONED.test(t) ? t : `${t}Z`);
    return Number.isFinite(ms) ? ms : undefined;
  }
  return undefined;
}

/** A zod schema for one instant: a date or ISO string turned into epoch ms. */
export const Instant = z.string().transform((text, ctx) => {
  const ms = parseInstant(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `invalid date ${JSON.stringify(text)}; accepted: ${ACCEPTED_INSTANTS}` });
    return z.NEVER;
  }
  return ms;
});

/** The original's `time_range`: `YYYY-MM-DD:YYYY-MM-DD`, UTC, half-open. */
export const TimeRangeText = z.string().transform((text, ctx) => {
  const parts = /^(\d{4}-\d{2}-\d{2}):(\d{4}-\d{2}-\d{2})$/.exec(text.trim());
  const fromMs = parts?.[1] === undefined ? undefined : parseInstant(parts[1]);
  const toMs = parts?.[2] === undefined ? undefined : parseInstant(parts[2]);
  if (fromMs === undefined || toMs === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `invalid time_range ${JSON.stringify(text)}; accepted: "YYYY-MM-DD:YYYY-MM-DD" (UTC, half-open)`,
    });
    return z.NEVER;
  }
  if (fromMs >= toMs) {
    ctx.addIssue({ code: 'custom', message: `time_range ${JSON.stringify(text)} is empty: the start must be before the end` });
    return z.NEVER;
  }
  return { fromMs, toMs };
});

/** Formats a range back into the original's `time_range` text when it is whole days, else ISO/ISO. */
export function formatTimeRange(range: TimeRange): string {
  const day = 86_400_000;
  const iso = (ms: number) => new Date(ms).toISOString();
  if (range.fromMs % day === 0 && range.toMs % day === 0) {
    return `${iso(range.fromMs).slice(0, 10)}:${iso(range.toMs).slice(0, 10)}`;
  }
  return `${iso(range.fromMs)}/${iso(range.toMs)}`;
}

/** Reads what {@link formatTimeRange} wrote. */
export function parseTimeRangeText(text: string): TimeRange | undefined {
  const slash = text.split('/');
  if (slash.length === 2 && slash[0] && slash[1]) {
    const fromMs = parseInstant(slash[0]);
    const toMs = parseInstant(slash[1]);
    return fromMs !== undefined && toMs !== undefined && fromMs < toMs ? { fromMs, toMs } : undefined;
  }
  const parsed = TimeRangeText.safeParse(text);
  return parsed.success ? parsed.data : undefined;
}
