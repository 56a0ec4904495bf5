export * from './backoff-policy.ts';
export * from './delay-for.ts';
export * from './backoff.ts';
export * from './retry.ts';
