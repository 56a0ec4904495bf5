export { SyntheticMarket, DEFAULT_LOADINGS } from './synthetic-market.ts';
export type { ClusterLoadings, SyntheticMarketSpec } from './synthetic-market.ts';
