import { correlationFromMoments } from './correlation-from-moments.ts';

/**
 * Pearson ρ of N series over `rows` values each (`values` row-major: rows × N), two passes
 * (centred on the means first): the exact reference the rolling correlation is checked against,
 * and the one-off graph of a single window.
 */
export function pearsonMatrix(values: Float64Array, rows: number, nodes: number): Float64Array {
  const n = nodes;
  const mean = new Float64Array(n);
  for (let t = 0; t < rows; t++) for (let i = 0; i < n; i++) mean[i] = (mean[i] ?? 0) + (values[t * n + i] ?? 0) / rows;
  const sum = new Float64Array(n);
  const cross = new Float64Array(n * n);
  const d = new Float64Array(n);
  for (let t = 0; t < rows; t++) {
    for (let i = 0; i < n; i++) {
      d[i] = (values[t * n + i] ?? 0) - (mean[i] ?? 0);
      sum[i] = (sum[i] ?? 0) + (d[i] ?? 0);
    }
    for (let i = 0; i < n; i++) {
      const di = d[i] ?? 0;
      for (let j = i; j < n; j++) cross[i * n + j] = (cross[i * n + j] ?? 0) + di * (d[j] ?? 0);
    }
  }
  const out = new Float64Array(n * n);
  correlationFromMoments(sum, cross, mean, rows, n, out);
  return out;
}
