// Coello Coello & Reyes Sierra, "A study of the parallelization of a coevolutionary multi-objective evolutionary algorithm", MICAI 2004 (inverted generational distance).
import { errorFactory } from '../internal/errors.js';

const fail = errorFactory('invertedGenerationalDistance');

/**
 * Inverted generational distance: the mean, over the points of a reference (true) front, of the
 * Euclidean distance to the nearest point of the approximation. 0 means the approximation covers
 * the reference front; it penalises both poor convergence and gaps.
 */
export function invertedGenerationalDistance(
  approximation: readonly (readonly number[])[],
  referenceFront: readonly (readonly number[])[],
): number {
  if (approximation.length === 0) throw fail('the approximation front is empty');
  if (referenceFront.length === 0) throw fail('the reference front is empty');
  let total = 0;
  for (const target of referenceFront) {
    let nearest = Number.POSITIVE_INFINITY;
    for (const point of approximation) {
      let squared = 0;
      for (let m = 0; m < target.length; m++) squared += ((target[m] as number) - (point[m] as number)) ** 2;
      if (squared < nearest) nearest = squared;
    }
    total += Math.sqrt(nearest);
  }
  return total / referenceFront.length;
}
