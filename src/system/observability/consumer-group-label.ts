/**
 * Group names by pattern, most specific first. The names are made where the groups subscribe (the
 * connector pool, a workflow's connector, the manager, each stage's control listener); a name that
 * carries a queue, instance or telemetry id is labelled by its pattern, so the label's values are a
 * small fixed set.
 */
const PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^streamforge-connector$/, 'streamforge-connector'],
  [/^streamforge-connector-pool-.+$/, 'streamforge-connector-pool-{instance}'],
  [/^streamforge-connector-.+$/, 'streamforge-connector-{queue_id}'],
  [/^streamforge-manager-.+$/, 'streamforge-manager-{instance}'],
  [/^streamforge-.+-control$/, 'streamforge-{telemetry_id}-control'],
];

/** The `group` label of a consumer group: its name where the name is fixed, else its pattern; `other` for groups of no known pattern. */
export function consumerGroupLabel(groupId: string): string {
  return PATTERNS.find(([pattern]) => pattern.test(groupId))?.[1] ?? 'other';
}
