import { statusBlockOf } from '../observability/index.ts';
import type { CliIo } from './cli-io.ts';
import type { WorkflowCount } from './workflow-count.ts';

/** One line of the display: a workflow (see `workflowProgress`), an audit, anything that counts its way to an end. */
export interface ProgressItem {
  /** Stable across updates: the rate is measured per id. */
  readonly id: string;
  readonly label: string;
  readonly status: string;
  readonly count: WorkflowCount;
}

export interface ProgressDisplayOptions {
  /** Off with `--no-progress`. */
  readonly enabled: boolean;
  /** Milliseconds now (the clock's). */
  readonly now: () => number;
  /** Between two plain progress lines when not on a terminal. @defaultValue 2000 */
  readonly plainEveryMs?: number;
  /** Between two redraws on a terminal. @defaultValue 100 */
  readonly redrawEveryMs?: number;
}

/** Rates are measured over this much recent time. */
const RATE_WINDOW_MS = 5_000;
const BAR_WIDTH = 20;

interface Row {
  readonly label: string;
  readonly status: string;
  readonly count: WorkflowCount;
  readonly rate: number;
}

/**
 * The CLI's one progress printer. Shows how one workflow or several are doing, each in its own unit (`candles`, `trades`, `depth
 * updates and book snapshots`, `graph snapshots`, `epochs`) with a rate and an ETA, plus a total when
 * there are several: on a terminal a block of bars redrawn in place (log lines print above it), else
 * plain lines at most every 2 s, so logs and CI output stay readable.
 */
export class ProgressDisplay {
  readonly #io: CliIo;
  readonly #options: ProgressDisplayOptions;
  readonly #tty: boolean;
  readonly #startedAt: number;
  readonly #samples = new Map<string, Array<{ readonly t: number; readonly n: number }>>();
  #lastAt = Number.NEGATIVE_INFINITY;
  /** Lines not drawn yet (a redraw came too soon): drawn by `finish`. */
  #pending: readonly string[] | undefined;
  #shown = false;

  constructor(io: CliIo, options: ProgressDisplayOptions) {
    this.#io = io;
    this.#options = options;
    this.#tty = io.err.isTTY === true;
    this.#startedAt = options.now();
  }

  update(items: readonly ProgressItem[]): void {
    if (!this.#options.enabled || items.length === 0) return;
    const now = this.#options.now();
    const rows = items.map((item) => this.#row(item, now));
    if (rows.length > 1) rows.push(total(rows));
    const due = now - this.#lastAt >= (this.#tty ? (this.#options.redrawEveryMs ?? 100) : (this.#options.plainEveryMs ?? 2_000));
    if (this.#tty) {
      const width = Math.max(...rows.map((r) => r.label.length));
      this.#pending = rows.map((r) => barLine(r, width));
      if (due) this.#draw();
    } else if (due) {
      this.#io.err.write(rows.map((r) => `${plainLine(r)}\n`).join(''));
    }
    if (due) this.#lastAt = now;
  }

  /** Draws the last state and leaves it on the screen; what is written next goes below it. */
  finish(): void {
    if (this.#pending !== undefined) this.#draw();
    if (this.#shown) statusBlockOf(this.#io.err).release();
    this.#shown = false;
  }

  #draw(): void {
    if (this.#pending === undefined) return;
    statusBlockOf(this.#io.err).show(this.#pending);
    this.#pending = undefined;
    this.#shown = true;
  }

  elapsedSeconds(): number {
    return (this.#options.now() - this.#startedAt) / 1000;
  }

  #row(item: ProgressItem, now: number): Row {
    const { count } = item;
    const samples = (this.#samples.get(item.id) ?? []).filter((s) => now - s.t <= RATE_WINDOW_MS);
    samples.push({ t: now, n: count.done });
    this.#samples.set(item.id, samples);
    const first = samples[0];
    const rate = first !== undefined && now > first.t ? ((count.done - first.n) * 1000) / (now - first.t) : 0;
    return { label: item.label, status: item.status, count, rate };
  }
}

function total(rows: readonly Row[]): Row {
  const units = new Set(rows.map((r) => r.count.unit));
  const allExpected = rows.every((r) => r.count.expected !== undefined);
  return {
    label: 'total',
    status: `${rows.filter((r) => r.status === 'completed').length}/${rows.length} done`,
    count: {
      done: rows.reduce((n, r) => n + r.count.done, 0),
      expected: allExpected ? rows.reduce((n, r) => n + (r.count.expected ?? 0), 0) : undefined,
      unit: units.size === 1 ? [...units][0] ?? 'records' : 'records',
    },
    rate: rows.reduce((n, r) => n + r.rate, 0),
  };
}

function eta(r: Row): number | undefined {
  const { done, expected } = r.count;
  return expected !== undefined && r.rate > 0 ? Math.max(0, (expected - done) / r.rate) : undefined;
}

function barLine(r: Row, labelWidth: number): string {
  const { done, expected, unit } = r.count;
  const ratio = expected ? Math.min(1, done / expected) : 0;
  const filled = Math.round(ratio * BAR_WIDTH);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`;
  const pct = expected ? `${Math.floor(ratio * 100)}%`.padStart(4) : ' ...';
  const of = expected ? `/${fmt(expected)}` : '';
  const left = eta(r);
  return `${r.label.padEnd(labelWidth)} ${bar} ${pct} ${fmt(done)}${of} ${unit}  ${fmt(Math.round(r.rate))}/s  ETA ${left === undefined ? '--' : duration(left)}  [${r.status}]`;
}

function plainLine(r: Row): string {
  const { done, expected, unit } = r.count;
  const left = eta(r);
  return `progress ${r.label}: ${r.status}, ${done}${expected !== undefined ? `/${expected}` : ''} ${unit}, ${Math.round(r.rate)}/s, eta ${left === undefined ? '-' : duration(left)}`;
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

function duration(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m}m${String(Math.ceil(seconds % 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
