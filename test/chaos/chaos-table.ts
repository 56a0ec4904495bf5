import { verdictOf } from './chaos-experiment.ts';
import type { ChaosMeasurement, ChaosProfile, ChaosRow } from './chaos-experiment.ts';

/** The `--json` report. */
export interface ChaosReport {
  readonly profile: ChaosProfile;
  /** ISO 8601 */
  readonly started: string;
  readonly experiments: readonly ChaosRow[];
}

/** The nearest-rank percentile `p` (0..100) of `values`; null when there are none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? null;
}

/** One experiment's row: its counts, recovery p50/max, and the verdict the contract derives. */
export function rowOf(name: string, m: ChaosMeasurement): ChaosRow {
  return {
    name,
    faults: m.faults,
    workflows: m.workflows,
    expected: m.expected,
    stored: m.stored,
    missing: m.missing,
    duplicated: m.duplicated,
    recovery_ms_p50: percentile(m.recoveryMs, 50),
    recovery_ms_max: percentile(m.recoveryMs, 100),
    restarts: m.restarts,
    verdict: verdictOf(m),
  };
}

/** The row of an experiment that threw: nothing measured, `fail`. */
export function failedRow(name: string): ChaosRow {
  return { name, faults: 0, workflows: 0, expected: 0, stored: 0, missing: 0, duplicated: 0, recovery_ms_p50: null, recovery_ms_max: null, restarts: 0, verdict: 'fail' };
}

const HEADERS = ['experiment', 'faults', 'workflows', 'expected', 'stored', 'missing', 'duplicated', 'recovery p50/max', 'restarts', 'verdict'] as const;

/** The rows as an aligned text table (names left, numbers right), one line per experiment. */
export function formatTable(rows: readonly ChaosRow[]): string {
  const ms = (v: number | null) => (v === null ? '-' : `${v} ms`);
  const cells = rows.map((r) => [
    r.name,
    String(r.faults),
    String(r.workflows),
    String(r.expected),
    String(r.stored),
    String(r.missing),
    String(r.duplicated),
    `${ms(r.recovery_ms_p50)} / ${ms(r.recovery_ms_max)}`,
    String(r.restarts),
    r.verdict,
  ]);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: readonly string[]) =>
    c.map((text, i) => (i === 0 || i === c.length - 1 ? text.padEnd(widths[i] ?? 0) : text.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(HEADERS), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}
