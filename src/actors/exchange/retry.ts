/** Moved to `src/actors/retry/` (one module for every backoff); this path keeps working for its importers. */
export { retry } from '../retry/index.ts';
export type { RetryOptions } from '../retry/index.ts';
