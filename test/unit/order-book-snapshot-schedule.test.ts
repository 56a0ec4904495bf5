import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BookSnapshotSchedule } from '../../src/actors/live/book-snapshot-schedule.ts';
import { OrderBook } from '../../src/actors/live/order-book.ts';

const FROM = 1_000_000;
const TO = 2_000_000;

function syncedBook(): OrderBook {
  const book = new OrderBook();
  book.applyEvent({ first_update_id: 10, final_update_id: 10, bids: [], asks: [] });
  book.applySnapshot({ lastUpdateId: 10, bids: [['3', '1'], ['2', '1'], ['1', '1']], asks: [['4', '1'], ['5', '1'], ['6', '1']] });
  return book;
}

function schedule(intervalMs = 1000): BookSnapshotSchedule {
  return new BookSnapshotSchedule({ symbol: 'BTCUSDT', range: { fromMs: FROM, toMs: TO }, topLevels: 2, intervalMs });
}

describe('BookSnapshotSchedule', () => {
  it('takes the initial snapshot on the first sync, then periodic ones an interval apart, then a resync one', () => {
    const book = syncedBook();
    const s = schedule();
    assert.equal(s.take(book, FROM + 10), undefined, 'nothing before a sync');
    s.synced();
    assert.deepEqual(s.take(book, FROM + 20), {
      record: 'book_snapshot',
      symbol: 'BTCUSDT',
      last_update_id: 10,
      event_time: FROM + 20,
      reason: 'initial',
      bids: [['3', '1'], ['2', '1']],
      asks: [['4', '1'], ['5', '1']],
    });
    book.applyEvent({ first_update_id: 11, final_update_id: 11, bids: [['3', '2']], asks: [] });
    assert.equal(s.take(book, FROM + 1019), undefined, 'not yet an interval');
    const periodic = s.take(book, FROM + 1020);
    assert.equal(periodic?.reason, 'periodic');
    assert.equal(periodic?.last_update_id, 11);
    assert.deepEqual(periodic?.bids[0], ['3', '2']);
    s.synced();
    assert.equal(s.take(book, FROM + 1030)?.reason, 'resync', 'a sync is stored at once');
  });

  it('stores nothing outside the range, and a sync before the range when the range starts', () => {
    const book = syncedBook();
    const s = schedule();
    s.synced();
    assert.equal(s.take(book, FROM - 1), undefined);
    assert.equal(s.take(book, FROM)?.reason, 'initial');
    assert.equal(s.take(book, TO), undefined);
  });

  it('does not store a quiet book twice under one key', () => {
    const book = syncedBook();
    const s = schedule(100);
    s.synced();
    assert.equal(s.take(book, FROM)?.reason, 'initial');
    assert.equal(s.take(book, FROM + 100)?.reason, 'periodic', 'another reason is another record');
    assert.equal(s.take(book, FROM + 200), undefined, 'same update id, same reason');
    book.applyEvent({ first_update_id: 11, final_update_id: 11, bids: [], asks: [] });
    assert.equal(s.take(book, FROM + 300)?.last_update_id, 11);
  });

  it('never takes a key twice: a quiet book that resyncs at its update id repeats no snapshot', () => {
    const book = syncedBook();
    const s = schedule(100);
    s.synced();
    const taken = [s.take(book, FROM), s.take(book, FROM + 100)];
    // A disconnect, and the book synced again at the update id it had.
    book.reset();
    book.applyEvent({ first_update_id: 10, final_update_id: 10, bids: [], asks: [] });
    book.applySnapshot({ lastUpdateId: 10, bids: [['3', '1']], asks: [['4', '1']] });
    s.synced();
    taken.push(s.take(book, FROM + 150), s.take(book, FROM + 250), s.take(book, FROM + 350));
    const keys = taken.flatMap((t) => (t ? [`${t.last_update_id}_${t.reason}`] : []));
    assert.deepEqual(keys, ['10_initial', '10_periodic', '10_resync']);
    assert.deepEqual(s.stored, { lastUpdateId: 10, reasons: ['initial', 'periodic', 'resync'] });
    book.applyEvent({ first_update_id: 11, final_update_id: 11, bids: [], asks: [] });
    assert.equal(s.take(book, FROM + 450)?.reason, 'periodic', 'a new update id, new keys');
    assert.deepEqual(s.stored, { lastUpdateId: 11, reasons: ['periodic'] }, 'only the keys at the newest update id are kept');
  });

  it('carries on from what an earlier run stored: its first sync is a resync, and nothing stored is taken again', () => {
    const s = schedule(100);
    s.restore({ lastUpdateId: 10, reasons: ['initial', 'resync'] });
    assert.equal(s.take(new OrderBook(), FROM), undefined, 'nothing before the sync');
    const book = syncedBook();
    s.synced();
    assert.equal(s.take(book, FROM + 1), undefined, 'the resync at 10 is stored already');
    assert.equal(s.take(book, FROM + 101)?.reason, 'periodic');

    const behind = schedule(100);
    behind.restore({ lastUpdateId: 12, reasons: ['periodic'] });
    behind.synced();
    assert.equal(behind.take(book, FROM), undefined, 'a book behind what was stored waits');
    book.applyEvent({ first_update_id: 11, final_update_id: 13, bids: [], asks: [] });
    const resync = behind.take(book, FROM + 1);
    assert.equal(resync?.reason, 'resync');
    assert.equal(resync?.last_update_id, 13);
  });

  it('waits for the book to be in sync', () => {
    const s = schedule();
    s.synced();
    assert.equal(s.take(new OrderBook(), FROM), undefined);
    assert.equal(s.take(syncedBook(), FROM + 1)?.reason, 'initial');
  });
});
