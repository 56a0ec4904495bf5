import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { zipSync } from 'fflate';
import { archiveChecksumUrl, archiveFileName, archiveFileUrl, ArchiveFileCorruptError, readArchiveFile } from '../../src/actors/archive/index.ts';
import type { ArchiveFileRef } from '../../src/actors/archive/index.ts';
import type { HttpBytesResponse, HttpClient } from '../../src/actors/index.ts';
import { ErrorCodes, ExchangeError } from '../../src/protocol/index.ts';
import { ArchiveCache } from '../../src/system/exchange-simulator/archive-cache.ts';
import { serveArchive } from '../../src/system/exchange-simulator/archive-server.ts';
import type { ArchiveContext } from '../../src/system/exchange-simulator/archive-server.ts';
import type { ArchiveBombSpec } from '../../src/system/exchange-simulator/archive-bomb.ts';
import { holesFor } from '../../src/system/exchange-simulator/holes.ts';
import { csvSizeLimit } from '../../src/actors/archive/csv-size-limit.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { testStageSettings } from '../helpers/stage-settings.ts';

const BASE = 'https://archive.test';
const t = (iso: string): number => Date.parse(`${iso}T00:00:00Z`);
const log = pino({ level: 'silent' });

function context(overrides: Partial<ArchiveContext> = {}): ArchiveContext {
  return {
    seed: 5,
    nowMs: t('2025-03-10') + 3_600_000,
    listedAtMs: new Map([['BTCUSDT', t('2017-01-01')]]),
    holes: new Map([['BTCUSDT', holesFor('BTCUSDT', [])]]),
    missing: new Set(),
    corrupt: new Set(),
    ...overrides,
  };
}

type Handler = (path: string) => HttpBytesResponse | Promise<HttpBytesResponse>;

/** An HttpClient answering archive URLs with `handler` (by default the simulator's archive server), recording paths. */
function archiveHttp(handler: Handler): HttpClient & { paths: string[] } {
  const paths: string[] = [];
  return {
    paths,
    get: () => Promise.reject(new Error('the archive reader uses getBytes')),
    getBytes: async (url) => {
      const path = new URL(url).pathname;
      paths.push(path);
      return handler(path);
    },
  };
}

function simulator(ctx: ArchiveContext): Handler {
  return (path) => {
    const reply = serveArchive(path, ctx);
    return { status: reply.status, headers: { 'content-type': reply.contentType }, body: new Uint8Array(reply.body) };
  };
}

const july: ArchiveFileRef = { symbol: 'BTCUSDT', kind: 'klines', interval: '1m', period: { source: 'monthly', month: '2024-07' } };
const day: ArchiveFileRef = { symbol: 'BTCUSDT', kind: 'klines', interval: '1h', period: { source: 'daily', day: '2024-08-01' } };

/** Three attempts per download, as the loader's default `archiveDownload` policy has it. */
function options(http: HttpClient, clock = new FakeClock(0)) {
  return { http, clock, log, baseUrl: BASE, retry: testStageSettings().retry.archiveDownload };
}

describe('archive paths', () => {
  it('lays files out as data.binance.vision does', () => {
    assert.equal(archiveFileName(july), 'BTCUSDT-1m-2024-07.zip');
    assert.equal(archiveFileUrl(BASE, july), `${BASE}/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-07.zip`);
    assert.equal(archiveChecksumUrl(`${BASE}/`, july), `${BASE}/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-07.zip.CHECKSUM`);
    assert.equal(archiveFileUrl(BASE, day), `${BASE}/data/spot/daily/klines/BTCUSDT/1h/BTCUSDT-1h-2024-08-01.zip`);
    const trades: ArchiveFileRef = { symbol: 'ETHUSDT', kind: 'aggTrades', period: { source: 'daily', day: '2024-08-01' } };
    assert.equal(archiveFileUrl(BASE, trades), `${BASE}/data/spot/daily/aggTrades/ETHUSDT/ETHUSDT-aggTrades-2024-08-01.zip`);
    const monthlyTrades: ArchiveFileRef = { ...trades, period: { source: 'monthly', month: '2024-07' } };
    assert.equal(archiveFileUrl(BASE, monthlyTrades), `${BASE}/data/spot/monthly/aggTrades/ETHUSDT/ETHUSDT-aggTrades-2024-07.zip`);
    const months: ArchiveFileRef = { ...july, interval: '1M' };
    assert.equal(archiveFileUrl(BASE, months), `${BASE}/data/spot/monthly/klines/BTCUSDT/1mo/BTCUSDT-1mo-2024-07.zip`, 'the archive says 1mo');
  });
});

describe('readArchiveFile', () => {
  it('downloads the checksum and the zip, verifies the SHA-256 and returns the CSV', async () => {
    const http = archiveHttp(simulator(context()));
    const result = await readArchiveFile(july, options(http));
    assert.equal(result.outcome, 'ok');
    assert.ok(result.outcome === 'ok');
    assert.equal(result.file, 'BTCUSDT-1m-2024-07.zip');
    assert.equal(new TextDecoder().decode(result.csv).trimEnd().split('\n').length, 31 * 1440);
    assert.deepEqual(http.paths, [
      '/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-07.zip.CHECKSUM',
      '/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-07.zip',
    ]);
  });

  it('reports a file whose bytes do not match its .CHECKSUM as corrupt, not retriable', async () => {
    const http = archiveHttp(simulator(context({ corrupt: new Set(['BTCUSDT-1m-2024-07.zip']) })));
    const result = await readArchiveFile(july, options(http));
    assert.equal(result.outcome, 'corrupt');
    assert.ok(result.outcome === 'corrupt');
    assert.ok(result.error instanceof ArchiveFileCorruptError);
    assert.equal(result.error.file, 'BTCUSDT-1m-2024-07.zip');
    assert.equal(result.error.retriable, false);
    assert.equal(result.error.code, ErrorCodes.ARCHIVE_FILE_CORRUPT);
    assert.match(result.error.message, /BTCUSDT-1m-2024-07\.zip is corrupt: SHA-256 [0-9a-f]{64} does not match its \.CHECKSUM [0-9a-f]{64}/);
    assert.equal(http.paths.length, 2, 'no retry: the same bytes would come back');
  });

  it('reports a truncated zip whose checksum matches, a checksum naming another file, and a garbled checksum as corrupt', async () => {
    const zip = zipSync({ 'BTCUSDT-1m-2024-07.csv': new TextEncoder().encode('1,2,3\n') });
    const truncated = zip.subarray(0, zip.length - 30);
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    const cases: Array<[Uint8Array, string, RegExp]> = [
      [truncated, `${sha(truncated)}  BTCUSDT-1m-2024-07.zip\n`, /does not unzip/],
      [zip, `${sha(zip)}  BTCUSDT-1m-2024-06.zip\n`, /its \.CHECKSUM names BTCUSDT-1m-2024-06\.zip/],
      [zip, 'not a checksum\n', /its \.CHECKSUM is not/],
      [zipSync({ 'other.csv': new Uint8Array(), 'more.csv': new Uint8Array() }), '', /it holds 2 entries \(other\.csv, more\.csv\); expected one, BTCUSDT-1m-2024-07\.csv/],
      [zipSync({ 'BTCUSDT-1m-2024-07.csv': new TextEncoder().encode('1,2\n'), 'more.csv': new Uint8Array() }), '', /it holds 2 entries/],
      [zipSync({}), '', /expected BTCUSDT-1m-2024-07\.csv inside, found nothing/],
    ];
    for (const [body, checksum, error] of cases) {
      const text = checksum === '' ? `${sha(body)}  BTCUSDT-1m-2024-07.zip\n` : checksum;
      const http = archiveHttp((path) => ({
        status: 200,
        headers: {},
        body: path.endsWith('.CHECKSUM') ? new TextEncoder().encode(text) : body,
      }));
      const result = await readArchiveFile(july, options(http));
      assert.ok(result.outcome === 'corrupt', `${error}: ${result.outcome}`);
      assert.match(result.error.message, error);
    }
  });

  it('accepts a checksum with CRLF and upper-case hex, and a zip whose only entry has another name', async () => {
    const zip = zipSync({ 'renamed.csv': new TextEncoder().encode('x\n') });
    const checksum = `${createHash('sha256').update(zip).digest('hex').toUpperCase()}  BTCUSDT-1m-2024-07.zip\r\n`;
    const http = archiveHttp((path) => ({ status: 200, headers: {}, body: path.endsWith('.CHECKSUM') ? new TextEncoder().encode(checksum) : zip }));
    const result = await readArchiveFile(july, options(http));
    assert.ok(result.outcome === 'ok');
    assert.equal(new TextDecoder().decode(result.csv), 'x\n');
  });

  it('reports a file that is not published as missing, asking for the zip and its checksum at once', async () => {
    for (const [ref, ctx] of [
      [july, context({ missing: new Set(['BTCUSDT-1m-2024-07.zip']) })],
      [{ ...july, period: { source: 'monthly', month: '2025-03' } }, context()],
      [{ ...july, period: { source: 'monthly', month: '2016-12' } }, context()],
    ] as const) {
      const http = archiveHttp(simulator(ctx));
      const result = await readArchiveFile(ref, options(http));
      assert.deepEqual(result, { outcome: 'missing', file: archiveFileName(ref), reason: 'HTTP 404', unreachable: false });
      assert.deepEqual(http.paths.map((p) => p.endsWith('.CHECKSUM')).sort(), [false, true], 'one request each, in parallel');
    }
  });

  it('retries 5xx, 429 and network errors with backoff, and counts a file still unreachable as missing', async () => {
    const ok = simulator(context());
    let calls = 0;
    const flaky = archiveHttp((path) => {
      calls++;
      if (calls === 1) return { status: 503, headers: {}, body: new Uint8Array() };
      if (calls === 2) throw new ExchangeError(ErrorCodes.EXCHANGE_UNREACHABLE, 'cannot reach archive.test', { retriable: true });
      if (calls === 4) return { status: 429, headers: {}, body: new Uint8Array() };
      return ok(path);
    });
    const clock = new FakeClock(0);
    const result = await readArchiveFile(day, options(flaky, clock));
    assert.equal(result.outcome, 'ok');
    assert.equal(clock.sleeps.length, 3);

    const down = archiveHttp(() => ({ status: 502, headers: {}, body: new Uint8Array() }));
    const missing = await readArchiveFile(day, options(down));
    assert.equal(missing.outcome, 'missing');
    assert.ok(missing.outcome === 'missing');
    assert.match(missing.reason, /HTTP 502/);
    assert.equal(missing.unreachable, true, 'an answer that is only ever an error is no "not published"');
    assert.equal(down.paths.length, 6, 'maxAttempts for the zip and for its checksum');

    const refused = archiveHttp(() => ({ status: 400, headers: {}, body: new Uint8Array() }));
    assert.equal((await readArchiveFile(day, options(refused))).outcome, 'missing');
    assert.equal(refused.paths.length, 2, 'a 400 is not retried: one request for the zip, one for its checksum');
  });

  it('ends an attempt that takes too long, even if the HTTP client ignores its signal, and warns of the unreachable file', { timeout: 10_000 }, async () => {
    const signals: AbortSignal[] = [];
    // Never answers and ignores its signal: only the attempt's own deadline can end it.
    const stalled = archiveHttp(() => new Promise<never>(() => undefined));
    const lines: Array<{ level: number; msg: string; file?: string }> = [];
    const warnLog = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) });
    const clock = new FakeClock(0, { sleeps: 'timer' });
    // Backoffs without jitter: the zip's and the checksum's attempts go in step, as each is tried its 3 times.
    const inStep = { ...testStageSettings().retry.archiveDownload, jitter: 'none' as const };
    const result = await clock.advanceUntilSettled(readArchiveFile(day, { ...options(stalled, clock), retry: inStep, log: warnLog, attemptTimeoutMs: 50 }));
    assert.ok(result.outcome === 'missing' && result.unreachable, result.outcome);
    assert.match(result.reason, /archive download took over 50 ms/);
    assert.equal(stalled.paths.length, 6, '3 attempts at the zip and 3 at its checksum');
    assert.equal(clock.sleeps.length, 4, 'backoff between attempts');
    assert.deepEqual(
      lines.filter((l) => l.level === 40).map((l) => [l.msg, l.file]),
      [['archive file unreachable: falling back', 'BTCUSDT-1h-2024-08-01.zip']],
      'logged at warn, not debug: a wrong archive URL must show',
    );

    // When one of the two downloads fails for good, the other one is ended: its bytes are of no use.
    const oneFails = archiveHttp((path) => {
      if (path.endsWith('.CHECKSUM')) return { status: 400, headers: {}, body: new Uint8Array() };
      return new Promise<never>(() => undefined);
    });
    const http: HttpClient = {
      get: (url, opts) => oneFails.get(url, opts),
      getBytes: (url, opts) => {
        if (opts?.signal) signals.push(opts.signal);
        return oneFails.getBytes(url, opts);
      },
    };
    const refused = await readArchiveFile(day, options(http));
    assert.ok(refused.outcome === 'missing' && refused.unreachable);
    assert.equal(signals.length, 2);
    assert.ok(signals.every((s) => s.aborted), 'the zip download was aborted');
  });

  describe('zip bombs and oversized files, each with a .CHECKSUM that matches', () => {
    const bomb = (spec: ArchiveBombSpec) => archiveHttp(simulator(context({ bombs: new Map([['BTCUSDT-1m-2024-07.zip', spec]]) })));

    it('refuses a zip with entries besides the expected one before unzipping any', async () => {
      // The review's bomb: under 1.2 MB zipped, 400 MiB in the expected entry and 5,000 more entries.
      const http = bomb({ unzippedBytes: 400 * 1024 * 1024, extraEntries: 5_000 });
      const result = await readArchiveFile(july, options(http));
      assert.ok(result.outcome === 'corrupt', result.outcome);
      assert.match(result.error.message, /BTCUSDT-1m-2024-07\.zip is corrupt: it holds 5001 entries \(BTCUSDT-1m-2024-07\.csv, extra-00000\.csv, .*…\); expected one, BTCUSDT-1m-2024-07\.csv$/);
      assert.equal(http.paths.length, 2, 'not retried: the same bytes would come back');
    });

    it('refuses an entry that declares more than the bound, and one that inflates past what it declares', async () => {
      const maxCsvBytes = 32 * 1024 * 1024;
      const big = await readArchiveFile(july, { ...options(bomb({ unzippedBytes: 64 * 1024 * 1024 })), maxCsvBytes });
      assert.ok(big.outcome === 'corrupt', big.outcome);
      assert.match(big.error.message, /BTCUSDT-1m-2024-07\.csv declares 6\d{7} bytes unzipped, more than the 33554432 allowed$/);
      // Headers claiming 1 MB: inflating stops just past it, whatever the bound.
      const lying = await readArchiveFile(july, { ...options(bomb({ unzippedBytes: 64 * 1024 * 1024, declaredBytes: 1_000_000 })), maxCsvBytes });
      assert.ok(lying.outcome === 'corrupt', lying.outcome);
      assert.match(lying.error.message, /BTCUSDT-1m-2024-07\.csv inflates to more than the 1000000 bytes it declares$/);
      const short = await readArchiveFile(july, { ...options(bomb({ unzippedBytes: 0, declaredBytes: 30_000_000 })), maxCsvBytes });
      assert.ok(short.outcome === 'corrupt', short.outcome);
      assert.match(short.error.message, /unzips to \d+ bytes, not the 30000000 it declares$/);
    });

    it('reads a file within the bounds whole', async () => {
      const http = archiveHttp(simulator(context()));
      const result = await readArchiveFile(july, { ...options(http), maxCsvBytes: csvSizeLimit(july, 1 << 30), maxZipBytes: 8 * 1024 * 1024 });
      assert.ok(result.outcome === 'ok', result.outcome);
      assert.equal(new TextDecoder().decode(result.csv).trimEnd().split('\n').length, 31 * 1440);
    });

    it('refuses a download over its bound without retrying, whether or not the HTTP client enforces the bound', async () => {
      const zipBytes = serveArchive('/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-07.zip', context()).body.length;
      const asked: Array<number | undefined> = [];
      // A client that ignores maxBytes: the reader checks the length itself.
      const careless = archiveHttp(simulator(context()));
      const http: HttpClient = { get: (url, opts) => careless.get(url, opts), getBytes: (url, opts) => (asked.push(opts?.maxBytes), careless.getBytes(url, opts)) };
      const result = await readArchiveFile(july, { ...options(http), maxZipBytes: zipBytes - 1 });
      assert.ok(result.outcome === 'corrupt', result.outcome);
      assert.match(result.error.message, new RegExp(`BTCUSDT-1m-2024-07\\.zip is larger than the ${zipBytes - 1} bytes allowed`));
      assert.deepEqual(asked.sort((a, b) => (a ?? 0) - (b ?? 0)), [4096, zipBytes - 1], 'each download asks the client for its bound (the checksum a small one)');
      // A client that enforces it, as UndiciHttpClient does.
      const strict = archiveHttp(() => {
        throw new ExchangeError(ErrorCodes.EXCHANGE_RESPONSE_TOO_LARGE, 'archive.test answered 9999 bytes, more than the 10 allowed', { retriable: false });
      });
      const refused = await readArchiveFile(july, { ...options(strict), maxZipBytes: 10 });
      assert.ok(refused.outcome === 'corrupt', refused.outcome);
      assert.equal(strict.paths.length, 2, 'not retried');
    });
  });

  it('passes an abort through instead of calling the file missing', async () => {
    const abort = new AbortController();
    const http = archiveHttp(() => {
      abort.abort();
      throw new ExchangeError(ErrorCodes.EXCHANGE_UNREACHABLE, 'aborted', { retriable: true });
    });
    await assert.rejects(readArchiveFile(day, { ...options(http), signal: abort.signal }), /aborted/);
  });
});

describe('simulator archive server', () => {
  const get = (path: string, ctx = context()) => serveArchive(path, ctx);

  it('serves monthly files for months before now’s month and daily files for days before today', () => {
    assert.equal(get('/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2025-02.zip').status, 200);
    assert.equal(get('/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2025-03.zip').status, 404, 'the current month');
    assert.equal(get('/data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2025-03-09.zip').status, 200);
    assert.equal(get('/data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2025-03-10.zip').status, 404, 'today');
    assert.equal(get('/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2016-12.zip').status, 404, 'before the listing');
    assert.equal(get('/data/spot/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2017-01-01.zip.CHECKSUM').status, 200);
  });

  it('keeps generated files in a bounded LRU cache', () => {
    const cache = new ArchiveCache(100);
    const file = (n: number) => ({ zip: Buffer.alloc(n), sha256: String(n) });
    cache.set('a', file(40));
    cache.set('b', file(40));
    assert.equal(cache.get('a')?.sha256, '40', 'a is now the most recently used');
    cache.set('c', file(40));
    assert.equal(cache.get('b'), undefined, 'b, the least recently used, was evicted');
    assert.ok(cache.get('a') && cache.get('c'));
    cache.set('big', file(500));
    assert.equal(cache.size, 1, 'an entry over the bound stays alone');
    assert.ok(cache.get('big'));
  });

  it('answers unknown keys like S3 does', () => {
    for (const path of [
      '/data/spot/monthly/klines/NOPE/1m/NOPE-1m-2024-07.zip',
      '/data/spot/monthly/klines/BTCUSDT/1M/BTCUSDT-1M-2024-07.zip',
      '/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-13.zip',
      '/data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-02-30.zip',
      '/data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-07.zip',
      '/data/spot/monthly/klines/BTCUSDT/1m/ETHUSDT-1m-2024-07.zip',
      '/data/spot/monthly/trades/BTCUSDT/BTCUSDT-trades-2024-07.zip',
    ]) {
      const reply = get(path);
      assert.equal(reply.status, 404, path);
      assert.equal(reply.contentType, 'application/xml');
      assert.match(reply.body.toString(), /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<Error><Code>NoSuchKey<\/Code>.*<Key>data\/spot\//s);
    }
  });

  it('serves the same .CHECKSUM for a corrupt file, its zip differing, and 404s both for a missing one', () => {
    const path = '/data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-07-04.zip';
    const name = 'BTCUSDT-1m-2024-07-04.zip';
    const good = get(path);
    const goodSum = get(`${path}.CHECKSUM`).body.toString();
    assert.equal(goodSum, `${createHash('sha256').update(good.body).digest('hex')}  ${name}\n`);
    const corrupt = context({ corrupt: new Set([name]) });
    assert.equal(get(`${path}.CHECKSUM`, corrupt).body.toString(), goodSum);
    const bad = get(path, corrupt).body;
    assert.equal(bad.length, good.body.length);
    assert.notDeepEqual(bad, good.body);
    const missing = context({ missing: new Set([name]) });
    assert.equal(get(path, missing).status, 404);
    assert.equal(get(`${path}.CHECKSUM`, missing).status, 404);
    assert.deepEqual(get(path).body, good.body, 'deterministic bytes');
  });
});
