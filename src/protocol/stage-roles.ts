import { parseStreamType } from './stream-type.ts';

/**
 * Every kind of stage a workflow runs, each also a role a process can host (`serve --role`):
 * market-data workflows run a loader and a connector, graph workflows a graph-builder and, to
 * learn, a trainer.
 */
export const StageRoles = ['loader', 'connector', 'graph-builder', 'trainer'] as const;
export type StageRole = (typeof StageRoles)[number];

/** Workflow types of the analytics half (the original's `gnn_graph`, `gnn_train`). */
export const AnalyticsTypes = ['gnn_graph', 'gnn_train'] as const;
export type AnalyticsType = (typeof AnalyticsTypes)[number];

export function isAnalyticsType(type: string): type is AnalyticsType {
  return (AnalyticsTypes as readonly string[]).includes(type);
}

/**
 * The stages of a workflow: one that produces (pages an exchange, builds graph snapshots) and,
 * mostly, one that consumes what it produced through the workflow's topic (stores the records,
 * trains). The workflow is complete when its last stage finishes.
 */
export interface StagePipeline {
  readonly producer: StageRole;
  readonly consumer?: StageRole;
}

const MARKET_DATA: StagePipeline = Object.freeze({ producer: 'loader', consumer: 'connector' });
const GRAPH: StagePipeline = Object.freeze({ producer: 'graph-builder' });
const TRAINING: StagePipeline = Object.freeze({ producer: 'graph-builder', consumer: 'trainer' });

/** The pipeline of a workflow type; undefined for a type nothing runs. */
export function pipelineOf(type: string): StagePipeline | undefined {
  if (type === 'gnn_train') return TRAINING;
  if (type === 'gnn_graph') return GRAPH;
  return parseStreamType(type) === undefined ? undefined : MARKET_DATA;
}

/** The stages of a pipeline in launch order: the consumer first, so it listens before anything is produced. */
export function stagesOf(pipeline: StagePipeline): StageRole[] {
  return pipeline.consumer === undefined ? [pipeline.producer] : [pipeline.consumer, pipeline.producer];
}
