import type { AggTradeRow } from '../../protocol/index.ts';
import type { BinanceRestClient } from '../exchange/index.ts';

/** The exchange accepts aggTrades time windows of at most an hour. */
const WINDOW_MS = 3_600_000;

/**
 * The first aggregate trade at or after `fromMs`, found hour window by hour window up to the
 * exchange's now (then paged by id, never by time); undefined when there is none yet.
 */
export async function firstAggTradeAt(client: BinanceRestClient, symbol: string, fromMs: number): Promise<AggTradeRow | undefined> {
  for (let start = fromMs; start <= client.serverNow(); start += WINDOW_MS) {
    const rows = await client.aggTrades(symbol, { startTime: start, endTime: start + WINDOW_MS - 1, limit: 1 });
    if (rows[0]) return rows[0];
  }
  return undefined;
}
