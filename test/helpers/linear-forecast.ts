import { LabelClasses } from '../../src/actors/analytics/index.ts';

/**
 * The oracle-style classifiers of the planted-market test: an ordinary least-squares forecast of
 * the forward return from a few predictors (with an intercept), turned into UP/DOWN/FLAT
 * probabilities by a Gaussian residual around the forecast. Optimal when the market is linear and
 * Gaussian, which the synthetic markets are.
 */
export interface LinearForecast {
  readonly weights: Float64Array;
  readonly residualSd: number;
}

/** Fits on `rows` rows of `p` predictors (row-major) against targets `y`. */
export function fitLinearForecast(x: ArrayLike<number>, y: ArrayLike<number>, p: number): LinearForecast {
  const rows = y.length;
  const q = p + 1;
  const gram = new Float64Array(q * q);
  const rhs = new Float64Array(q);
  const row = new Float64Array(q);
  for (let r = 0; r < rows; r++) {
    row[0] = 1;
    for (let k = 0; k < p; k++) row[k + 1] = x[r * p + k] ?? 0;
    for (let a = 0; a < q; a++) {
      rhs[a] = (rhs[a] ?? 0) + (row[a] ?? 0) * (y[r] ?? 0);
      for (let b = 0; b < q; b++) gram[a * q + b] = (gram[a * q + b] ?? 0) + (row[a] ?? 0) * (row[b] ?? 0);
    }
  }
  const weights = solve(gram, rhs, q);
  let squares = 0;
  for (let r = 0; r < rows; r++) {
    const e = (y[r] ?? 0) - predict(weights, x, r, p);
    squares += e * e;
  }
  return { weights, residualSd: Math.sqrt(squares / Math.max(1, rows - q)) };
}

export function predict(weights: Float64Array, x: ArrayLike<number>, r: number, p: number): number {
  let v = weights[0] ?? 0;
  for (let k = 0; k < p; k++) v += (weights[k + 1] ?? 0) * (x[r * p + k] ?? 0);
  return v;
}

/** P(UP), P(DOWN), P(FLAT) in {@link LabelClasses} order for a forward return ~ N(mean, sd²). */
export function classProbabilities(mean: number, sd: number, band: number, out: Float32Array, offset: number): void {
  const up = 1 - normalCdf((band - mean) / sd);
  const down = normalCdf((-band - mean) / sd);
  out[offset + LabelClasses.indexOf('UP')] = up;
  out[offset + LabelClasses.indexOf('DOWN')] = down;
  out[offset + LabelClasses.indexOf('FLAT')] = Math.max(0, 1 - up - down);
}

/** Φ via erf (Abramowitz–Stegun 7.1.26, |error| < 1.5e-7). */
function normalCdf(z: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(z)) / Math.SQRT2);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(z * z) / 2);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

function solve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a);
  const v = Float64Array.from(b);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c] ?? 0) > Math.abs(m[pivot * n + c] ?? 0)) pivot = r;
    for (let k = 0; k < n; k++) [m[c * n + k], m[pivot * n + k]] = [m[pivot * n + k] ?? 0, m[c * n + k] ?? 0];
    [v[c], v[pivot]] = [v[pivot] ?? 0, v[c] ?? 0];
    const d = m[c * n + c] ?? 0;
    if (Math.abs(d) < 1e-300) throw new Error('singular least-squares system');
    for (let r = c + 1; r < n; r++) {
      const f = (m[r * n + c] ?? 0) / d;
      for (let k = c; k < n; k++) m[r * n + k] = (m[r * n + k] ?? 0) - f * (m[c * n + k] ?? 0);
      v[r] = (v[r] ?? 0) - f * (v[c] ?? 0);
    }
  }
  const w = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = v[r] ?? 0;
    for (let k = r + 1; k < n; k++) s -= (m[r * n + k] ?? 0) * (w[k] ?? 0);
    w[r] = s / (m[r * n + r] ?? 1);
  }
  return w;
}
