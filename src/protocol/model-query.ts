import { z } from 'zod';
import { Instant } from './time-range.ts';

/** A model's id as the registry writes it, or `latest` (the newest promoted model). */
export const ModelIdParams = z.object({
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, {
    error: 'invalid model id; accepted: an id from GET /models (letters, digits, . _ -, at most 128), or latest',
  }),
});
export type ModelIdParams = z.infer<typeof ModelIdParams>;

/** `GET /models/{id}/predict`: predict from the candles closed at or before `at`. */
export const PredictQuery = z.object({ at: Instant });
export type PredictQuery = z.infer<typeof PredictQuery>;
