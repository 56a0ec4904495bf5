import type { IndicatorRow, IndicatorsFormat } from '../../protocol/index.ts';
import type { IndicatorStream } from './indicator-query.ts';

const iso = (ms: number): string => new Date(ms).toISOString();

/** A CSV cell of a row: empty while warming up, else the shortest text that reads back as the same double. */
function csvRow(columns: readonly string[], row: IndicatorRow): string {
  return `${columns.map((c) => (row[c] === null || row[c] === undefined ? '' : String(row[c]))).join(',')}\n`;
}

/** Rows are written in chunks of about this many characters. */
const CHUNK_CHARS = 64 * 1024;

/**
 * The answer as text, in chunks as the rows are computed: CSV (`open_time` in epoch ms, then one
 * column per indicator, empty cells while warming up) or one JSON document (`IndicatorsBody`,
 * written as it goes: its `count` comes last).
 */
export async function* indicatorText(stream: IndicatorStream, format: IndicatorsFormat): AsyncGenerator<string> {
  const { request: q, columns } = stream;
  let chunk: string;
  if (format === 'csv') {
    chunk = `${columns.join(',')}\n`;
  } else {
    const head = {
      symbol: q.symbol,
      interval: q.interval,
      from: iso(q.fromMs),
      to: iso(q.toMs),
      from_ms: q.fromMs,
      to_ms: q.toMs,
      columns,
      warmup: stream.warmup,
    };
    chunk = `${JSON.stringify(head).slice(0, -1)},"rows":[`;
  }
  let count = 0;
  for await (const row of stream.rows) {
    chunk += format === 'csv' ? csvRow(columns, row) : `${count === 0 ? '' : ','}${JSON.stringify(row)}`;
    count += 1;
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (format === 'json') chunk += `],"count":${count}}\n`;
  if (chunk !== '') yield chunk;
}
