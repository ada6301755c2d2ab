// Kendall, "A New Measure of Rank Correlation", Biometrika 1938, and Kendall 1945 (τ-b, corrected
// for ties); Spearman, "The Proof and Measurement of Association between Two Things", 1904 (ρ:
// Pearson correlation of the ranks, ties at their average rank).
import { describeValue } from '@automl-ts/core';
import { failFor } from './internal/errors.js';

function checkPairs(fn: string, x: readonly number[], y: readonly number[]): void {
  if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length || x.length < 2) {
    throw failFor(fn)(
      `needs two arrays of the same length >= 2, got ${describeValue(x)} and ${describeValue(y)}`,
    );
  }
  const bad = [...x, ...y].find((v) => typeof v !== 'number' || !Number.isFinite(v));
  if (bad !== undefined) throw failFor(fn)(`values must be finite numbers, got ${describeValue(bad)}`);
}

/**
 * Kendall's τ-b between two paired samples (ties corrected, as `scipy.stats.kendalltau`): how
 * often pairs are ordered alike by proxy and actual accuracy. NaN when a sample is constant.
 *
 * @example
 * kendallTau([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]); // 0.7378647873726218
 */
export function kendallTau(x: readonly number[], y: readonly number[]): number {
  checkPairs('kendallTau', x, y);
  let concordant = 0;
  let discordant = 0;
  let tiesX = 0;
  let tiesY = 0;
  for (let i = 0; i < x.length; i++) {
    for (let j = i + 1; j < x.length; j++) {
      const dx = Math.sign((x[i] as number) - (x[j] as number));
      const dy = Math.sign((y[i] as number) - (y[j] as number));
      if (dx === 0 && dy === 0) continue;
      if (dx === 0) tiesX += 1;
      else if (dy === 0) tiesY += 1;
      else if (dx === dy) concordant += 1;
      else discordant += 1;
    }
  }
  return (
    (concordant - discordant) /
    Math.sqrt((concordant + discordant + tiesX) * (concordant + discordant + tiesY))
  );
}

/** Ranks from 1, ties at their average rank. */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (
      end + 1 < order.length &&
      (order[end + 1] as readonly [number, number])[0] === (order[start] as readonly [number, number])[0]
    )
      end += 1;
    for (let k = start; k <= end; k++)
      ranks[(order[k] as readonly [number, number])[1]] = (start + end) / 2 + 1;
    start = end + 1;
  }
  return ranks;
}

/**
 * Spearman's ρ between two paired samples: the Pearson correlation of their average ranks (as
 * `scipy.stats.spearmanr`). NaN when a sample is constant.
 *
 * @example
 * spearmanRho([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]); // 0.8207826816681233
 */
export function spearmanRho(x: readonly number[], y: readonly number[]): number {
  checkPairs('spearmanRho', x, y);
  const rx = averageRanks(x);
  const ry = averageRanks(y);
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const mx = mean(rx);
  const my = mean(ry);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < rx.length; i++) {
    const dx = (rx[i] as number) - mx;
    const dy = (ry[i] as number) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxy / Math.sqrt(sxx * syy);
}
