// Rong, Yu, Zhang et al., "Across-Task Neural Architecture Search via Meta Learning", 2021, §3.3 (on a
// novel task, the architecture adapts by a few evolution steps from the meta-population and the
// weights by a few gradient steps from the meta-weights).
import {
  type Architecture,
  type ArchValues,
  AutomlError,
  createRng,
  type Module,
  type SearchSpace,
  type Sequential,
  type Supernet,
} from '@automl-ts/core';
import {
  type HistoryRecord,
  type Individual,
  maximize,
  type RegularizedEvolutionState,
  regularizedEvolution,
} from '@automl-ts/evolution';
import type { AdaptedModel, MetaLearner, TaskSet } from '@automl-ts/meta-learning';
import { supportLoss } from './fitness.js';
import { describeValue, errorFactory } from './internal/errors.js';

/** Options of {@link adaptToTask}. */
export interface AdaptToTaskOptions {
  /** Evolution generations on the novel task. @default 3 */
  generations?: number;
  /** Children per generation. @default 4 */
  children?: number;
  /** Tournament size. @default 3 (or the population size when smaller) */
  sampleSize?: number;
  /** Inner steps, for the fitness and for the final weights. @default the learner's `innerSteps` */
  steps?: number;
  /** Seed of the evolution. @default 0 */
  seed?: number | string;
  /** Clock in milliseconds (tests inject one). @default performance.now */
  now?: () => number;
}

/** A novel task's adapted architecture and weights. */
export interface TaskAdaptation {
  /** The architecture chosen from the support set alone. */
  readonly architecture: Architecture;
  /** The meta-weights adapted to the support set with that architecture (predicts with batch statistics). */
  readonly model: AdaptedModel;
  /** Every architecture scored, with its post-adaptation support loss (lower is better). */
  readonly scored: readonly { readonly architecture: Architecture; readonly supportLoss: number }[];
  /** Seconds of the architecture search, of the final weight adaptation, and in total. */
  readonly seconds: { readonly search: number; readonly weights: number; readonly total: number };
  /**
   * The chosen sub-network as a standalone module of plain layers holding the adapted weights
   * (batch norm re-estimated on the support set), ready for core's `toLayersModel`.
   */
  extract(): Promise<Sequential>;
  /** Frees the adapted weights. */
  dispose(): void;
}

const SOURCE = 'adaptToTask';

/**
 * Adapts the task-sensitive meta-network to a novel task from its support set only (the query set
 * is never seen): a few generations of regularized evolution starting from the meta-population,
 * each architecture scored by its support loss after `steps` inner steps from the meta-weights;
 * then the weights of the best architecture adapt. Reports the time taken.
 *
 * @example
 * const adaptation = await adaptToTask(result, task.support);
 * const logits = adaptation.model.predict(task.query.x);
 * const model = toLayersModel(await adaptation.extract(), { inputShape: [28, 28, 1] });
 */
export async function adaptToTask(
  meta: {
    readonly learner: MetaLearner;
    readonly population: readonly { readonly architecture: Architecture }[];
  },
  support: TaskSet,
  options: AdaptToTaskOptions = {},
): Promise<TaskAdaptation> {
  const fail = errorFactory(SOURCE);
  const learner = meta?.learner;
  const supernet = learner?.module as Supernet | undefined;
  if (typeof supernet?.extract !== 'function' || supernet.searchSpace === undefined)
    throw fail(`meta.learner must be a meta-learner over a core Supernet, got ${describeValue(supernet)}`);
  const space: SearchSpace = supernet.searchSpace;
  const population = meta.population ?? [];
  if (population.length === 0)
    throw fail('meta.population is empty: nothing to start the architecture search from');
  for (const [i, member] of population.entries()) {
    try {
      space.validate(member.architecture);
    } catch (error) {
      const detail =
        error instanceof AutomlError ? error.message.slice(error.source.length + 2) : String(error);
      throw fail(`population[${i}] is not in the supernet's search space: ${detail}`, error);
    }
  }
  const shape = support?.x?.shape;
  const expected = supernet.inputShape;
  if (
    shape === undefined ||
    shape.length !== expected.length + 1 ||
    expected.some((d, i) => shape[i + 1] !== d)
  )
    throw fail(`the support images have shape [${shape}], the supernet takes [n, ${expected.join(', ')}]`);
  const integer = (name: string, value: number, min: number) => {
    if (!Number.isInteger(value) || value < min)
      throw fail(`${name} must be an integer >= ${min}, got ${describeValue(value)}`);
    return value;
  };
  const generations = integer('generations', options.generations ?? 3, 0);
  const children = integer('children', options.children ?? 4, 1);
  const steps = integer('steps', options.steps ?? learner.innerSteps, 0);
  const now = options.now ?? (() => performance.now());
  const started = now();

  const scored = new Map<string, { architecture: Architecture; supportLoss: number }>();
  const score = (architecture: Architecture): number => {
    const key = space.key(architecture);
    let entry = scored.get(key);
    if (entry === undefined) {
      entry = { architecture, supportLoss: supportLoss(learner, architecture as ArchValues, support, steps) };
      scored.set(key, entry);
    }
    return entry.supportLoss;
  };
  let index = 0;
  const individual = (architecture: Architecture): Individual => ({
    index: index++,
    architecture,
    objectives: [score(architecture)],
  });
  if (population.length >= 2) {
    const strategy = regularizedEvolution({
      populationSize: population.length,
      sampleSize: Math.min(options.sampleSize ?? 3, population.length),
      batchSize: children,
    });
    const rng = createRng(options.seed ?? 0);
    const context = {
      space,
      rng,
      objectives: [maximize('fitness')],
      feasible: (g: () => Architecture) => g(),
    };
    let state: RegularizedEvolutionState = { population: population.map((m) => individual(m.architecture)) };
    for (let g = 0; g < generations; g++) {
      const { candidates } = strategy.ask(state, context, children);
      const records = candidates.map(
        (architecture) =>
          ({
            ...individual(architecture),
            generation: g,
            status: 'ok',
            metrics: {},
            violation: 0,
            attempts: 1,
            cached: false,
            time: '',
            durationMs: 0,
          }) as HistoryRecord,
      );
      state = strategy.tell(state, records, context);
    }
  } else {
    score(population[0]?.architecture as Architecture);
  }
  const ranked = [...scored.values()];
  const best = ranked.reduce((a, b) => (b.supportLoss < a.supportLoss ? b : a));
  const searched = now();
  const previous = learner.arch;
  learner.arch = best.architecture as ArchValues;
  let model: AdaptedModel;
  try {
    model = learner.adapt(support, { steps });
  } finally {
    learner.arch = previous;
  }
  const done = now();
  return {
    architecture: best.architecture,
    model,
    scored: ranked,
    seconds: {
      search: (searched - started) / 1000,
      weights: (done - searched) / 1000,
      total: (done - started) / 1000,
    },
    async extract() {
      const copy = (await model.toModule()) as Module;
      try {
        return (copy as Supernet).extract(best.architecture);
      } finally {
        copy.dispose();
      }
    },
    dispose: () => model.dispose(),
  };
}
