/** The calendar period one archive file covers: a UTC month (`2024-07`) or a UTC day (`2024-08-01`). */
export type ArchivePeriod = { readonly source: 'monthly'; readonly month: string } | { readonly source: 'daily'; readonly day: string };

export const DAY_MS = 86_400_000;

/** Start of the UTC day holding `ms`. */
export function startOfDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** Start of the UTC month holding `ms`. */
export function startOfMonth(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** Start of the UTC month after the one holding `ms`. */
export function startOfNextMonth(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** `YYYY-MM` of the UTC month holding `ms`. */
export function monthText(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

/** `YYYY-MM-DD` of the UTC day holding `ms`. */
export function dayText(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** [startMs, endMs) of a period. */
export function periodBounds(period: ArchivePeriod): { readonly startMs: number; readonly endMs: number } {
  if (period.source === 'monthly') {
    const startMs = Date.parse(`${period.month}-01T00:00:00Z`);
    return { startMs, endMs: startOfNextMonth(startMs) };
  }
  const startMs = Date.parse(`${period.day}T00:00:00Z`);
  return { startMs, endMs: startMs + DAY_MS };
}

/** The period's name as it appears in file names. */
export function periodText(period: ArchivePeriod): string {
  return period.source === 'monthly' ? period.month : period.day;
}
