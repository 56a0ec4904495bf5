import { parseStreamType, Targets, TERMINAL_STATUSES } from '../../protocol/index.ts';
import type { Workflow } from '../../protocol/index.ts';

/** What a workflow has done so far, in its own unit (`candles`, `trades`, `graph snapshots`, `epochs`, …). */
export interface WorkflowCount {
  readonly done: number;
  /** What the stage expects in all, when it said. */
  readonly expected: number | undefined;
  readonly unit: string;
}

/** The records a stream type loads, as a user names them. */
export function recordUnit(type: string): string {
  switch (parseStreamType(type)?.record) {
    case 'candle':
      return 'candles';
    case 'agg_trade':
      return 'aggregate trades';
    case 'trade':
      return 'trades';
    case 'depth':
      return 'depth updates and book snapshots';
    case undefined:
      return 'records';
  }
}

/**
 * Which stage's count shows a workflow's progress, and what it counts: the first of these the
 * workflow has. A stage role added later names its unit here.
 */
const COUNTING_STAGES: ReadonlyArray<{ readonly target: string; readonly unit: (type: string) => string }> = [
  { target: Targets.connector, unit: recordUnit },
  { target: 'graph-builder', unit: () => 'graph snapshots' },
  { target: 'trainer', unit: () => 'graph snapshots' },
  { target: Targets.loader, unit: recordUnit },
];

/** A workflow as a line of the progress display. */
export function workflowProgress(wf: Workflow): { id: string; label: string; status: string; count: WorkflowCount } {
  return { id: wf.queue_id, label: `${wf.symbol} ${wf.type}`, status: wf.status, count: workflowCount(wf) };
}

/** A workflow's progress: what its counting stage has done, of how many, in what. */
export function workflowCount(wf: Workflow): WorkflowCount {
  // A trainer that is fitting says which model and epoch: that is the progress while it lasts.
  const training = wf.stages['trainer']?.training;
  if (training !== undefined && !TERMINAL_STATUSES.has(wf.status)) return { done: training.epoch, expected: training.epochs, unit: `epochs (${training.model})` };
  for (const { target, unit } of COUNTING_STAGES) {
    const stage = wf.stages[target];
    if (stage === undefined) continue;
    // The connector stores what the loader sends: the loader knows how many to expect.
    const expected = stage.expected_records ?? (target === Targets.connector ? wf.stages[Targets.loader]?.expected_records : undefined);
    return { done: stage.records, expected, unit: unit(wf.type) };
  }
  return { done: 0, expected: undefined, unit: recordUnit(wf.type) };
}
