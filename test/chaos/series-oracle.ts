import { isDeepStrictEqual } from 'node:util';
import type { Store } from '../../src/actors/index.ts';
import { AggTrade, Candle, Trade, aggTradeFromRow, assertNever, candleFromKline, parseStreamType, tradeFromRow } from '../../src/protocol/index.ts';
import type { Workflow } from '../../src/protocol/index.ts';
import { expectedAggTrades, expectedKlines, expectedTrades } from '../../src/system/exchange-simulator/index.ts';
import type { ExpectedDataOptions } from '../../src/system/exchange-simulator/index.ts';
import { allStored } from './stored-documents.ts';

/** How a workflow's stored series compares with the simulator's oracle. */
export interface OracleComparison {
  readonly expected: number;
  /** Distinct expected keys found in the store. */
  readonly stored: number;
  readonly missing: number;
  /** Expected keys stored with content other than the oracle's. */
  readonly duplicated: number;
  /** Keys stored that the oracle does not have (outside the range, invented). */
  readonly extra: number;
  /** A few missing keys, for the report. */
  readonly missingSample: readonly number[];
}

interface Oracle {
  readonly records: ReadonlyMap<number, unknown>;
  readonly parse: (doc: unknown) => { readonly key: number; readonly record: unknown };
}

/**
 * The exact records the simulator served for a workflow's range (closed candles; every aggregate
 * or single trade), keyed as the store keys them, and how to read a stored document back.
 */
function oracleOf(wf: Workflow, opts: ExpectedDataOptions & { readonly nowMs: number }): Oracle {
  const type = parseStreamType(wf.type);
  if (type === undefined) throw new TypeError(`workflow ${wf.queue_id} has type ${wf.type}, which has no oracle`);
  const { from_ms: fromMs, to_ms: toMs, symbol } = wf;
  switch (type.record) {
    case 'candle': {
      const rows = expectedKlines(symbol, type.interval, fromMs, toMs, opts).filter((k) => k[6] < opts.nowMs);
      return {
        records: new Map(rows.map((k) => [k[0], candleFromKline(k, symbol, type.interval)])),
        parse: (doc) => {
          const record = Candle.parse(doc);
          return { key: record.open_time, record };
        },
      };
    }
    case 'agg_trade':
      return {
        records: new Map(expectedAggTrades(symbol, fromMs, toMs, opts).map((r) => [r.a, aggTradeFromRow(r, symbol)])),
        parse: (doc) => {
          const record = AggTrade.parse(doc);
          return { key: record.trade_id, record };
        },
      };
    case 'trade':
      return {
        records: new Map(expectedTrades(symbol, fromMs, toMs, opts).map((r) => [r.id, tradeFromRow(r, symbol)])),
        parse: (doc) => {
          const record = Trade.parse(doc);
          return { key: record.trade_id, record };
        },
      };
    case 'depth':
      throw new TypeError(`workflow ${wf.queue_id}: no oracle for depth records (the book is not a keyed series)`);
    default:
      return assertNever(type, 'record kind');
  }
}

/** Compares what the store holds in a workflow's collection with what the simulator served for its range. */
export async function compareWithOracle(store: Store, wf: Workflow, opts: ExpectedDataOptions & { readonly nowMs: number }): Promise<OracleComparison> {
  const oracle = oracleOf(wf, opts);
  const seen = new Map<number, unknown>();
  let duplicated = 0;
  let extra = 0;
  for (const doc of await allStored(store, wf.collection_name)) {
    const { key, record } = oracle.parse(doc);
    const want = oracle.records.get(key);
    if (want === undefined) {
      extra++;
      continue;
    }
    const before = seen.get(key);
    if (before !== undefined) {
      // The same key twice (a store that did not dedupe): a duplicate when the contents differ.
      if (!isDeepStrictEqual(before, record)) duplicated++;
      continue;
    }
    seen.set(key, record);
    if (!isDeepStrictEqual(record, want)) duplicated++;
  }
  const missingKeys = [...oracle.records.keys()].filter((k) => !seen.has(k));
  return { expected: oracle.records.size, stored: seen.size, missing: missingKeys.length, duplicated, extra, missingSample: missingKeys.slice(0, 5) };
}

/** The comparisons of several workflows added up. */
export function sumComparisons(all: readonly OracleComparison[]): OracleComparison {
  return {
    expected: all.reduce((n, c) => n + c.expected, 0),
    stored: all.reduce((n, c) => n + c.stored, 0),
    missing: all.reduce((n, c) => n + c.missing, 0),
    duplicated: all.reduce((n, c) => n + c.duplicated, 0),
    extra: all.reduce((n, c) => n + c.extra, 0),
    missingSample: all.flatMap((c) => c.missingSample).slice(0, 5),
  };
}
