import type { GraphInputs, GraphSamples } from '../../actors/analytics/graph-samples.ts';
import { LabelClasses } from '../../actors/analytics/graph-samples.ts';
import { ValidationError } from '../../protocol/index.ts';

/**
 * Refuses inputs whose arrays do not have the sizes their counts promise, or that hold values a model
 * would silently turn into NaN losses: non-finite features or edge weights, a self loop in the
 * adjacency (the models add their own), a label outside {@link LabelClasses}.
 */
export function checkGraphInputs(inputs: GraphInputs, what: string): void {
  const { count, nodes, features } = inputs;
  for (const [name, value] of [['count', count], ['nodes', nodes], ['features', features]] as const) {
    if (!Number.isSafeInteger(value) || value < 1) throw new ValidationError(`${what}.${name} must be a positive integer, got ${value}`);
  }
  expectLength(what, 'x', inputs.x.length, count * nodes * features, '[count, nodes, features]');
  expectLength(what, 'adjacency', inputs.adjacency.length, count * nodes * nodes, '[count, nodes, nodes]');
  expectLength(what, 'times', inputs.times.length, count, '[count]');
  const badFeature = inputs.x.findIndex((v) => !Number.isFinite(v));
  if (badFeature >= 0) throw new ValidationError(`${what}.x[${badFeature}] is ${inputs.x[badFeature]}: features must be finite numbers`);
  const badEdge = inputs.adjacency.findIndex((v) => !Number.isFinite(v));
  if (badEdge >= 0) throw new ValidationError(`${what}.adjacency[${badEdge}] is ${inputs.adjacency[badEdge]}: edge weights must be finite numbers`);
  for (let t = 0; t < count; t++) {
    for (let i = 0; i < nodes; i++) {
      const weight = inputs.adjacency[(t * nodes + i) * nodes + i] ?? 0;
      if (weight !== 0) {
        throw new ValidationError(`${what}.adjacency has a self loop (${weight}) at snapshot ${t}, node ${i}: the diagonal must be 0 (models add their own self loops)`);
      }
    }
  }
}

/** {@link checkGraphInputs}, and every label a class index into {@link LabelClasses}. */
export function checkGraphSamples(samples: GraphSamples, what: string): void {
  checkGraphInputs(samples, what);
  expectLength(what, 'labels', samples.labels.length, samples.count * samples.nodes, '[count, nodes]');
  const bad = samples.labels.findIndex((label) => label < 0 || label >= LabelClasses.length);
  if (bad >= 0) {
    throw new ValidationError(`${what}.labels[${bad}] is ${samples.labels[bad]}: labels are class indices 0-${LabelClasses.length - 1} (${LabelClasses.join(', ')})`);
  }
}

function expectLength(what: string, field: string, actual: number, expected: number, shape: string): void {
  if (actual !== expected) throw new ValidationError(`${what}.${field} has ${actual} values where ${shape} needs ${expected}`);
}
