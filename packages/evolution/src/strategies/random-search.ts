// Bergstra & Bengio, "Random search for hyper-parameter optimization", JMLR 2012.
import { describeValue, errorFactory } from '../internal/errors.js';
import type { Objective } from '../types.js';
import type { SearchStrategy } from './strategy.js';

/** Options of {@link randomSearch}. */
export interface RandomSearchOptions {
  /**
   * Architectures per generation (one checkpoint each). The history does not depend on it; a larger
   * batch keeps more parallel evaluators busy.
   * @default 16
   */
  batchSize?: number;
}

/** {@link RandomSearchOptions} with defaults filled in. */
export type ResolvedRandomSearchOptions = { readonly batchSize: number };

/** Fills defaults and validates {@link RandomSearchOptions}. */
export function resolveRandomSearchOptions(options: RandomSearchOptions = {}): ResolvedRandomSearchOptions {
  const { batchSize = 16 } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw errorFactory('randomSearch')(
      `batchSize must be a positive integer, got ${describeValue(batchSize)}`,
    );
  }
  return { batchSize };
}

/**
 * Uniform random sampling of the search space (feasible samples only under hard constraints): the
 * baseline every NAS method must beat, and a strong one.
 *
 * @example
 * const result = await runSearch({ space, evaluator, objectives: [maximize('accuracy')],
 *   strategy: randomSearch(), budget: { evaluations: 500 }, seed: 1 });
 */
export function randomSearch(options: RandomSearchOptions = {}): SearchStrategy<null> {
  const config = resolveRandomSearchOptions(options);
  return {
    name: 'random-search',
    config,
    check(_objectives: readonly Objective[]) {},
    init: () => null,
    ask(state, context, limit) {
      const count = Math.min(config.batchSize, limit);
      const candidates = Array.from({ length: count }, () =>
        context.feasible(() => context.space.sample(context.rng)),
      );
      return { state, candidates };
    },
    tell: (state) => state,
  };
}
