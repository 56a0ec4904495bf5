export * from './candle-query.ts';
export * from './series-query.ts';
export * from './queue-query.ts';
export * from './gap-audit-run.ts';
export { collectionDocuments } from './collection-pages.ts';
export type { CollectionPagesQuery } from './collection-pages.ts';
export { mergeSorted } from './merge-sorted.ts';
export { countWorkflowsByStatus } from './workflow-counts.ts';
