// Syswerda, "Uniform crossover in genetic algorithms", ICGA 1989.
import type { Rng } from '@automl-ts/core';

/** Options of {@link uniformCrossover}. */
export interface UniformCrossoverOptions {
  /**
   * Probability that a gene is swapped between the children.
   * @default 0.5
   */
  swapProbability?: number;
  /**
   * Gene positions the operator acts on; the others are copied unchanged.
   * @default every position
   */
  positions?: readonly number[];
}

/** Two children that take each gene from one parent or the other, independently per gene. */
export function uniformCrossover(
  a: readonly number[],
  b: readonly number[],
  rng: Rng,
  options: UniformCrossoverOptions = {},
): [number[], number[]] {
  const swap = options.swapProbability ?? 0.5;
  const first = a.slice();
  const second = b.slice();
  const positions = options.positions ?? a.map((_, i) => i);
  for (const i of positions) {
    if (rng.bernoulli(swap)) {
      first[i] = b[i] as number;
      second[i] = a[i] as number;
    }
  }
  return [first, second];
}
