/** Mean, spread and 95% confidence half-width of a sample of outcomes. */
export interface Summary {
  /** Number of outcomes. */
  readonly n: number;
  readonly mean: number;
  /** Sample standard deviation (n − 1 in the denominator); 0 for one outcome. */
  readonly std: number;
  /** Half-width of the 95% confidence interval of the mean. */
  readonly ci95: number;
  /** How `ci95` was computed: `normal` (1.96·s/√n) or `t` (Student's t with n − 1 degrees of freedom). */
  readonly interval: 'normal' | 't';
}

/** Two-sided 97.5% quantiles of Student's t for 1…30 degrees of freedom. */
const T_975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** The 97.5% quantile of Student's t with `df` degrees of freedom (the normal 1.96 past 30). */
export function tQuantile975(df: number): number {
  if (!Number.isInteger(df) || df < 1) return Number.NaN;
  return T_975[df - 1] ?? 1.96;
}

/**
 * Mean, standard deviation and 95% confidence half-width of `values`. `normal` (the default) is
 * what few-shot papers report over test tasks (1.96·s/√n, as `@automl-ts/meta-learning`'s
 * `evaluate`); use `t` for a handful of values such as training seeds.
 *
 * @example
 * summarize([0.9, 0.8, 1]); // { n: 3, mean: 0.9, std: 0.1, ci95: 0.113…, interval: 'normal' }
 */
export function summarize(values: readonly number[], interval: 'normal' | 't' = 'normal'): Summary {
  const n = values.length;
  if (n === 0) return { n, mean: Number.NaN, std: Number.NaN, ci95: Number.NaN, interval };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { n, mean, std: 0, ci95: 0, interval };
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const z = interval === 't' ? tQuantile975(n - 1) : 1.96;
  return { n, mean, std, ci95: (z * std) / Math.sqrt(n), interval };
}

/** What {@link summarizeOverSeeds} returns. */
export interface SeedSummary {
  /** One summary per seed, over that seed's outcomes (e.g. its test tasks). */
  readonly perSeed: readonly Summary[];
  /** Over the seeds' means (Student's t): the spread of training runs, the honest error bar. */
  readonly overSeeds: Summary;
  /** Over every outcome of every seed pooled (normal): ignores that tasks of one seed share a model. */
  readonly pooled: Summary;
}

/**
 * Mean ± CI of runs repeated over training seeds, each with many outcomes (e.g. 3 seeds × 600
 * tasks): per seed, over the seeds' means, and pooled.
 *
 * @example
 * const { overSeeds } = summarizeOverSeeds([seed0Accuracies, seed1Accuracies, seed2Accuracies]);
 */
export function summarizeOverSeeds(outcomesPerSeed: readonly (readonly number[])[]): SeedSummary {
  const perSeed = outcomesPerSeed.map((values) => summarize(values));
  return {
    perSeed,
    overSeeds: summarize(
      perSeed.map((s) => s.mean),
      't',
    ),
    pooled: summarize(outcomesPerSeed.flat()),
  };
}
