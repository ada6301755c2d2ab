// Goldberg & Deb, "A comparative analysis of selection schemes used in genetic algorithms", 1991 (tournament selection).
import type { Rng } from '@automl-ts/core';
import { errorFactory } from '../internal/errors.js';

const fail = errorFactory('tournamentSelect');

/**
 * Draws `size` distinct items uniformly and returns the best of them under `compare` (negative when
 * the first argument is better); ties go to the one drawn first. Size 2 is binary tournament
 * (NSGA-II); size S of a population P is the parent selection of regularized evolution.
 */
export function tournamentSelect<T>(
  items: readonly T[],
  size: number,
  compare: (a: T, b: T) => number,
  rng: Rng,
): T {
  if (items.length === 0) throw fail('cannot select from an empty population');
  if (!Number.isInteger(size) || size < 1)
    throw fail(`tournament size must be a positive integer, got ${size}`);
  const contestants = rng.sample(items, Math.min(size, items.length));
  let best = contestants[0] as T;
  for (let i = 1; i < contestants.length; i++) {
    const contestant = contestants[i] as T;
    if (compare(contestant, best) < 0) best = contestant;
  }
  return best;
}
