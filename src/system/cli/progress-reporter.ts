import type { Workflow } from '../../protocol/index.ts';
import { Targets } from '../../protocol/index.ts';
import type { CliIo } from './cli-io.ts';

/**
 * Shows a workflow's progress: a redrawn bar (records, rate, ETA) on a TTY, a plain line every
 * few seconds otherwise, so logs and CI output stay readable.
 */
export class ProgressReporter {
  readonly #io: CliIo;
  readonly #tty: boolean;
  readonly #enabled: boolean;
  readonly #startedAt = Date.now();
  #lastLineAt = 0;
  #samples: Array<{ t: number; n: number }> = [];
  #drawn = false;

  constructor(io: CliIo, enabled: boolean) {
    this.#io = io;
    this.#enabled = enabled;
    this.#tty = enabled && io.err.isTTY === true;
  }

  update(wf: Workflow): void {
    const written = wf.stages[Targets.connector]?.records ?? 0;
    const expected = wf.stages[Targets.loader]?.expected_records;
    const now = Date.now();
    this.#samples.push({ t: now, n: written });
    this.#samples = this.#samples.filter((s) => now - s.t <= 5_000);
    const first = this.#samples[0];
    const rate = first && now > first.t ? ((written - first.n) * 1000) / (now - first.t) : 0;
    const eta = expected !== undefined && rate > 0 ? Math.max(0, (expected - written) / rate) : undefined;
    if (this.#tty) {
      const ratio = expected ? Math.min(1, written / expected) : 0;
      const width = 24;
      const filled = Math.round(ratio * width);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
      const pct = expected ? `${Math.floor(ratio * 100)}%`.padStart(4) : ' ...';
      const of = expected ? `/${fmt(expected)}` : '';
      this.#io.err.write(`\r${bar} ${pct} ${fmt(written)}${of} candles  ${fmt(Math.round(rate))}/s  ETA ${eta === undefined ? '--' : duration(eta)}  [${wf.status}]\u001b[K`);
      this.#drawn = true;
    } else if (this.#enabled && now - this.#lastLineAt >= 2_000) {
      this.#lastLineAt = now;
      const of = expected ? `/${expected}` : '';
      this.#io.err.write(`progress ${wf.queue_id} status=${wf.status} records=${written}${of} rate=${Math.round(rate)}/s eta=${eta === undefined ? '-' : duration(eta)}\n`);
    }
  }

  finish(): void {
    if (this.#drawn) this.#io.err.write('\n');
  }

  elapsedSeconds(): number {
    return (Date.now() - this.#startedAt) / 1000;
  }
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

function duration(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m}m${String(Math.ceil(seconds % 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
