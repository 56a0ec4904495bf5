export { GapAudit, auditedSeries } from './gap-audit.ts';
export type { AuditProgress, AuditQuery, GapAuditOptions } from './gap-audit.ts';
export { holesOf } from './gap-report.ts';
export type { GapReport, Hole, HoleOwner, RepairResult } from './gap-report.ts';
export { CandleGrid } from './candle-grid.ts';
export { classifyCandleRun, findTradeHoles, MissingCandleScan, missingCandleRuns, TradeHoleScan } from './find-holes.ts';
export type { FoundHole, MissingRun, TradeBounds } from './find-holes.ts';
export * from './missing-candles.ts';
