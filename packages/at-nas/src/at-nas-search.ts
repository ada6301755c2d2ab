// Rong, Yu, Zhang et al., "Across-Task Neural Architecture Search via Meta Learning", 2021, §3
// (supernet weights meta-learned over tasks whose sub-networks come from an evolving population;
// the population evolves every G meta-iterations on meta-validation fitness). Defaults the paper
// leaves open follow T-NAS (Lian et al., ICLR 2020, §4.1): meta-batch 4, 5 inner SGD steps, outer
// Adam 1e-3.
import {
  type Architecture,
  type ArchValues,
  createRng,
  type Rng,
  type SearchSpace,
  type Supernet,
} from '@automl-ts/core';
import {
  type HistoryRecord,
  type Individual,
  maximize,
  type RegularizedEvolutionState,
  regularizedEvolution,
  type StrategyContext,
} from '@automl-ts/evolution';
import {
  type CheckpointJson,
  createMetaLearner,
  type MetaLearner,
  type MetaTrainArchitectures,
  type MetaTrainEvent,
  type MetaTrainResult,
  metaTrain,
  type SampledTask,
  type TaskSourceFactory,
} from '@automl-ts/meta-learning';
import { queryAccuracy } from './fitness.js';
import { describeValue, errorFactory } from './internal/errors.js';
import { fitRidgePredictor } from './surrogate.js';

/** The meta-learner of the supernet weights. */
export type AtNasAlgorithm = 'fomaml' | 'maml' | 'reptile';

/** Options of {@link atNasSearch}. */
export interface AtNasSearchOptions {
  /** The weight-sharing supernet (e.g. `createSupernet('conv4-cells', { ops: DARTS_OPS })`). */
  supernet: Supernet;
  /** Meta-training tasks, built from the generator `metaTrain` owns. */
  tasks: TaskSourceFactory;
  /** Meta-validation tasks: the fitness of the population (never the split a final number is reported on). */
  validationTasks: TaskSourceFactory;
  /** Meta-iterations in total (a resumed run continues up to this). */
  iterations: number;
  /**
   * Meta-learner: first-order MAML (the default), second-order MAML or Reptile, from `@automl-ts/meta-learning`.
   * @default 'fomaml'
   */
  algorithm?: AtNasAlgorithm;
  /** Inner learning rate. @default 0.1 (T-NAS; Reptile's default is 0.001) */
  innerLr?: number;
  /** Inner steps per task. @default 5 (T-NAS) */
  innerSteps?: number;
  /** Tasks per meta-iteration. @default 4 (T-NAS) */
  metaBatchSize?: number;
  /**
   * Where each task's architecture comes from: `population` (AT-NAS: the evolving population) or
   * `uniform` (the supernet meta-trained with uniform sampling, no evolution: the baseline).
   * @default 'population'
   */
  sampling?: 'population' | 'uniform';
  /** Fraction of tasks that run a uniformly random architecture instead of a population member (fairness to the unexplored). @default 0.25 */
  uniformFraction?: number;
  /** Population size P of regularized evolution. @default 20 */
  populationSize?: number;
  /** Tournament size S. @default 5 */
  sampleSize?: number;
  /** Evolve every G meta-iterations. @default 50 */
  evolveEvery?: number;
  /** Children per generation. @default 4 */
  children?: number;
  /** Meta-validation tasks per fitness measurement (the same tasks for every architecture of a generation). @default 10 */
  fitnessTasks?: number;
  /**
   * Surrogate pre-screening: breed `screen` × `children` candidates, keep the `children` a ridge
   * regression on the fitness history predicts best. `null`: no surrogate.
   * @default null
   */
  surrogate?: { screen: number; lambda?: number } | null;
  /** Seed of tasks, architectures and evolution. @default 0 */
  seed?: number | string;
  /** Save everything to resume (weights, optimizer, population, history, generators) every `every` iterations. */
  checkpoint?: { directory: string; every?: number };
  /** Training budget in seconds across resumes. @default Infinity */
  timeLimitSeconds?: number;
  /** Progress: meta-training events and one event per generation. */
  onProgress?: (event: AtNasEvent) => void;
}

/** {@link AtNasSearchOptions} with defaults filled in and checked. */
export interface ResolvedAtNasSearchOptions {
  readonly algorithm: AtNasAlgorithm;
  readonly innerLr: number;
  readonly innerSteps: number;
  readonly metaBatchSize: number;
  readonly sampling: 'population' | 'uniform';
  readonly uniformFraction: number;
  readonly populationSize: number;
  readonly sampleSize: number;
  readonly evolveEvery: number;
  readonly children: number;
  readonly fitnessTasks: number;
  readonly surrogate: { readonly screen: number; readonly lambda: number } | null;
  readonly seed: number | string;
}

/** One generation of the population. */
export interface GenerationRecord {
  readonly generation: number;
  /** Meta-iteration after which it ran. */
  readonly iteration: number;
  /** Fitness (mean query accuracy on meta-validation tasks) of every member, after re-measuring. */
  readonly populationFitness: readonly number[];
  readonly meanFitness: number;
  readonly bestFitness: number;
  readonly best: Architecture;
  /** The children of this generation and their fitness. */
  readonly children: readonly { readonly architecture: Architecture; readonly fitness: number }[];
}

/** Progress of {@link atNasSearch}. */
export type AtNasEvent =
  | { readonly type: 'meta-train'; readonly event: MetaTrainEvent }
  | { readonly type: 'generation'; readonly record: GenerationRecord };

/** What {@link atNasSearch} returns: the task-sensitive meta-network. */
export interface AtNasResult {
  /** The meta-learner holding the meta-trained supernet weights (dispose the supernet yourself). */
  readonly learner: MetaLearner;
  /** The final population, with its latest fitness (higher is better). */
  readonly population: readonly { readonly architecture: Architecture; readonly fitness: number }[];
  /** The fittest member of the final population. */
  readonly best: Architecture;
  readonly generations: readonly GenerationRecord[];
  readonly metaTraining: MetaTrainResult;
}

interface PopulationState {
  strategy: RegularizedEvolutionState;
  nextIndex: number;
  generations: GenerationRecord[];
  evaluated: { architecture: Architecture; fitness: number }[];
}

const SOURCE = 'atNasSearch';

function checkInteger(fail: (m: string) => Error, name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    throw fail(`${name} must be an integer >= ${min}, got ${describeValue(value)}`);
  return value;
}

/** Fills in and checks {@link AtNasSearchOptions} (everything except the supernet and the task streams). */
export function resolveAtNasSearchOptions(
  options: Omit<AtNasSearchOptions, 'supernet' | 'tasks' | 'validationTasks' | 'iterations'>,
  space?: SearchSpace,
): ResolvedAtNasSearchOptions {
  const fail = errorFactory(SOURCE);
  const algorithm = options.algorithm ?? 'fomaml';
  if (!['fomaml', 'maml', 'reptile'].includes(algorithm))
    throw fail(`algorithm must be "fomaml", "maml" or "reptile", got ${describeValue(algorithm)}`);
  const sampling = options.sampling ?? 'population';
  if (sampling !== 'population' && sampling !== 'uniform')
    throw fail(`sampling must be "population" or "uniform", got ${describeValue(sampling)}`);
  const uniformFraction = options.uniformFraction ?? 0.25;
  if (typeof uniformFraction !== 'number' || !(uniformFraction >= 0 && uniformFraction <= 1))
    throw fail(`uniformFraction must be in [0, 1], got ${describeValue(uniformFraction)}`);
  const innerLr = options.innerLr ?? (algorithm === 'reptile' ? 0.001 : 0.1);
  if (typeof innerLr !== 'number' || !(innerLr > 0))
    throw fail(`innerLr must be > 0, got ${describeValue(innerLr)}`);
  const populationSize = checkInteger(fail, 'populationSize', options.populationSize ?? 20, 2);
  const size = space?.size();
  if (size !== undefined && populationSize > size) {
    throw fail(`populationSize ${populationSize} is larger than the search space (${size} architectures)`);
  }
  const sampleSize = checkInteger(fail, 'sampleSize', options.sampleSize ?? Math.min(5, populationSize), 1);
  if (sampleSize > populationSize)
    throw fail(`sampleSize must be at most populationSize = ${populationSize}, got ${sampleSize}`);
  const surrogate = options.surrogate ?? null;
  if (
    surrogate !== null &&
    (typeof surrogate !== 'object' || !Number.isInteger(surrogate.screen) || surrogate.screen < 1)
  )
    throw fail(`surrogate must be null or { screen: integer >= 1 }, got ${describeValue(surrogate)}`);
  return {
    algorithm,
    innerLr,
    innerSteps: checkInteger(fail, 'innerSteps', options.innerSteps ?? 5, 1),
    metaBatchSize: checkInteger(fail, 'metaBatchSize', options.metaBatchSize ?? 4, 1),
    sampling,
    uniformFraction,
    populationSize,
    sampleSize,
    evolveEvery: checkInteger(fail, 'evolveEvery', options.evolveEvery ?? 50, 1),
    children: checkInteger(fail, 'children', options.children ?? 4, 1),
    fitnessTasks: checkInteger(fail, 'fitnessTasks', options.fitnessTasks ?? 10, 1),
    surrogate: surrogate === null ? null : { screen: surrogate.screen, lambda: surrogate.lambda ?? 1 },
    seed: options.seed ?? 0,
  };
}

/** Throws unless `task`'s inputs are `[n, ...supernet.inputShape]`. */
export function checkTaskShape(source: string, supernet: Supernet, task: SampledTask): void {
  const expected = supernet.inputShape;
  for (const which of ['support', 'query'] as const) {
    const shape = task[which].x.shape;
    if (shape.length !== expected.length + 1 || expected.some((d, i) => shape[i + 1] !== d)) {
      throw errorFactory(source)(
        `the ${which} images of a task have shape [${shape}], the supernet takes [n, ${expected.join(', ')}]`,
      );
    }
  }
}

/**
 * AT-NAS meta-search: meta-trains the supernet's shared weights over a task distribution (first-
 * order MAML by default), every task running an architecture drawn from a population that
 * regularized evolution adapts every `evolveEvery` meta-iterations on meta-validation fitness.
 * Resumable (`checkpoint`): weights, optimizer, population, history and generators are saved, and
 * a resumed run equals an uninterrupted one.
 *
 * @example
 * const supernet = createSupernet('conv4-cells', { ops: DARTS_OPS, channels: 32 });
 * const result = await atNasSearch({ supernet, tasks: episodes(metaTrain), validationTasks: episodes(metaVal), iterations: 5000 });
 * const adapted = await adaptToTask(result, novelTask.support);
 */
export async function atNasSearch(options: AtNasSearchOptions): Promise<AtNasResult> {
  const fail = errorFactory(SOURCE);
  const supernet = options?.supernet;
  if (typeof supernet?.extract !== 'function' || supernet.searchSpace === undefined)
    throw fail(`supernet must be a core Supernet, got ${describeValue(supernet)}`);
  for (const key of ['tasks', 'validationTasks'] as const) {
    if (typeof options[key] !== 'function') throw fail(`${key} must be a function (rng) => task source`);
  }
  const iterations = checkInteger(fail, 'iterations', options.iterations, 0);
  const o = resolveAtNasSearchOptions(options, supernet.searchSpace);
  const space = supernet.searchSpace;
  const learner = createMetaLearner(o.algorithm, supernet, { innerLr: o.innerLr, innerSteps: o.innerSteps });
  const emit = options.onProgress ?? (() => {});
  const strategy = regularizedEvolution({
    populationSize: o.populationSize,
    sampleSize: o.sampleSize,
    batchSize: o.children * (o.surrogate?.screen ?? 1),
  });
  const state: PopulationState = { strategy: strategy.init(), nextIndex: 0, generations: [], evaluated: [] };
  const contextOf = (rng: Rng): StrategyContext => ({
    space,
    rng,
    objectives: [maximize('fitness')],
    feasible: (generate) => generate(),
  });
  const individual = (architecture: Architecture, fitness: number): Individual => ({
    index: state.nextIndex++,
    architecture,
    objectives: [-fitness],
  });
  let checkedShape = false;

  const fitnessTasksOf = (generation: number): SampledTask[] => {
    const source = options.validationTasks(createRng(`${o.seed}/fitness/${generation}`));
    const tasks = Array.from({ length: o.fitnessTasks }, () => source.sample());
    try {
      checkTaskShape(`${SOURCE} (validationTasks)`, supernet, tasks[0] as SampledTask);
    } catch (error) {
      for (const task of tasks) task.dispose();
      throw error;
    }
    return tasks;
  };

  const evolve = (iteration: number, rng: Rng) => {
    const generation = state.generations.length;
    const tasks = fitnessTasksOf(generation);
    try {
      const fitness = (arch: Architecture) => queryAccuracy(learner, arch as ArchValues, tasks, o.innerSteps);
      // Weights changed since the members were scored: measure them again on this generation's tasks.
      const members = state.strategy.population.map((member) =>
        individual(member.architecture, fitness(member.architecture)),
      );
      state.strategy = { population: members };
      const context = contextOf(rng);
      let { candidates } = strategy.ask(state.strategy, context, Number.POSITIVE_INFINITY);
      if (o.surrogate !== null && state.evaluated.length >= 2) {
        const predictor = fitRidgePredictor(space, state.evaluated, o.surrogate.lambda);
        candidates = candidates
          .map((architecture, i) => ({ architecture, i, predicted: predictor.predict(architecture) }))
          .sort((a, b) => b.predicted - a.predicted || a.i - b.i)
          .slice(0, o.children)
          .map((c) => c.architecture);
      } else {
        candidates = candidates.slice(0, o.children);
      }
      const children = candidates.map((architecture) => ({ architecture, fitness: fitness(architecture) }));
      const records = children.map(
        (child) =>
          ({
            ...individual(child.architecture, child.fitness),
            generation,
            status: 'ok',
            metrics: { fitness: child.fitness },
            violation: 0,
            attempts: 1,
            cached: false,
            time: '',
            durationMs: 0,
          }) as HistoryRecord,
      );
      state.strategy = strategy.tell(state.strategy, records, context);
      for (const member of members) {
        state.evaluated.push({
          architecture: member.architecture,
          fitness: -(member.objectives[0] as number),
        });
      }
      state.evaluated.push(...children);
      const populationFitness = state.strategy.population.map((m) => -(m.objectives[0] as number));
      const bestIndex = populationFitness.indexOf(Math.max(...populationFitness));
      const record: GenerationRecord = {
        generation,
        iteration,
        populationFitness,
        meanFitness: populationFitness.reduce((a, b) => a + b, 0) / populationFitness.length,
        bestFitness: populationFitness[bestIndex] as number,
        best: state.strategy.population[bestIndex]?.architecture as Architecture,
        children,
      };
      state.generations.push(record);
      emit({ type: 'generation', record });
    } finally {
      for (const task of tasks) task.dispose();
    }
  };

  const architectures: MetaTrainArchitectures = {
    archFor: (task, rng) => {
      if (!checkedShape) {
        checkTaskShape(SOURCE, supernet, task);
        checkedShape = true;
      }
      if (o.sampling === 'uniform') return space.sample(rng);
      if (state.strategy.population.length === 0) {
        // The initial population: P distinct random architectures (the space holds at least P).
        const seen = new Set<string>();
        const members: Individual[] = [];
        while (members.length < o.populationSize) {
          const arch = space.sample(rng);
          const key = space.key(arch);
          if (seen.has(key)) continue;
          seen.add(key);
          members.push(individual(arch, 0));
        }
        state.strategy = { population: members };
      }
      if (o.uniformFraction > 0 && rng.next() < o.uniformFraction) return space.sample(rng);
      const members = state.strategy.population;
      return members[rng.int(0, members.length - 1)]?.architecture as Architecture;
    },
    afterIteration: (iteration, rng) => {
      if (o.sampling === 'population' && iteration % o.evolveEvery === 0) evolve(iteration, rng);
    },
    state: () => state as unknown as CheckpointJson,
    restore: (saved) => {
      Object.assign(state, structuredClone(saved) as unknown as PopulationState);
    },
  };

  const metaTraining = await metaTrain(learner, options.tasks, {
    iterations,
    metaBatchSize: o.metaBatchSize,
    seed: o.seed,
    architectures,
    ...(options.checkpoint === undefined
      ? {}
      : { checkpoint: { directory: options.checkpoint.directory, every: options.checkpoint.every ?? 50 } }),
    ...(options.timeLimitSeconds === undefined ? {} : { timeLimitSeconds: options.timeLimitSeconds }),
    onProgress: (event) => emit({ type: 'meta-train', event }),
  });

  const last = state.generations.at(-1);
  const population =
    o.sampling === 'uniform'
      ? []
      : state.strategy.population.map((m) => ({
          architecture: m.architecture,
          fitness: -(m.objectives[0] as number),
        }));
  return {
    learner,
    population,
    best:
      last?.best ??
      state.strategy.population[0]?.architecture ??
      supernet.sample(createRng(`${o.seed}/best`)),
    generations: state.generations,
    metaTraining,
  };
}
