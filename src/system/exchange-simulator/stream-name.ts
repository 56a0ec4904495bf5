import { isKlineInterval } from './intervals.ts';
import type { KlineInterval } from './intervals.ts';

/** What a stream name asks for. */
export type StreamSpec =
  | { readonly kind: 'kline'; readonly symbol: string; readonly interval: KlineInterval }
  | { readonly kind: 'trade' | 'aggTrade'; readonly symbol: string }
  | { readonly kind: 'depth'; readonly symbol: string; readonly speedMs: 100 | 1000 };

/** A parsed stream name, or why it was refused. */
export type ParsedStream = { readonly ok: true; readonly spec: StreamSpec } | { readonly ok: false; readonly msg: string };

const SYMBOL_PART = /^[a-z0-9\-_.]{1,20}$/;
const KLINE_PREFIX = 'kline_';

/**
 * Binance's stream names: `<symbol>@kline_<interval>`, `<symbol>@trade`, `<symbol>@aggTrade`,
 * `<symbol>@depth`, `<symbol>@depth@100ms`, `<symbol>@depth@1000ms`; the symbol in lowercase.
 */
export function parseStreamName(name: string, listed: ReadonlyMap<string, unknown>): ParsedStream {
  const at = name.indexOf('@');
  const symbolPart = at === -1 ? name : name.slice(0, at);
  if (at === -1 || !SYMBOL_PART.test(symbolPart)) return { ok: false, msg: `Invalid request: invalid stream name '${name}'` };
  const symbol = symbolPart.toUpperCase();
  if (!listed.has(symbol)) return { ok: false, msg: `Invalid request: invalid symbol in stream name '${name}'` };
  const kind = name.slice(at + 1);
  if (kind === 'trade' || kind === 'aggTrade') return { ok: true, spec: { kind, symbol } };
  if (kind === 'depth' || kind === 'depth@1000ms') return { ok: true, spec: { kind: 'depth', symbol, speedMs: 1000 } };
  if (kind === 'depth@100ms') return { ok: true, spec: { kind: 'depth', symbol, speedMs: 100 } };
  if (kind.startsWith(KLINE_PREFIX)) {
    const interval = kind.slice(KLINE_PREFIX.length);
    if (isKlineInterval(interval)) return { ok: true, spec: { kind: 'kline', symbol, interval } };
  }
  return { ok: false, msg: `Invalid request: invalid stream name '${name}'` };
}
