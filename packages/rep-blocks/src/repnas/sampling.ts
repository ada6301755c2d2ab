// Zhang et al., "RepNAS: Searching for Efficient Re-parameterizing Blocks", 2021, §3.2 (branch sampling: logistic noise, global top-k, straight-through sigmoid).
import type { Rng } from '@automl-ts/core';

/**
 * Indices of the `k` largest values (ties broken by lower index), as a 0/1 mask of the same length.
 */
export function topKMask(values: ArrayLike<number>, k: number): Uint8Array {
  const order = Array.from({ length: values.length }, (_, i) => i).sort(
    (a, b) => (values[b] as number) - (values[a] as number) || a - b,
  );
  const mask = new Uint8Array(values.length);
  for (const i of order.slice(0, k)) mask[i] = 1;
  return mask;
}

/**
 * The perturbed logits of one training step: `r = α + g1 − g2`, `g = −log(−log U)`, U uniform in
 * (0, 1) from `rng` (the difference of two Gumbels is logistic noise).
 */
export function perturbLogits(alpha: ArrayLike<number>, rng: Rng): Float32Array {
  const gumbel = (): number => {
    const u = Math.min(Math.max(rng.next(), 1e-10), 1 - 1e-10);
    return -Math.log(-Math.log(u));
  };
  const r = new Float32Array(alpha.length);
  for (let i = 0; i < alpha.length; i++) r[i] = (alpha[i] as number) + gumbel() - gumbel();
  return r;
}
