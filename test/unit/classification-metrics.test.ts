import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { argmaxClasses, classPriors, classificationMetrics, confusionMatrix, majorityBaseline } from '../../src/actors/analytics/index.ts';

describe('classification metrics', () => {
  // 6 samples, 3 classes.
  const labels = [0, 0, 1, 1, 2, 2];
  const probabilities = [0.7, 0.2, 0.1, 0.4, 0.5, 0.1, 0.2, 0.6, 0.2, 0.1, 0.8, 0.1, 0.3, 0.3, 0.4, 0.5, 0.25, 0.25];

  it('accuracy, confusion matrix, macro-F1 and log loss of a small case computed by hand', () => {
    // predicted: 0, 1, 1, 1, 2, 0
    assert.deepEqual(Array.from(argmaxClasses(probabilities, 3)), [0, 1, 1, 1, 2, 0]);
    const m = classificationMetrics(labels, probabilities, 3);
    assert.equal(m.count, 6);
    assert.equal(m.accuracy, 4 / 6);
    assert.deepEqual(m.confusion, [
      [1, 1, 0],
      [0, 2, 0],
      [1, 0, 1],
    ]);
    // F1: class 0 2·1/(2+2) = 0.5; class 1 2·2/(2+3) = 0.8; class 2 2·1/(2+1) = 2/3
    assert.ok(Math.abs(m.macroF1 - (0.5 + 0.8 + 2 / 3) / 3) < 1e-15);
    const expectedLoss = -(Math.log(0.7) + Math.log(0.4) + Math.log(0.6) + Math.log(0.8) + Math.log(0.4) + Math.log(0.25)) / 6;
    assert.ok(Math.abs(m.logLoss - expectedLoss) < 1e-12);
  });

  it('clips probabilities so a confident mistake costs −ln 1e-7, not infinity', () => {
    const m = classificationMetrics([1], [1, 0, 0], 3);
    assert.ok(Math.abs(m.logLoss + Math.log(1e-7)) < 1e-12);
    assert.equal(m.accuracy, 0);
  });

  it('averages F1 over the classes that occur only', () => {
    // Class 2 never occurs nor is predicted: not counted. Class 1 occurs and is never predicted: F1 0.
    const m = classificationMetrics([0, 0, 1], [0.9, 0.1, 0, 0.8, 0.2, 0, 0.6, 0.4, 0], 3);
    assert.ok(Math.abs(m.macroF1 - (2 * 2) / (2 + 3) / 2) < 1e-15);
  });

  it('refuses mismatched sizes and class indices out of range', () => {
    assert.throws(() => classificationMetrics([0, 1], [1, 0, 0], 3), /expected 6 probabilities/);
    assert.throws(() => classificationMetrics([], [], 3), /no labels/);
    assert.throws(() => confusionMatrix([3], [0], 3), /out of range/);
  });
});

describe('majority baseline', () => {
  it('predicts the training priors, smoothed so every class keeps a probability', () => {
    const priors = classPriors([0, 0, 0, 1, 1, 0, 0], 3);
    assert.deepEqual(Array.from(priors), [6 / 10, 3 / 10, 1 / 10]);
    const probs = majorityBaseline(priors, 4);
    const m = classificationMetrics([0, 1, 2, 0], probs, 3);
    assert.equal(m.accuracy, 0.5, 'always the majority class');
    assert.ok(Number.isFinite(m.logLoss) && Math.abs(m.logLoss + (2 * Math.log(0.6) + Math.log(0.3) + Math.log(0.1)) / 4) < 1e-6);
  });
});
