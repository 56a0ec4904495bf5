import { ValidationError } from '../../protocol/index.ts';

/** Probabilities are clipped to [ε, 1] before the log, so one confident mistake cannot make the loss infinite. */
export const LOG_LOSS_EPSILON = 1e-7;

export interface ClassificationMetrics {
  readonly count: number;
  readonly accuracy: number;
  /** Mean F1 over the classes that occur in the labels or the predictions. */
  readonly macroF1: number;
  /** Mean −ln p(true class), p clipped to [1e-7, 1]. */
  readonly logLoss: number;
  /** `confusion[true][predicted]` counts. */
  readonly confusion: number[][];
}

/** Index of the largest of each row of `classes` probabilities (the first on ties). */
export function argmaxClasses(probabilities: ArrayLike<number>, classes: number): Int32Array {
  const rows = probabilities.length / classes;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if ((probabilities[r * classes + c] ?? 0) > (probabilities[r * classes + best] ?? 0)) best = c;
    out[r] = best;
  }
  return out;
}

export function confusionMatrix(labels: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let k = 0; k < labels.length; k++) {
    const row = m[labels[k] ?? -1];
    const p = predicted[k] ?? -1;
    if (row === undefined || p < 0 || p >= classes) throw new ValidationError(`class index out of range at ${k}`);
    row[p] = (row[p] ?? 0) + 1;
  }
  return m;
}

/** Accuracy, macro-F1, log loss and the confusion matrix of `probabilities` (rows of `classes`) against `labels`. */
export function classificationMetrics(labels: ArrayLike<number>, probabilities: ArrayLike<number>, classes: number): ClassificationMetrics {
  const count = labels.length;
  if (count === 0) throw new ValidationError('no labels to evaluate');
  if (probabilities.length !== count * classes) {
    throw new ValidationError(`expected ${count * classes} probabilities (${count} × ${classes}), got ${probabilities.length}`);
  }
  const predicted = argmaxClasses(probabilities, classes);
  const confusion = confusionMatrix(labels, predicted, classes);
  let correct = 0;
  let loss = 0;
  for (let k = 0; k < count; k++) {
    const y = labels[k] ?? 0;
    if (predicted[k] === y) correct += 1;
    loss -= Math.log(Math.min(1, Math.max(LOG_LOSS_EPSILON, probabilities[k * classes + y] ?? 0)));
  }
  return { count, accuracy: correct / count, macroF1: macroF1(confusion), logLoss: loss / count, confusion };
}

/** F1 per class from a confusion matrix, averaged over the classes present in labels or predictions. */
export function macroF1(confusion: readonly (readonly number[])[]): number {
  let total = 0;
  let present = 0;
  confusion.forEach((row, c) => {
    const truePositive = row[c] ?? 0;
    const actual = row.reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, r) => a + (r[c] ?? 0), 0);
    if (actual + predicted === 0) return;
    present += 1;
    total += (2 * truePositive) / (actual + predicted);
  });
  return present === 0 ? 0 : total / present;
}
