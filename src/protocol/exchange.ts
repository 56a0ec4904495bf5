import { z } from 'zod';

/** Binance's error body: `{"code": -1121, "msg": "Invalid symbol."}`. */
export const ExchangeErrorBody = z.object({ code: z.number().int(), msg: z.string() });

export const RateLimit = z.looseObject({
  rateLimitType: z.string(),
  interval: z.enum(['SECOND', 'MINUTE', 'HOUR', 'DAY']),
  intervalNum: z.number().int().positive(),
  limit: z.number().int().positive(),
});
export type RateLimit = z.infer<typeof RateLimit>;

export const ExchangeInfo = z.looseObject({
  serverTime: z.number().optional(),
  rateLimits: z.array(RateLimit),
  symbols: z.array(z.looseObject({ symbol: z.string(), status: z.string().optional() })),
});
export type ExchangeInfo = z.infer<typeof ExchangeInfo>;

export const ServerTime = z.object({ serverTime: z.number() });
