// Cai, Gan, Wang, Zhang & Han, "Once-for-All: train one network and specialize it for efficient deployment", ICLR 2020, §3.4 (evolutionary search as in MetaPruning, Liu et al. ICCV 2019).
import type { Architecture } from '@automl-ts/core';
import { describeValue, errorFactory } from '../internal/errors.js';
import { onePointCrossover } from '../operators/one-point-crossover.js';
import { uniformCrossover } from '../operators/uniform-crossover.js';
import type { Objective } from '../types.js';
import { checkSingleObjective } from './regularized-evolution.js';
import { byFirstObjective, type Individual, individualsOf, type SearchStrategy } from './strategy.js';

/** Options of {@link ofaEvolution}. */
export interface OfaEvolutionOptions {
  /**
   * Population size: architectures per generation.
   * @default 100
   */
  populationSize?: number;
  /**
   * Share of the population kept as parents (the best by fitness).
   * @default 0.25
   */
  parentRatio?: number;
  /**
   * Share of the population made by mutating a random parent; the rest (after the parents) is
   * made by crossover of two random parents.
   * @default 0.5
   */
  mutationRatio?: number;
  /**
   * Per-gene mutation probability (at least one gene changes).
   * @default 0.1
   */
  mutationProbability?: number;
  /**
   * Crossover operator on the encoded genes.
   * @default 'uniform'
   */
  crossover?: 'uniform' | 'one-point';
}

/** {@link OfaEvolutionOptions} with defaults filled in. */
export type ResolvedOfaEvolutionOptions = {
  readonly populationSize: number;
  readonly parentRatio: number;
  readonly mutationRatio: number;
  readonly mutationProbability: number;
  readonly crossover: 'uniform' | 'one-point';
};

/** The current population (parents and their evaluated children). */
export type OfaEvolutionState = { readonly population: readonly Individual[] };

const fail = errorFactory('ofaEvolution');

/** Fills defaults and validates {@link OfaEvolutionOptions}. */
export function resolveOfaEvolutionOptions(options: OfaEvolutionOptions = {}): ResolvedOfaEvolutionOptions {
  const {
    populationSize = 100,
    parentRatio = 0.25,
    mutationRatio = 0.5,
    mutationProbability = 0.1,
    crossover = 'uniform',
  } = options;
  if (!Number.isInteger(populationSize) || populationSize < 2) {
    throw fail(`populationSize must be an integer >= 2, got ${describeValue(populationSize)}`);
  }
  if (!(parentRatio > 0 && parentRatio < 1))
    throw fail(`parentRatio must be in (0, 1), got ${describeValue(parentRatio)}`);
  if (!(mutationRatio >= 0 && parentRatio + mutationRatio <= 1)) {
    throw fail(
      `mutationRatio must be >= 0 with parentRatio + mutationRatio <= 1, got ${describeValue(mutationRatio)}`,
    );
  }
  if (!(mutationProbability >= 0 && mutationProbability <= 1)) {
    throw fail(`mutationProbability must be in [0, 1], got ${describeValue(mutationProbability)}`);
  }
  if (crossover !== 'uniform' && crossover !== 'one-point') {
    throw fail(`crossover must be "uniform" or "one-point", got ${describeValue(crossover)}`);
  }
  return { populationSize, parentRatio, mutationRatio, mutationProbability, crossover };
}

/**
 * The evolutionary search of Once-for-All and MetaPruning: a random first population; then each
 * generation keeps the best `parentRatio` as parents and refills the population with mutants of
 * random parents and crossovers of random pairs, rejecting and redrawing children over the hard
 * constraints (a FLOPs or latency budget).
 *
 * @example
 * const result = await runSearch({ space, evaluator, objectives: [maximize('accuracy')],
 *   constraints: [{ name: 'flops', measure: flopsOf, max: 300e6 }],
 *   strategy: ofaEvolution({ populationSize: 100 }), budget: { generations: 20 } });
 */
export function ofaEvolution(options: OfaEvolutionOptions = {}): SearchStrategy<OfaEvolutionState> {
  const config = resolveOfaEvolutionOptions(options);
  const parentCount = Math.max(1, Math.round(config.parentRatio * config.populationSize));
  const mutationCount = Math.round(config.mutationRatio * config.populationSize);
  const parentsOf = (population: readonly Individual[]): Individual[] =>
    population.slice().sort(byFirstObjective).slice(0, parentCount);
  return {
    name: 'ofa-evolution',
    config,
    check(objectives: readonly Objective[]) {
      checkSingleObjective('ofaEvolution', objectives);
    },
    init: () => ({ population: [] }),
    ask(state, context, limit) {
      const { space, rng } = context;
      const parents = parentsOf(state.population);
      if (parents.length === 0) {
        const count = Math.min(config.populationSize, limit);
        return {
          state,
          candidates: Array.from({ length: count }, () => context.feasible(() => space.sample(rng))),
        };
      }
      const childCount = Math.min(config.populationSize - parents.length, limit);
      const candidates: Architecture[] = [];
      for (let i = 0; i < childCount; i++) {
        const byCrossover = i >= mutationCount && parents.length >= 2;
        candidates.push(
          context.feasible(() => {
            if (!byCrossover) {
              const parent = rng.choice(parents);
              return space.mutate(parent.architecture, rng, { probability: config.mutationProbability });
            }
            const [a, b] = rng.sample(parents, 2) as [Individual, Individual];
            const encodedA = space.encode(a.architecture);
            const encodedB = space.encode(b.architecture);
            const [child] =
              config.crossover === 'uniform'
                ? uniformCrossover(encodedA, encodedB, rng)
                : onePointCrossover(encodedA, encodedB, rng);
            return space.decode(child);
          }),
        );
      }
      return { state, candidates };
    },
    tell(state, records) {
      return { population: [...parentsOf(state.population), ...individualsOf(records)] };
    },
  };
}
