// `/records` and `/candles` over a real socket: csv/ndjson streamed up to the limit, json in pages of
// at most 10,000 with a cursor, and a caller that goes away mid-stream stops the store reads.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { startHttpTestServer } from '../helpers/http-test-server.ts';
import type { HttpTestServer } from '../helpers/http-test-server.ts';
import { storeWith } from '../helpers/store-wrapper.ts';
import { waitFor } from '../helpers/wait-for.ts';

const MINUTE = 60_000;
const FROM = Date.parse('2024-01-01T00:00:00Z');
const COUNT = 100_000;
const TO = new Date(FROM + COUNT * MINUTE).toISOString();

describe('series over HTTP: streams and pages', () => {
  let t: HttpTestServer;
  let base: string;
  // Page reads are counted; while `held`, each waits until released: the test decides how far the server may read.
  let reads = 0;
  let held: { after: number; release: () => void; released: Promise<void> } | undefined;

  before(async () => {
    t = await startHttpTestServer({}, {
      wrapStore: (store) =>
        storeWith(store, {
          rangePage: async (collection, query) => {
            reads++;
            if (held !== undefined && reads > held.after) await held.released;
            return store.rangePage(collection, query);
          },
        }),
    });
    // Two collections of the series, as a REST backfill and a live stream leave them, overlapping by 1,000.
    for (const [collection, from, to] of [['btcusdt_api_candles_1m_2024_01_01', 0, 60_000], ['btcusdt_ws_candles_1m_2024_02_11', 59_000, COUNT]] as const) {
      await t.store.ensureCollection(collection, { sortField: 'open_time' });
      for (let start = from; start < to; start += 10_000) {
        const batch = Array.from({ length: Math.min(10_000, to - start) }, (_, j) => {
          const open = FROM + (start + j) * MINUTE;
          return {
            _key: `BTCUSDT_1m_${open}`, open_time: open, open: '1.0', high: '2.0', low: '0.5', close: '1.5', volume: '10.0', close_time: open + MINUTE - 1,
            quote_asset_volume: '15.0', number_of_trades: 3, taker_buy_base_asset_volume: '5.0', taker_buy_quote_asset_volume: '7.5', symbol: 'BTCUSDT', interval: '1m',
          };
        });
        await t.store.upsert(collection, batch);
      }
    }
    const port = await t.server.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    await t?.close();
  });

  it('streams csv up to the limit, merged and de-duplicated, and ndjson the same', async () => {
    const csv = await request(`${base}/records?symbol=BTCUSDT&type=ws_candles_1m&from=2024-01-01&to=${TO}&format=csv&limit=70000`);
    assert.equal(csv.statusCode, 200);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    const lines = (await csv.body.text()).trimEnd().split('\n');
    assert.equal(lines[0]?.split(',')[0], 'open_time');
    assert.equal(lines.length - 1, 70_000);
    const opens = lines.slice(1).map((l) => Number(l.split(',')[0]));
    assert.ok(opens.every((o, i) => o === FROM + i * MINUTE), 'every minute once, in order, across the overlap');

    const nd = await request(`${base}/candles?symbol=BTCUSDT&interval=1m&from=2024-01-01&to=${TO}&format=ndjson&limit=1500`);
    assert.match(String(nd.headers['content-type']), /^application\/x-ndjson/);
    const rows = (await nd.body.text()).trimEnd().split('\n').map((l) => JSON.parse(l) as { open_time: number; close: string });
    assert.equal(rows.length, 1500);
    assert.deepEqual(rows[1], { ...rows[1], open_time: FROM + MINUTE, close: '1.5' });
  });

  it('answers json in pages of at most 10,000 with next; after continues where the page ended', async () => {
    const to = new Date(FROM + 25_000 * MINUTE).toISOString();
    const seen: number[] = [];
    let next: string | undefined;
    let pages = 0;
    do {
      const res = await request(`${base}/candles?symbol=BTCUSDT&interval=1m&from=2024-01-01&to=${to}&limit=1000000${next ? `&after=${next}` : ''}`);
      assert.equal(res.statusCode, 200);
      const body = (await res.body.json()) as { count: number; candles: Array<{ open_time: number }>; next?: string };
      assert.ok(body.count <= 10_000 && body.count === body.candles.length);
      seen.push(...body.candles.map((c) => c.open_time));
      next = body.next;
      pages++;
    } while (next !== undefined && pages < 10);
    assert.equal(pages, 3);
    assert.equal(seen.length, 25_000);
    assert.ok(seen.every((o, i) => o === FROM + i * MINUTE));
  });

  it('stops reading the store when the caller goes away mid-stream', async () => {
    const logged = t.logs.length;
    const said = (msg: string) => t.logs.slice(logged).find((l) => l['msg'] === msg);
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    // Four pages (8,000 rows, about 1 MB of CSV) may be read; the fifth waits until the caller has gone.
    reads = 0;
    held = { after: 4, release, released };
    try {
      const res = await request(`${base}/records?symbol=BTCUSDT&type=api_candles_1m&from=2024-01-01&to=${TO}&format=csv`);
      assert.equal(res.statusCode, 200);
      for await (const chunk of res.body) {
        assert.ok((chunk as Buffer).length > 0);
        break; // leaving the loop destroys the body: the connection closes with most of the answer unread
      }
      await waitFor('the server to see the caller gone', () => (said('series caller went away') ? true : undefined), 30_000);
      release();
      await waitFor('the stream to end', () => (said('series stream ended early: the caller went away, store reads stopped') ? true : undefined), 30_000);
      // The whole answer takes 50 pages of 2,000 from the two collections; the one waiting was the last.
      assert.equal(reads, 5, `the store was read ${reads} times for an answer abandoned after 4 pages`);
      assert.ok(Number(said('series stream ended early: the caller went away, store reads stopped')?.['rows']) < COUNT);
    } finally {
      held = undefined;
      release();
    }
  });
});
