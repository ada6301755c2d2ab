/** A mean with the half-width of its 95% confidence interval (normal approximation, 1.96·s/√n). */
export interface Estimate {
  readonly mean: number;
  readonly ci95: number;
}

/** Mean and 95% confidence half-width of `values` (as few-shot papers report over test tasks). */
export function estimate(values: readonly number[]): Estimate {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, ci95: Number.NaN };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, ci95: 0 };
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { mean, ci95: (1.96 * Math.sqrt(variance)) / Math.sqrt(n) };
}
