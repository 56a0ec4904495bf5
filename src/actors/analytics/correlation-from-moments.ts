/**
 * Pearson ρ from a window's sums and cross sums of `count` values taken relative to `shift`
 * (Σ (x_i − shift_i) and the upper triangle of Σ (x_i − shift_i)(x_j − shift_j) at i·N + j, j ≥ i),
 * written symmetric into `out` (N×N): 1 on the diagonal, NaN where a series is constant. A
 * centred sum of squares below 1e-12 of the raw one (Σ x²) counts as constant: rounding leaves that
 * much of a constant series and would otherwise make up a correlation out of it.
 */
export function correlationFromMoments(
  sum: Float64Array,
  cross: Float64Array,
  shift: Float64Array,
  count: number,
  nodes: number,
  out: Float64Array,
): void {
  const n = nodes;
  const scale = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = sum[i] ?? 0;
    const sq = cross[i * n + i] ?? 0;
    const k = shift[i] ?? 0;
    const raw = sq + 2 * k * s + count * k * k;
    const centred = sq - (s * s) / count;
    scale[i] = centred > 1e-12 * Math.max(raw, sq) ? 1 / Math.sqrt(centred) : Number.NaN;
  }
  for (let i = 0; i < n; i++) {
    const si = sum[i] ?? 0;
    const ki = scale[i] ?? Number.NaN;
    out[i * n + i] = Number.isNaN(ki) ? Number.NaN : 1;
    for (let j = i + 1; j < n; j++) {
      const covariance = (cross[i * n + j] ?? 0) - (si * (sum[j] ?? 0)) / count;
      const rho = Math.min(1, Math.max(-1, covariance * ki * (scale[j] ?? Number.NaN)));
      out[i * n + j] = rho;
      out[j * n + i] = rho;
    }
  }
}
