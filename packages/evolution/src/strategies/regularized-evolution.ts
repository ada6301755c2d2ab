// Real, Aggarwal, Huang & Le, "Regularized evolution for image classifier architecture search", AAAI 2019, Algorithm 1 (aging evolution).
import type { Architecture } from '@automl-ts/core';
import { describeValue, errorFactory } from '../internal/errors.js';
import { tournamentSelect } from '../operators/tournament-selection.js';
import type { Objective } from '../types.js';
import { byFirstObjective, type Individual, individualsOf, type SearchStrategy } from './strategy.js';

/** Options of {@link regularizedEvolution}. */
export interface RegularizedEvolutionOptions {
  /**
   * Population size P: the number of most recent (or best, with `removal: 'worst'`) models kept.
   * @default 100
   */
  populationSize?: number;
  /**
   * Tournament size S: candidates sampled from the population to pick each parent.
   * @default 25 (or populationSize when smaller)
   */
  sampleSize?: number;
  /**
   * Which member leaves when a child joins a full population: `oldest` is aging (regularized)
   * evolution; `worst` is the classic non-aging tournament evolution the paper compares against.
   * @default 'oldest'
   */
  removal?: 'oldest' | 'worst';
  /**
   * Per-gene mutation probability; at least one gene always changes, so 0 means exactly one
   * gene, as in the paper.
   * @default 0
   */
  mutationProbability?: number;
  /**
   * Children per generation (all bred from the same population, evaluated in parallel). 1 is the
   * paper's sequential loop; use at least as many as parallel evaluators. The history depends on
   * it, never on the number of evaluators.
   * @default 1
   */
  batchSize?: number;
}

/** {@link RegularizedEvolutionOptions} with defaults filled in. */
export type ResolvedRegularizedEvolutionOptions = {
  readonly populationSize: number;
  readonly sampleSize: number;
  readonly removal: 'oldest' | 'worst';
  readonly mutationProbability: number;
  readonly batchSize: number;
};

/** The population, oldest first. */
export type RegularizedEvolutionState = { readonly population: readonly Individual[] };

const fail = errorFactory('regularizedEvolution');

/** Fills defaults and validates {@link RegularizedEvolutionOptions}. */
export function resolveRegularizedEvolutionOptions(
  options: RegularizedEvolutionOptions = {},
): ResolvedRegularizedEvolutionOptions {
  const { populationSize = 100, removal = 'oldest', mutationProbability = 0, batchSize = 1 } = options;
  if (!Number.isInteger(populationSize) || populationSize < 2) {
    throw fail(`populationSize must be an integer >= 2, got ${describeValue(populationSize)}`);
  }
  const sampleSize = options.sampleSize ?? Math.min(25, populationSize);
  if (!Number.isInteger(sampleSize) || sampleSize < 1 || sampleSize > populationSize) {
    throw fail(
      `sampleSize must be an integer in [1, populationSize = ${populationSize}], got ${describeValue(sampleSize)}`,
    );
  }
  if (removal !== 'oldest' && removal !== 'worst') {
    throw fail(`removal must be "oldest" or "worst", got ${describeValue(removal)}`);
  }
  if (!(mutationProbability >= 0 && mutationProbability <= 1)) {
    throw fail(`mutationProbability must be in [0, 1], got ${describeValue(mutationProbability)}`);
  }
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw fail(`batchSize must be a positive integer, got ${describeValue(batchSize)}`);
  return { populationSize, sampleSize, removal, mutationProbability, batchSize };
}

/**
 * Regularized (aging) evolution: fill a population with random architectures; then repeatedly
 * pick the best of S random members, mutate it, evaluate the child, add it and remove the oldest
 * member. Aging removes lucky evaluations over time and keeps the search exploring.
 *
 * @example
 * const result = await runSearch({ space, evaluator, objectives: [maximize('accuracy')],
 *   strategy: regularizedEvolution({ populationSize: 50, sampleSize: 10 }), budget: { evaluations: 1000 } });
 */
export function regularizedEvolution(
  options: RegularizedEvolutionOptions = {},
): SearchStrategy<RegularizedEvolutionState> {
  const config = resolveRegularizedEvolutionOptions(options);
  return {
    name: 'regularized-evolution',
    config,
    check(objectives: readonly Objective[]) {
      checkSingleObjective('regularizedEvolution', objectives);
    },
    init: () => ({ population: [] }),
    ask(state, context, limit) {
      const { space, rng } = context;
      const missing = config.populationSize - state.population.length;
      if (missing > 0) {
        const count = Math.min(missing, config.batchSize, limit);
        return {
          state,
          candidates: Array.from({ length: count }, () => context.feasible(() => space.sample(rng))),
        };
      }
      const count = Math.min(config.batchSize, limit);
      const candidates: Architecture[] = [];
      for (let i = 0; i < count; i++) {
        candidates.push(
          context.feasible(() => {
            const parent = tournamentSelect(state.population, config.sampleSize, byFirstObjective, rng);
            return space.mutate(parent.architecture, rng, { probability: config.mutationProbability });
          }),
        );
      }
      return { state, candidates };
    },
    tell(state, records) {
      const population = state.population.slice();
      for (const child of individualsOf(records)) {
        population.push(child);
        if (population.length > config.populationSize) {
          if (config.removal === 'oldest') {
            population.shift();
          } else {
            let worst = 0;
            for (let i = 1; i < population.length; i++) {
              if (byFirstObjective(population[i] as Individual, population[worst] as Individual) > 0)
                worst = i;
            }
            population.splice(worst, 1);
          }
        }
      }
      return { population };
    },
  };
}

/** Throws unless exactly one objective is given. */
export function checkSingleObjective(where: string, objectives: readonly Objective[]): void {
  if (objectives.length !== 1) {
    throw errorFactory(where)(
      `optimises one objective, got ${objectives.length} (${objectives.map((o) => o.metric).join(', ')}); ` +
        'use nsga2 for several, or add the others as constraints',
    );
  }
}
