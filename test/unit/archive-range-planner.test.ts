import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fallbackFor, planRange } from '../../src/actors/archive/index.ts';
import type { FilePiece, RangePiece } from '../../src/actors/archive/index.ts';
import { createPrng } from '../../src/system/exchange-simulator/prng.ts';

const DAY = 86_400_000;
const t = (iso: string): number => Date.parse(iso.includes('T') ? iso : `${iso}T00:00:00Z`);

/** Pieces in a compact form: `M 2024-06`, `D 2024-05-16`, `R <from>..<to>` (ISO minutes). */
function show(pieces: readonly RangePiece[]): string[] {
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16);
  return pieces.map((p) => {
    if (p.source === 'monthly') return `M ${p.month}`;
    if (p.source === 'daily') return `D ${p.day}`;
    return `R ${iso(p.fromMs)}..${iso(p.toMs)}`;
  });
}

const days = (from: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `D ${new Date(t(from) + i * DAY).toISOString().slice(0, 10)}`);

/** Checks what every plan must satisfy: ordered, contiguous, covering [max(from, listing), to), files only where published. */
function assertWellFormed(pieces: readonly RangePiece[], fromMs: number, toMs: number, nowMs: number, listedAtMs = -Infinity): void {
  const start = Math.max(fromMs, listedAtMs);
  if (toMs <= start) {
    assert.deepEqual(pieces, []);
    return;
  }
  assert.equal(pieces[0]?.fromMs, start, 'starts at the range start (or the listing)');
  assert.equal(pieces.at(-1)?.toMs, toMs, 'ends at the range end');
  pieces.forEach((p, i) => {
    assert.ok(p.fromMs < p.toMs, `piece ${i} is not empty`);
    if (i > 0) assert.equal(p.fromMs, pieces[i - 1]?.toMs, `piece ${i} follows piece ${i - 1}`);
    if (i > 0 && p.source === 'rest') assert.notEqual(pieces[i - 1]?.source, 'rest', 'adjacent REST pieces are merged');
    if (p.source === 'monthly') {
      const monthStart = t(`${p.month}-01`);
      const d = new Date(monthStart);
      const monthEnd = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
      assert.equal(p.fromMs, Math.max(monthStart, listedAtMs));
      assert.equal(p.toMs, monthEnd);
      const n = new Date(nowMs);
      assert.ok(monthEnd <= Date.UTC(n.getUTCFullYear(), n.getUTCMonth(), 1), `${p.month} ended before now's month`);
    }
    if (p.source === 'daily') {
      assert.equal(p.fromMs, Math.max(t(p.day), listedAtMs));
      assert.equal(p.toMs, t(p.day) + DAY);
      assert.ok(p.toMs <= Math.floor(nowMs / DAY) * DAY, `${p.day} ended before now's day`);
    }
  });
}

/** REST only where no published whole day lies, a day only where its month could not be taken whole. */
function assertNoFileMissed(pieces: readonly RangePiece[], startMs: number, toMs: number, nowMs: number): void {
  const today = Math.floor(nowMs / DAY) * DAY;
  const n = new Date(nowMs);
  const thisMonth = Date.UTC(n.getUTCFullYear(), n.getUTCMonth(), 1);
  for (const p of pieces) {
    if (p.source === 'rest') {
      for (let d = Math.ceil(p.fromMs / DAY) * DAY; d + DAY <= p.toMs; d += DAY) {
        assert.ok(d + DAY > today, `REST piece ${new Date(p.fromMs).toISOString()} holds the published day ${new Date(d).toISOString()}`);
      }
    }
    if (p.source === 'daily') {
      const d = new Date(p.fromMs);
      const monthStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
      const monthEnd = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
      const whole = monthStart >= startMs || (p.fromMs === startMs && p.fromMs !== t(p.day));
      assert.ok(!(whole && monthEnd <= toMs && monthEnd <= thisMonth), `day ${p.day} belongs to a month that could be read whole`);
    }
  }
}

describe('planRange', () => {
  it('takes whole months from monthly files, other whole days from daily files, partial days over REST', () => {
    const opts = { fromMs: t('2024-05-15T12:00:00Z'), toMs: t('2024-08-10T06:00:00Z'), nowMs: t('2024-09-20T08:00:00Z') };
    const pieces = planRange(opts);
    assert.deepEqual(show(pieces), [
      'R 2024-05-15T12:00..2024-05-16T00:00',
      ...days('2024-05-16', 16),
      'M 2024-06',
      'M 2024-07',
      ...days('2024-08-01', 9),
      'R 2024-08-10T00:00..2024-08-10T06:00',
    ]);
    assertWellFormed(pieces, opts.fromMs, opts.toMs, opts.nowMs);
    assert.deepEqual(pieces[0], { source: 'rest', fromMs: opts.fromMs, toMs: t('2024-05-16') });
    assert.deepEqual(pieces[17], { source: 'monthly', month: '2024-06', fromMs: t('2024-06-01'), toMs: t('2024-07-01') });
  });

  it('uses the month just ended, days of the current month that ended, and REST for today', () => {
    const nowMs = t('2024-08-05T10:00:00Z');
    const pieces = planRange({ fromMs: t('2024-07-01'), toMs: nowMs, nowMs });
    assert.deepEqual(show(pieces), ['M 2024-07', ...days('2024-08-01', 4), 'R 2024-08-05T00:00..2024-08-05T10:00']);
  });

  it('takes days, not a month, for the current month, and REST from today to a range end in the future', () => {
    const nowMs = t('2024-07-20T13:30:00Z');
    const pieces = planRange({ fromMs: t('2024-06-01'), toMs: t('2024-09-01'), nowMs });
    assert.deepEqual(show(pieces), ['M 2024-06', ...days('2024-07-01', 19), 'R 2024-07-20T00:00..2024-09-01T00:00']);
    assertWellFormed(pieces, t('2024-06-01'), t('2024-09-01'), nowMs);
  });

  it('reads a range wholly in the future, or within today, over REST', () => {
    const nowMs = t('2024-07-20T13:30:00Z');
    assert.deepEqual(show(planRange({ fromMs: t('2024-08-01'), toMs: t('2024-08-02'), nowMs })), ['R 2024-08-01T00:00..2024-08-02T00:00']);
    assert.deepEqual(show(planRange({ fromMs: t('2024-07-20T01:00:00Z'), toMs: t('2024-07-20T02:00:00Z'), nowMs })), [
      'R 2024-07-20T01:00..2024-07-20T02:00',
    ]);
  });

  it('handles ranges within one day: a partial day over REST, a whole past day from its file', () => {
    const nowMs = t('2024-07-20T13:30:00Z');
    assert.deepEqual(show(planRange({ fromMs: t('2024-03-10T05:00:00Z'), toMs: t('2024-03-10T07:00:00Z'), nowMs })), [
      'R 2024-03-10T05:00..2024-03-10T07:00',
    ]);
    assert.deepEqual(show(planRange({ fromMs: t('2024-03-10'), toMs: t('2024-03-11'), nowMs })), ['D 2024-03-10']);
    assert.deepEqual(show(planRange({ fromMs: t('2024-03-10'), toMs: t('2024-03-10T23:59:59.999Z'), nowMs })), [
      'R 2024-03-10T00:00..2024-03-10T23:59',
    ]);
    assert.deepEqual(planRange({ fromMs: t('2024-03-10'), toMs: t('2024-03-10'), nowMs }), []);
    assert.deepEqual(planRange({ fromMs: t('2024-03-11'), toMs: t('2024-03-10'), nowMs }), []);
  });

  it('knows month lengths, leap years included', () => {
    const nowMs = t('2025-01-15');
    const pieces = planRange({ fromMs: t('2023-12-31'), toMs: t('2024-03-02'), nowMs });
    assert.deepEqual(show(pieces), ['D 2023-12-31', 'M 2024-01', 'M 2024-02', 'D 2024-03-01']);
    assert.equal(pieces[2]?.toMs, t('2024-03-01'));
    assert.equal(fallbackFor(pieces[2] as FilePiece, { nowMs }).length, 29, 'February 2024 has 29 days');
    const feb2023 = planRange({ fromMs: t('2023-02-01'), toMs: t('2023-03-01'), nowMs });
    assert.deepEqual(show(feb2023), ['M 2023-02']);
    assert.equal(fallbackFor(feb2023[0] as FilePiece, { nowMs }).length, 28, 'February 2023 has 28 days');
    assert.deepEqual(show(planRange({ fromMs: t('2100-02-01'), toMs: t('2100-03-01'), nowMs: t('2100-06-01') })), ['M 2100-02']);
    assert.equal(planRange({ fromMs: t('2100-02-01'), toMs: t('2100-03-01'), nowMs: t('2100-06-01') })[0]?.toMs, t('2100-03-01'), '2100 is not a leap year');
  });

  it('reads whole months as days when monthly files are not wanted (trades)', () => {
    const pieces = planRange({ fromMs: t('2024-06-30'), toMs: t('2024-08-01'), nowMs: t('2024-09-20'), monthly: false });
    assert.deepEqual(show(pieces), days('2024-06-30', 32));
  });

  it('asks for no daily files when the archive has none (klines over 1d): days outside whole months go over REST', () => {
    const nowMs = t('2024-09-20T08:00:00Z');
    const opts = { fromMs: t('2024-05-15T12:00:00Z'), toMs: t('2024-09-18'), nowMs, daily: false };
    const pieces = planRange(opts);
    assert.deepEqual(show(pieces), ['R 2024-05-15T12:00..2024-06-01T00:00', 'M 2024-06', 'M 2024-07', 'M 2024-08', 'R 2024-09-01T00:00..2024-09-18T00:00']);
    assertWellFormed(pieces, opts.fromMs, opts.toMs, nowMs);
    assert.deepEqual(show(fallbackFor(pieces[2] as FilePiece, { nowMs, daily: false })), ['R 2024-07-01T00:00..2024-08-01T00:00'], 'a missing month goes over REST whole');
    assert.deepEqual(show(planRange({ ...opts, monthly: false })), ['R 2024-05-15T12:00..2024-09-18T00:00'], 'no files at all');
  });

  it('crosses a year boundary', () => {
    const pieces = planRange({ fromMs: t('2024-11-30T18:00:00Z'), toMs: t('2025-02-01'), nowMs: t('2025-06-01') });
    assert.deepEqual(show(pieces), ['R 2024-11-30T18:00..2024-12-01T00:00', 'M 2024-12', 'M 2025-01']);
  });

  it('starts at the listing: nothing before it, and the listing period is whole from there', () => {
    const listedAtMs = t('2024-03-10T15:00:00Z');
    const nowMs = t('2024-09-01');
    const pieces = planRange({ fromMs: t('2024-01-01'), toMs: t('2024-06-01'), nowMs, listedAtMs });
    assert.deepEqual(show(pieces), ['M 2024-03', 'M 2024-04', 'M 2024-05']);
    assert.equal(pieces[0]?.fromMs, listedAtMs);
    assertWellFormed(pieces, t('2024-01-01'), t('2024-06-01'), nowMs, listedAtMs);
    // Listed in the current month: its days, the listing day from the listing.
    const recent = planRange({ fromMs: t('2024-08-01'), toMs: t('2024-08-05'), nowMs: t('2024-08-10'), listedAtMs: t('2024-08-02T12:00:00Z') });
    assert.deepEqual(show(recent), ['D 2024-08-02', 'D 2024-08-03', 'D 2024-08-04']);
    assert.equal(recent[0]?.fromMs, t('2024-08-02T12:00:00Z'));
    // Starting after the listing, mid-day: that day is partial.
    const after = planRange({ fromMs: t('2024-08-03T06:00:00Z'), toMs: t('2024-08-05'), nowMs: t('2024-08-10'), listedAtMs: t('2024-08-02T12:00:00Z') });
    assert.deepEqual(show(after), ['R 2024-08-03T06:00..2024-08-04T00:00', 'D 2024-08-04']);
    // A range wholly before the listing has nothing to read.
    assert.deepEqual(planRange({ fromMs: t('2020-01-01'), toMs: t('2021-01-01'), nowMs, listedAtMs }), []);
  });

  it('always yields a well-formed plan (random ranges, clocks and listings)', () => {
    const random = createPrng(42);
    const base = t('2023-06-01');
    for (let i = 0; i < 500; i++) {
      const fromMs = base + Math.floor(random() * 500 * DAY);
      const toMs = fromMs + Math.floor(random() * 200 * DAY) - 10 * DAY;
      const nowMs = base + Math.floor(random() * 800 * DAY);
      const listedAtMs = random() < 0.5 ? undefined : base + Math.floor(random() * 400 * DAY);
      const pieces = planRange({ fromMs, toMs, nowMs, listedAtMs });
      assertWellFormed(pieces, fromMs, toMs, nowMs, listedAtMs);
      assertNoFileMissed(pieces, Math.max(fromMs, listedAtMs ?? -Infinity), toMs, nowMs);
      for (const p of pieces) {
        if (p.source === 'rest') continue;
        const fallback = fallbackFor(p, { nowMs, listedAtMs });
        assertWellFormed(fallback, p.fromMs, p.toMs, nowMs, listedAtMs);
        assert.ok(fallback.every((f) => f.source !== 'monthly'), 'a fallback never takes a month again');
      }
    }
  });
});

describe('fallbackFor', () => {
  it('replaces a month by its days and a day by REST', () => {
    const nowMs = t('2024-09-20');
    const [july] = planRange({ fromMs: t('2024-07-01'), toMs: t('2024-08-01'), nowMs }) as FilePiece[];
    assert.ok(july);
    assert.deepEqual(show(fallbackFor(july, { nowMs })), days('2024-07-01', 31));
    const day = { source: 'daily', day: '2024-07-04', fromMs: t('2024-07-04'), toMs: t('2024-07-05') } as const;
    assert.deepEqual(fallbackFor(day, { nowMs }), [{ source: 'rest', fromMs: t('2024-07-04'), toMs: t('2024-07-05') }]);
  });

  it('keeps the listing: the listing day is read from the listing on', () => {
    const listedAtMs = t('2024-07-10T15:00:00Z');
    const nowMs = t('2024-09-20');
    const [july] = planRange({ fromMs: t('2024-07-01'), toMs: t('2024-08-01'), nowMs, listedAtMs }) as FilePiece[];
    assert.equal(july?.fromMs, listedAtMs);
    const days = fallbackFor(july, { nowMs, listedAtMs });
    assert.equal(days.length, 22);
    assert.deepEqual(days[0], { source: 'daily', day: '2024-07-10', fromMs: listedAtMs, toMs: t('2024-07-11') });
  });
});
