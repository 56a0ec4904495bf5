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

  it('waits for the book to be in sync', () => {
    const s = schedule();
    s.synced();
    assert.equal(s.take(new OrderBook(), FROM), undefined);
    assert.equal(s.take(syncedBook(), FROM + 1)?.reason, 'initial');
  });
});
