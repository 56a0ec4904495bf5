/**
 * The original services' vocabulary, kept on the wire only: a stage is a "target" there
 * (`loader-producer`, `arango-connector` — whichever store is configured), and telemetry names its
 * producer `<target>__<short id>`. Inside, stages are roles; this module translates both ways.
 */
import type { StageRole } from './stage-roles.ts';

/** The wire name of each stage role. */
export const Targets = {
  loader: 'loader-producer',
  connector: 'arango-connector',
  'graph-builder': 'graph-builder',
  trainer: 'gnn-trainer',
} as const satisfies Readonly<Record<StageRole, string>>;
export type Target = (typeof Targets)[keyof typeof Targets];

const ROLE_OF_TARGET: ReadonlyMap<string, StageRole> = new Map(Object.entries(Targets).map(([role, target]) => [target, role as StageRole]));

export function targetOf(role: StageRole): Target {
  return Targets[role];
}

/** The role of a wire target; undefined for a target we do not run (e.g. the original's `visualizer`). */
export function roleOfTarget(target: string): StageRole | undefined {
  return ROLE_OF_TARGET.get(target);
}

/** Telemetry producer id: `<target>__<short id>`, e.g. `loader-producer__a1b2c3`. */
export function telemetryId(target: string, shortId: string): string {
  return `${target}__${shortId}`;
}

/** The role of the stage that sent a telemetry event, read from its producer id. */
export function roleOfProducer(producer: string): StageRole | undefined {
  const separator = producer.indexOf('__');
  return roleOfTarget(separator < 0 ? producer : producer.slice(0, separator));
}
