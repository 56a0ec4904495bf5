import { z } from 'zod';

/**
 * The one symbol rule, for every entry point (API bodies and queries, the CLI, a stage's assignment,
 * commands on `queue-control`): what the exchange spells (`BTCUSDT`) and what the store can name a
 * collection after (`btcusdt_api_candles_1m_…`: a letter first, then letters and digits). Binance's
 * own pattern also allows `-`, `_` and `.`; a symbol with them (`BTC.USDT`) makes no collection name
 * and no unambiguous series prefix, so it is refused at the door. Lower case input is upper-cased.
 */
export const MARKET_SYMBOL_PATTERN = /^[A-Z][A-Z0-9]{0,19}$/;

export const MarketSymbol = z
  .string()
  .trim()
  .transform((s) => s.toUpperCase())
  .pipe(
    z.string().regex(MARKET_SYMBOL_PATTERN, {
      error: (issue) =>
        `invalid symbol ${JSON.stringify(issue.input)}; accepted: 1-20 letters and digits starting with a letter (e.g. BTCUSDT)`,
    }),
  );
export type MarketSymbol = z.infer<typeof MarketSymbol>;
