// Deb, Pratap, Agarwal & Meyarivan, "A fast and elitist multiobjective genetic algorithm: NSGA-II", IEEE TEC 2002 (§III: elitist (μ+λ) survival by rank and crowding).
import type { Architecture, Gene } from '@automl-ts/core';
import { describeValue, errorFactory } from '../internal/errors.js';
import { crowdingDistance } from '../operators/crowding-distance.js';
import { fastNonDominatedSort } from '../operators/non-dominated-sort.js';
import { polynomialMutation } from '../operators/polynomial-mutation.js';
import { randomResetMutation } from '../operators/random-reset-mutation.js';
import { sbxCrossover } from '../operators/sbx-crossover.js';
import { tournamentSelect } from '../operators/tournament-selection.js';
import { uniformCrossover } from '../operators/uniform-crossover.js';
import type { Objective } from '../types.js';
import { type Individual, individualsOf, type SearchStrategy } from './strategy.js';

/** Options of {@link nsga2}. */
export interface Nsga2Options {
  /**
   * Population size N (also the offspring per generation).
   * @default 100
   */
  populationSize?: number;
  /**
   * Probability that a pair of parents is crossed (otherwise the children are copies).
   * @default 0.9
   */
  crossoverProbability?: number;
  /**
   * SBX distribution index η_c for real genes.
   * @default 20
   */
  crossoverEta?: number;
  /**
   * Per-gene mutation probability (polynomial for real genes, random reset for discrete ones).
   * @default 1 / (number of genes)
   */
  mutationProbability?: number;
  /**
   * Polynomial mutation distribution index η_m for real genes.
   * @default 20
   */
  mutationEta?: number;
}

/** {@link Nsga2Options} with defaults filled in (`mutationProbability: null` means 1 / genes). */
export type ResolvedNsga2Options = {
  readonly populationSize: number;
  readonly crossoverProbability: number;
  readonly crossoverEta: number;
  readonly mutationProbability: number | null;
  readonly mutationEta: number;
};

/** The current parent population. */
export type Nsga2State = { readonly population: readonly Individual[] };

const fail = errorFactory('nsga2');

/** Fills defaults and validates {@link Nsga2Options}. */
export function resolveNsga2Options(options: Nsga2Options = {}): ResolvedNsga2Options {
  const { populationSize = 100, crossoverProbability = 0.9, crossoverEta = 20, mutationEta = 20 } = options;
  const mutationProbability = options.mutationProbability ?? null;
  if (!Number.isInteger(populationSize) || populationSize < 2) {
    throw fail(`populationSize must be an integer >= 2, got ${describeValue(populationSize)}`);
  }
  if (!(crossoverProbability >= 0 && crossoverProbability <= 1)) {
    throw fail(`crossoverProbability must be in [0, 1], got ${describeValue(crossoverProbability)}`);
  }
  if (mutationProbability !== null && !(mutationProbability >= 0 && mutationProbability <= 1)) {
    throw fail(`mutationProbability must be in [0, 1], got ${describeValue(mutationProbability)}`);
  }
  for (const [name, value] of Object.entries({ crossoverEta, mutationEta })) {
    if (!(value >= 0) || !Number.isFinite(value))
      throw fail(`${name} must be a finite number >= 0, got ${describeValue(value)}`);
  }
  return { populationSize, crossoverProbability, crossoverEta, mutationProbability, mutationEta };
}

type Ranked = { readonly individual: Individual; readonly rank: number; readonly crowding: number };

/** Ranks a population by non-domination and crowding distance. */
function rankPopulation(population: readonly Individual[]): Ranked[] {
  const points = population.map((individual) => individual.objectives);
  const ranked: Ranked[] = [];
  fastNonDominatedSort(points).forEach((front, rank) => {
    const distances = crowdingDistance(points, front);
    front.forEach((i, k) => {
      ranked.push({ individual: population[i] as Individual, rank, crowding: distances[k] as number });
    });
  });
  return ranked;
}

/** The crowded-comparison operator ≺_n: lower rank, then larger crowding distance. */
function crowdedCompare(a: Ranked, b: Ranked): number {
  if (a.rank !== b.rank) return a.rank - b.rank;
  if (a.crowding !== b.crowding) return a.crowding > b.crowding ? -1 : 1;
  return 0;
}

/** Elitist survival: whole fronts while they fit, then the least crowded of the next front. */
function survivors(pool: readonly Individual[], size: number): Individual[] {
  if (pool.length <= size) return pool.slice();
  const points = pool.map((individual) => individual.objectives);
  const out: Individual[] = [];
  for (const front of fastNonDominatedSort(points)) {
    if (out.length + front.length <= size) {
      for (const i of front) out.push(pool[i] as Individual);
      if (out.length === size) break;
      continue;
    }
    const distances = crowdingDistance(points, front);
    const order = front
      .map((_, k) => k)
      .sort((x, y) => (distances[y] as number) - (distances[x] as number) || x - y);
    for (const k of order.slice(0, size - out.length)) out.push(pool[front[k] as number] as Individual);
    break;
  }
  return out;
}

/**
 * NSGA-II: binary tournaments by the crowded comparison pick parents; SBX crossover and polynomial
 * mutation make children of real genes, uniform crossover and random reset of discrete ones; parents
 * and children together are sorted into Pareto fronts and the best N survive, fronts first, the
 * least crowded first within the last front. For accuracy vs FLOPs / latency / parameters.
 *
 * @example
 * const result = await runSearch({ space, evaluator, strategy: nsga2({ populationSize: 100 }),
 *   objectives: [maximize('accuracy'), minimize('flops')], budget: { generations: 50 } });
 * result.front; // the non-dominated architectures
 */
export function nsga2(options: Nsga2Options = {}): SearchStrategy<Nsga2State> {
  const config = resolveNsga2Options(options);
  // Parents are encoded again and again: remember the genes of each architecture object (a pure
  // cache; the operators never modify their inputs).
  const encoded = new WeakMap<Architecture, number[]>();
  return {
    name: 'nsga2',
    config,
    check(objectives: readonly Objective[]) {
      if (objectives.length < 1) throw fail('needs at least one objective');
    },
    init: () => ({ population: [] }),
    ask(state, context, limit) {
      const { space, rng } = context;
      const count = Math.min(config.populationSize, limit);
      if (state.population.length < 2) {
        return {
          state,
          candidates: Array.from({ length: count }, () => context.feasible(() => space.sample(rng))),
        };
      }
      const genes = space.genes();
      const real = positionsOf(genes, true);
      const discrete = positionsOf(genes, false);
      const mutationProbability = config.mutationProbability ?? 1 / genes.length;
      const ranked = rankPopulation(state.population);
      const pending: Architecture[] = [];
      const genesOf = (arch: Architecture): number[] => {
        let vector = encoded.get(arch);
        if (vector === undefined) {
          vector = space.encode(arch);
          encoded.set(arch, vector);
        }
        return vector;
      };
      const breed = (): Architecture => {
        if (pending.length === 0) {
          const first = genesOf(tournamentSelect(ranked, 2, crowdedCompare, rng).individual.architecture);
          const second = genesOf(tournamentSelect(ranked, 2, crowdedCompare, rng).individual.architecture);
          let children: [number[], number[]] = [first, second];
          if (rng.bernoulli(config.crossoverProbability)) {
            children = sbxCrossover(first, second, genes, rng, { eta: config.crossoverEta, positions: real });
            children = uniformCrossover(children[0], children[1], rng, { positions: discrete });
          }
          for (const child of children) {
            let mutated = polynomialMutation(child, genes, rng, {
              eta: config.mutationEta,
              probability: mutationProbability,
              positions: real,
            });
            mutated = randomResetMutation(mutated, genes, rng, {
              probability: mutationProbability,
              positions: discrete,
            });
            pending.push(space.decode(mutated));
          }
        }
        return pending.shift() as Architecture;
      };
      return { state, candidates: Array.from({ length: count }, () => context.feasible(breed)) };
    },
    tell(state, records) {
      return {
        population: survivors([...state.population, ...individualsOf(records)], config.populationSize),
      };
    },
  };
}

function positionsOf(genes: readonly Gene[], real: boolean): number[] {
  return genes.flatMap((gene, i) => ((gene.kind === 'real') === real ? [i] : []));
}
