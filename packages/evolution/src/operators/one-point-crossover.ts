// Holland, "Adaptation in Natural and Artificial Systems", 1975 (one-point crossover).
import type { Rng } from '@automl-ts/core';

/**
 * Two children made by cutting both parents at one random point (between genes 1 and n - 1) and
 * exchanging the tails. Vectors of fewer than two genes are copied.
 */
export function onePointCrossover(
  a: readonly number[],
  b: readonly number[],
  rng: Rng,
): [number[], number[]] {
  if (a.length < 2) return [a.slice(), b.slice()];
  const cut = rng.int(1, a.length - 1);
  return [
    [...a.slice(0, cut), ...b.slice(cut)],
    [...b.slice(0, cut), ...a.slice(cut)],
  ];
}
