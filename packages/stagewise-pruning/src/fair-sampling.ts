// Yu & Huang, "Universally Slimmable Networks", ICCV 2019, §3.3 (the sandwich rule); Wang et al.,
// "Effective Model Compression via Stage-wise Pruning", 2020, §3.3 (fair sampling: the full and the
// tiny network in every iteration, so every channel is trained).
import { type Architecture, describeValue, type Rng, type Supernet } from '@automl-ts/core';
import { failFor } from './internal/errors.js';

/**
 * The architectures of one fair-sampling iteration: the full network, the tiny network and
 * `randomSubnets` uniformly random ones, in that order (the full one is the teacher).
 *
 * @example
 * const archs = sandwichArchitectures(supernet, rng, 2); // [full, tiny, random, random]
 */
export function sandwichArchitectures(supernet: Supernet, rng: Rng, randomSubnets: number): Architecture[] {
  if (!Number.isInteger(randomSubnets) || randomSubnets < 0) {
    throw failFor('sandwichArchitectures')(
      `randomSubnets must be an integer >= 0, got ${describeValue(randomSubnets)}`,
    );
  }
  return [
    supernet.largestArchitecture(),
    supernet.smallestArchitecture(),
    ...Array.from({ length: randomSubnets }, () => supernet.sample(rng)),
  ];
}
