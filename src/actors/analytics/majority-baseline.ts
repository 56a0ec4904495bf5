/**
 * Class priors of the training labels with add-one (Laplace) smoothing: (count + 1) / (n + classes),
 * so a class absent from training still gets a probability and the baseline's log loss stays finite.
 */
export function classPriors(trainLabels: ArrayLike<number>, classes: number): Float64Array {
  const counts = new Float64Array(classes);
  for (let k = 0; k < trainLabels.length; k++) {
    const y = trainLabels[k] ?? -1;
    if (y >= 0 && y < classes) counts[y] = (counts[y] ?? 0) + 1;
  }
  return counts.map((c) => (c + 1) / (trainLabels.length + classes));
}

/**
 * The majority baseline's probabilities for `count` samples: the training priors for every sample,
 * so its accuracy is the majority class's share and its log loss the cross-entropy of the priors.
 */
export function majorityBaseline(priors: ArrayLike<number>, count: number): Float32Array {
  const classes = priors.length;
  const out = new Float32Array(count * classes);
  for (let k = 0; k < count; k++) for (let c = 0; c < classes; c++) out[k * classes + c] = priors[c] ?? 0;
  return out;
}
