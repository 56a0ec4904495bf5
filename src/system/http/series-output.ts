import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { SeriesRecord, SeriesSpec } from '../../protocol/index.ts';
import { seriesCsvHeader, seriesCsvRow, seriesJson } from '../query/index.ts';

/** Rows are written in chunks of about this many characters: few writes, little held. */
const CHUNK_CHARS = 64 * 1024;

export const SERIES_CONTENT_TYPES = {
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
} as const;

/**
 * A series as a byte stream, rows formatted as they come from the store: the stream pulls the next
 * records only when the socket takes what it has (backpressure), so memory stays flat whatever the
 * count. Stopped by its consumer (the caller went away), it stops reading the store and says so in
 * the log with how far it got.
 */
export function seriesStream(spec: SeriesSpec, format: 'csv' | 'ndjson', records: AsyncGenerator<SeriesRecord>, log: Logger): Readable {
  const row = format === 'csv' ? (r: SeriesRecord) => seriesCsvRow(spec, r) : (r: SeriesRecord) => `${JSON.stringify(seriesJson(spec, r))}\n`;
  async function* chunks(): AsyncGenerator<string> {
    let rows = 0;
    let complete = false;
    try {
      let chunk = format === 'csv' ? seriesCsvHeader(spec) : '';
      for await (const r of records) {
        chunk += row(r);
        rows++;
        if (chunk.length >= CHUNK_CHARS) {
          yield chunk;
          chunk = '';
        }
      }
      if (chunk !== '') yield chunk;
      complete = true;
    } finally {
      if (!complete) log.info({ rows, format }, 'series stream ended early: the caller went away, store reads stopped');
    }
  }
  return Readable.from(chunks(), { objectMode: false, highWaterMark: CHUNK_CHARS });
}

/**
 * Reads the first record before anything is answered: a store that fails on its first read is
 * answered with an error status, not a 200 cut short. The records are then given back whole.
 */
export async function primed<T>(items: AsyncGenerator<T>): Promise<AsyncGenerator<T>> {
  const first = await items.next();
  async function* again(): AsyncGenerator<T> {
    if (first.done === true) return;
    yield first.value;
    yield* items;
  }
  // A replay closed before it started leaves the source suspended: it holds no store resource
  // between pages (each page is one query), so nothing leaks but memory the collector takes back.
  return again();
}
