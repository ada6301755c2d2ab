// Deb & Agrawal, "Simulated binary crossover for continuous search space", Complex Systems 1995 (bounded form of Deb's NSGA-II code).
import type { Gene, Rng } from '@automl-ts/core';

/** Options of {@link sbxCrossover}. */
export interface SbxCrossoverOptions {
  /**
   * Distribution index η_c: larger keeps children closer to their parents.
   * @default 15
   */
  eta?: number;
  /**
   * Probability that each real gene is crossed (the others are copied).
   * @default 0.5
   */
  geneProbability?: number;
  /**
   * Gene positions the operator acts on (real genes); the others are copied unchanged.
   * @default every real gene
   */
  positions?: readonly number[];
}

const EPSILON = 1e-14;

/**
 * Simulated binary crossover on the real genes of two encoded parents, respecting each gene's
 * bounds: the spread of the children around the parents follows the polynomial distribution of
 * index η_c, as single-point crossover does on binary strings.
 */
export function sbxCrossover(
  a: readonly number[],
  b: readonly number[],
  genes: readonly Gene[],
  rng: Rng,
  options: SbxCrossoverOptions = {},
): [number[], number[]] {
  const eta = options.eta ?? 15;
  const geneProbability = options.geneProbability ?? 0.5;
  const positions = options.positions ?? genes.flatMap((gene, i) => (gene.kind === 'real' ? [i] : []));
  const first = a.slice();
  const second = b.slice();
  for (const i of positions) {
    if (!rng.bernoulli(geneProbability)) continue;
    const x1 = a[i] as number;
    const x2 = b[i] as number;
    if (Math.abs(x1 - x2) <= EPSILON) continue;
    const { lower, upper } = genes[i] as Gene;
    const y1 = Math.min(x1, x2);
    const y2 = Math.max(x1, x2);
    const u = rng.next();
    const c1 = 0.5 * (y1 + y2 - spread(1 + (2 * (y1 - lower)) / (y2 - y1), eta, u) * (y2 - y1));
    const c2 = 0.5 * (y1 + y2 + spread(1 + (2 * (upper - y2)) / (y2 - y1), eta, u) * (y2 - y1));
    const low = Math.min(upper, Math.max(lower, c1));
    const high = Math.min(upper, Math.max(lower, c2));
    if (rng.bernoulli(0.5)) {
      first[i] = high;
      second[i] = low;
    } else {
      first[i] = low;
      second[i] = high;
    }
  }
  return [first, second];
}

/** β_q of the bounded SBX: the spread factor for a uniform draw `u`, given the bound-distance factor β. */
function spread(beta: number, eta: number, u: number): number {
  const alpha = 2 - beta ** -(eta + 1);
  return u <= 1 / alpha ? (u * alpha) ** (1 / (eta + 1)) : (1 / (2 - u * alpha)) ** (1 / (eta + 1));
}
