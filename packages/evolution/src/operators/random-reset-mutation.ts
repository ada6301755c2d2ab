// Bäck, Fogel & Michalewicz (eds.), "Handbook of Evolutionary Computation", 1997, C3.2 (random resetting mutation for discrete genes).
import type { Gene, Rng } from '@automl-ts/core';

/** Options of {@link randomResetMutation}. */
export interface RandomResetMutationOptions {
  /**
   * Probability that each discrete gene is reset to a different value, uniformly among the others.
   * @default 1 / (number of discrete genes)
   */
  probability?: number;
  /**
   * Gene positions the operator acts on (discrete genes); the others are copied unchanged.
   * @default every discrete gene
   */
  positions?: readonly number[];
}

/** Resets discrete genes (categorical or integer indices) to another value with a per-gene probability. */
export function randomResetMutation(
  vector: readonly number[],
  genes: readonly Gene[],
  rng: Rng,
  options: RandomResetMutationOptions = {},
): number[] {
  const positions = options.positions ?? genes.flatMap((gene, i) => (gene.kind === 'real' ? [] : [i]));
  const probability = options.probability ?? (positions.length === 0 ? 0 : 1 / positions.length);
  const out = vector.slice();
  for (const i of positions) {
    const { cardinality } = genes[i] as Gene;
    if (cardinality < 2 || !rng.bernoulli(probability)) continue;
    const current = out[i] as number;
    const drawn = rng.int(0, cardinality - 2);
    out[i] = drawn >= current ? drawn + 1 : drawn;
  }
  return out;
}
