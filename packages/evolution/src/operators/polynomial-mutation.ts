// Deb & Goyal, "A combined genetic adaptive search (GeneAS) for engineering design", 1996 (polynomial mutation, bounded form of Deb's NSGA-II code).
import type { Gene, Rng } from '@automl-ts/core';

/** Options of {@link polynomialMutation}. */
export interface PolynomialMutationOptions {
  /**
   * Distribution index η_m: larger makes smaller perturbations.
   * @default 20
   */
  eta?: number;
  /**
   * Probability that each real gene mutates.
   * @default 1 / (number of real genes)
   */
  probability?: number;
  /**
   * Gene positions the operator acts on (real genes); the others are copied unchanged.
   * @default every real gene
   */
  positions?: readonly number[];
}

/** Perturbs real genes with the polynomial distribution of index η_m, staying inside each gene's bounds. */
export function polynomialMutation(
  vector: readonly number[],
  genes: readonly Gene[],
  rng: Rng,
  options: PolynomialMutationOptions = {},
): number[] {
  const eta = options.eta ?? 20;
  const positions = options.positions ?? genes.flatMap((gene, i) => (gene.kind === 'real' ? [i] : []));
  const probability = options.probability ?? (positions.length === 0 ? 0 : 1 / positions.length);
  const out = vector.slice();
  const power = 1 / (eta + 1);
  for (const i of positions) {
    if (!rng.bernoulli(probability)) continue;
    const { lower, upper } = genes[i] as Gene;
    const y = out[i] as number;
    const range = upper - lower;
    const u = rng.next();
    let deltaQ: number;
    if (u <= 0.5) {
      const xy = 1 - (y - lower) / range;
      deltaQ = (2 * u + (1 - 2 * u) * xy ** (eta + 1)) ** power - 1;
    } else {
      const xy = 1 - (upper - y) / range;
      deltaQ = 1 - (2 * (1 - u) + 2 * (u - 0.5) * xy ** (eta + 1)) ** power;
    }
    out[i] = Math.min(upper, Math.max(lower, y + deltaQ * range));
  }
  return out;
}
