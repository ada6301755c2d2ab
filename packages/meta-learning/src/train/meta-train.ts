import {
  type ArchValues,
  createRng,
  type LearningRateSchedule,
  type Optimizer,
  type Rng,
  type RngState,
  restoreRng,
} from '@automl-ts/core';
import { type EvaluationResult, evaluate } from '../evaluate.js';
import { describeValue, errorFactory } from '../internal/errors.js';
import { checkInteger, checkPositive } from '../internal/validate.js';
import type { MetaLearner } from '../learner.js';
import type { SampledTask, TaskSourceFactory } from '../tasks/task.js';
import {
  type CheckpointJson,
  hasMetaCheckpoint,
  loadMetaCheckpoint,
  saveMetaCheckpoint,
} from './checkpoint.js';
import { metaStep } from './meta-step.js';

/** Periodic evaluation during {@link metaTrain}. */
export interface MetaTrainEvaluation {
  /** The evaluation task stream (e.g. meta-validation episodes); rebuilt from `seed` at every evaluation, so every evaluation sees the same tasks. */
  tasks: TaskSourceFactory;
  /** Evaluate every this many meta-iterations (and after the last). */
  every: number;
  /**
   * Tasks per evaluation.
   * @default 100
   */
  count?: number;
  /**
   * Inner steps of `adapt`.
   * @default the learner's `innerSteps`
   */
  steps?: number;
  /**
   * Seed of the evaluation stream.
   * @default 1
   */
  seed?: number | string;
}

/** Checkpointing during {@link metaTrain}. */
export interface MetaTrainCheckpoint {
  /** Directory of the checkpoint (see {@link saveMetaCheckpoint}). */
  directory: string;
  /**
   * Save every this many meta-iterations (and when training stops).
   * @default 100
   */
  every?: number;
  /**
   * Continue from the checkpoint in `directory` when there is one.
   * @default true
   */
  resume?: boolean;
}

/**
 * Per-task architectures during {@link metaTrain}, for supernets (AT-NAS: every task of a
 * meta-batch runs a sub-network drawn from an evolving population). metaTrain owns the generator
 * it passes (seeded from the run's seed, separate from the task stream, so the tasks do not depend
 * on how architectures are drawn) and checkpoints it with {@link MetaTrainArchitectures.state}.
 */
export interface MetaTrainArchitectures {
  /** The architecture `task` runs (it becomes `task.arch`); draw randomness only from `rng`. */
  archFor(task: SampledTask, rng: Rng): ArchValues;
  /**
   * Called after every meta-iteration, before its evaluation and checkpoint (AT-NAS evolves its
   * population here every G iterations); awaited.
   */
  afterIteration?(iteration: number, rng: Rng): void | Promise<void>;
  /** What to save to resume the sampler (a population, its fitness history), as JSON. */
  state?(): CheckpointJson;
  /** Restores what {@link MetaTrainArchitectures.state} returned, when metaTrain resumes. */
  restore?(state: CheckpointJson): void;
}

/** Options of {@link metaTrain}. */
export interface MetaTrainOptions {
  /** Meta-iterations to reach; a resumed run continues up to this total. */
  iterations: number;
  /**
   * Tasks per meta-iteration (the paper values: MAML 32 on Omniglot 5-way and 4/2 on MiniImageNet, 25 for sinusoids; Reptile 5).
   * @default 4
   */
  metaBatchSize?: number;
  /**
   * The outer optimizer, built over `learner.metaParameters()`.
   * @default learner.createOptimizer() (Adam 1e-3; SGD with step 1 for Reptile)
   */
  optimizer?: Optimizer;
  /**
   * Outer learning rate for each 0-based meta-iteration (e.g. Reptile's linear annealing
   * `(i) => 1 - i / iterations`, or core's `cosineSchedule`).
   * @default the optimizer's learning rate, unchanged
   */
  learningRateSchedule?: LearningRateSchedule;
  /**
   * Seed of the training task stream.
   * @default 0
   */
  seed?: number | string;
  /** Save a checkpoint periodically and resume from it. @default no checkpoints */
  checkpoint?: MetaTrainCheckpoint;
  /** Evaluate periodically on held-out tasks. @default no evaluation */
  evaluation?: MetaTrainEvaluation;
  /**
   * Training budget in seconds of `budgetClock`: stop (and checkpoint) once the run has trained
   * this long in total, counting the time recorded in the checkpoint it resumed from. A run
   * resumed with the same limit therefore never trains past it; raise the limit to extend a run.
   * Periodic evaluations do not count (their time is reported apart).
   * @default Infinity
   */
  timeLimitSeconds?: number;
  /**
   * What `timeLimitSeconds` counts: `cpu`, the process's CPU time (user + system, all threads
   * summed), so a run on a loaded machine does the same work as on an idle one; or `wall`,
   * wall-clock time. Both are measured and returned either way. Where the process has no CPU
   * clock (browsers), `cpu` counts wall time.
   * @default 'cpu'
   */
  budgetClock?: 'cpu' | 'wall';
  /**
   * The clocks (injectable for tests).
   * @default performance.now() and process.cpuUsage()
   */
  clock?: MetaTrainClock;
  /**
   * Draws an architecture per task (supernets); its state and generator are checkpointed, and
   * the history records the architectures of every meta-iteration.
   * @default every task runs the learner's `arch`
   */
  architectures?: MetaTrainArchitectures;
  /** Receives progress events. */
  onProgress?: (event: MetaTrainEvent) => void;
}

/** Wall-clock and CPU clocks of {@link metaTrain}, in seconds from any origin. */
export interface MetaTrainClock {
  wallSeconds(): number;
  cpuSeconds(): number;
}

const processClock: MetaTrainClock = {
  wallSeconds: () => performance.now() / 1000,
  cpuSeconds: () => {
    const usage = (globalThis as { process?: { cpuUsage?: () => { user: number; system: number } } }).process
      ?.cpuUsage;
    if (usage === undefined) return performance.now() / 1000;
    const { user, system } = usage();
    return (user + system) / 1e6;
  },
};

/** One meta-iteration of the training curve. */
export interface MetaTrainRecord {
  /** 1-based count of meta-iterations done. */
  readonly iteration: number;
  readonly loss: number;
  readonly accuracy: number | null;
  /** The architecture of every task of the meta-batch, in order (with `architectures` only). */
  readonly architectures?: readonly ArchValues[];
}

/** One evaluation of the training run. */
export interface MetaEvaluationRecord {
  readonly iteration: number;
  readonly loss: number;
  readonly lossCi95: number;
  readonly accuracy: number | null;
  readonly accuracyCi95: number | null;
}

/** Progress of {@link metaTrain}. */
export type MetaTrainEvent =
  | { readonly type: 'resumed'; readonly iteration: number }
  | {
      readonly type: 'iteration';
      readonly iteration: number;
      readonly iterations: number;
      readonly loss: number;
      readonly accuracy: number | undefined;
      readonly learningRate: number;
      /** Training wall time so far (evaluations excluded, time before a resume included). */
      readonly seconds: number;
      /** Training CPU time so far (same rules). */
      readonly cpuSeconds: number;
    }
  | { readonly type: 'evaluation'; readonly iteration: number; readonly result: EvaluationResult }
  | { readonly type: 'checkpoint'; readonly iteration: number; readonly directory: string };

/** What {@link metaTrain} returns. */
export interface MetaTrainResult {
  /** Meta-iterations done in total (including before a resume). */
  readonly iteration: number;
  /** Why it stopped. */
  readonly stopped: 'completed' | 'timeLimit';
  /** Wall time of training in total (including before a resume, excluding evaluations), in seconds. */
  readonly seconds: number;
  /** CPU time of training in total (same rules), in seconds. */
  readonly cpuSeconds: number;
  /** Wall time of the periodic evaluations in total, in seconds. */
  readonly evaluationSeconds: number;
  /** CPU time of the periodic evaluations in total, in seconds. */
  readonly evaluationCpuSeconds: number;
  /** The training curve, one record per meta-iteration. */
  readonly history: readonly MetaTrainRecord[];
  /** Periodic evaluations. */
  readonly evaluations: readonly MetaEvaluationRecord[];
}

interface SavedState {
  readonly seconds: number;
  /** Absent in checkpoints written before CPU time was recorded (then taken as `seconds`). */
  readonly cpuSeconds?: number;
  readonly evaluationSeconds?: number;
  readonly evaluationCpuSeconds?: number;
  readonly history: MetaTrainRecord[];
  readonly evaluations: MetaEvaluationRecord[];
  /** The architecture sampler's generator and state, when training with `architectures`. */
  readonly architectures?: { readonly rng: RngState; readonly state: CheckpointJson };
}

function isSavedState(value: CheckpointJson): value is SavedState & CheckpointJson {
  const state = value as Partial<SavedState> | null;
  return (
    typeof state === 'object' &&
    state !== null &&
    typeof state.seconds === 'number' &&
    Array.isArray(state.history) &&
    Array.isArray(state.evaluations)
  );
}

/**
 * Meta-trains a learner: each meta-iteration draws `metaBatchSize` tasks from the stream built by
 * `tasks(rng)`, computes the meta-gradient and applies the outer optimizer. With `checkpoint` it
 * saves the learner, the optimizer, the task generator and the curves atomically every `every`
 * iterations and resumes from them, so 2N iterations equal N, a restart and N more (same seed, same
 * backend). With `evaluation` it reports accuracy (95% CI) on held-out tasks.
 *
 * @example
 * const result = await metaTrain(maml, (rng) => createEpisodeSampler(metaTrainSet, { ways: 5, shots: 1, queries: 15, seed: rng }), {
 *   iterations: 60_000, metaBatchSize: 32,
 *   checkpoint: { directory: 'runs/maml-5w1s', every: 500 },
 *   evaluation: { tasks: (rng) => createEpisodeSampler(metaValSet, { ways: 5, shots: 1, seed: rng }), every: 1000, count: 100, steps: 3 },
 *   onProgress: (event) => { if (event.type === 'iteration' && event.iteration % 100 === 0) console.log(event); },
 * });
 */
export async function metaTrain(
  learner: MetaLearner,
  tasks: TaskSourceFactory,
  options: MetaTrainOptions,
): Promise<MetaTrainResult> {
  const fail = errorFactory('metaTrain');
  if (typeof tasks !== 'function') {
    throw fail(`tasks must be a function (rng) => task source, got ${describeValue(tasks)}`);
  }
  const iterations = checkInteger(fail, 'iterations', options?.iterations, 0);
  const metaBatchSize = checkInteger(fail, 'metaBatchSize', options.metaBatchSize ?? 4, 1);
  const timeLimit = options.timeLimitSeconds ?? Number.POSITIVE_INFINITY;
  if (timeLimit !== Number.POSITIVE_INFINITY) checkPositive(fail, 'timeLimitSeconds', timeLimit);
  const checkpoint = options.checkpoint;
  const checkpointEvery =
    checkpoint === undefined ? 0 : checkInteger(fail, 'checkpoint.every', checkpoint.every ?? 100, 1);
  const evaluation = options.evaluation;
  if (evaluation !== undefined) {
    checkInteger(fail, 'evaluation.every', evaluation.every, 1);
    if (typeof evaluation.tasks !== 'function')
      throw fail('evaluation.tasks must be a function (rng) => task source');
  }
  const architectures = options.architectures;
  if (architectures !== undefined && typeof architectures.archFor !== 'function') {
    throw fail(
      `architectures.archFor must be a function (task, rng) => architecture, got ${describeValue(architectures.archFor)}`,
    );
  }
  const optimizer = options.optimizer ?? learner.createOptimizer();
  const emit = options.onProgress ?? (() => {});

  let rng = createRng(options.seed ?? 0);
  let archRng = createRng(`${options.seed ?? 0}/architectures`);
  let iteration = 0;
  const clock = options.clock ?? processClock;
  const budgetClock = options.budgetClock ?? 'cpu';
  if (budgetClock !== 'cpu' && budgetClock !== 'wall')
    throw fail(`budgetClock must be 'cpu' or 'wall', got ${describeValue(budgetClock)}`);
  // Time before this call (from the checkpoint), training and evaluation kept apart.
  const before = { wall: 0, cpu: 0, evaluationWall: 0, evaluationCpu: 0 };
  let history: MetaTrainRecord[] = [];
  let evaluations: MetaEvaluationRecord[] = [];
  if (
    checkpoint !== undefined &&
    checkpoint.resume !== false &&
    (await hasMetaCheckpoint(checkpoint.directory))
  ) {
    const loaded = await loadMetaCheckpoint(checkpoint.directory, { learner, optimizer });
    if (!isSavedState(loaded.state))
      throw fail(`the checkpoint in "${checkpoint.directory}" was not written by metaTrain`);
    rng = loaded.rng;
    iteration = loaded.iteration;
    before.wall = loaded.state.seconds;
    before.cpu = loaded.state.cpuSeconds ?? loaded.state.seconds;
    before.evaluationWall = loaded.state.evaluationSeconds ?? 0;
    before.evaluationCpu = loaded.state.evaluationCpuSeconds ?? 0;
    history = [...loaded.state.history];
    evaluations = [...loaded.state.evaluations];
    const saved = loaded.state.architectures;
    if ((saved === undefined) !== (architectures === undefined)) {
      throw fail(
        `the checkpoint in "${checkpoint.directory}" was written ${saved === undefined ? 'without' : 'with'} per-task architectures; resume it ${saved === undefined ? 'without' : 'with'} the architectures option`,
      );
    }
    if (saved !== undefined && architectures !== undefined) {
      archRng = restoreRng(saved.rng);
      architectures.restore?.(saved.state);
    }
    emit({ type: 'resumed', iteration });
  }

  const source = tasks(rng);
  const startWall = clock.wallSeconds();
  const startCpu = clock.cpuSeconds();
  let evaluationWall = 0;
  let evaluationCpu = 0;
  const trainingWall = () => before.wall + clock.wallSeconds() - startWall - evaluationWall;
  const trainingCpu = () => before.cpu + clock.cpuSeconds() - startCpu - evaluationCpu;
  const budgetSpent = () => (budgetClock === 'cpu' ? trainingCpu() : trainingWall());
  const save = async () => {
    if (checkpoint === undefined) return;
    const state: SavedState = {
      seconds: trainingWall(),
      cpuSeconds: trainingCpu(),
      evaluationSeconds: before.evaluationWall + evaluationWall,
      evaluationCpuSeconds: before.evaluationCpu + evaluationCpu,
      history,
      evaluations,
      ...(architectures === undefined
        ? {}
        : { architectures: { rng: archRng.state(), state: architectures.state?.() ?? null } }),
    };
    await saveMetaCheckpoint(checkpoint.directory, {
      learner,
      optimizer,
      rng,
      iteration,
      state: state as unknown as CheckpointJson,
    });
    emit({ type: 'checkpoint', iteration, directory: checkpoint.directory });
  };
  const runEvaluation = () => {
    if (evaluation === undefined) return;
    const wall0 = clock.wallSeconds();
    const cpu0 = clock.cpuSeconds();
    const result = evaluate(learner, evaluation.tasks(createRng(evaluation.seed ?? 1)), {
      tasks: evaluation.count ?? 100,
      ...(evaluation.steps === undefined ? {} : { steps: evaluation.steps }),
    });
    evaluations.push({
      iteration,
      loss: result.loss.mean,
      lossCi95: result.loss.ci95,
      accuracy: result.accuracy?.mean ?? null,
      accuracyCi95: result.accuracy?.ci95 ?? null,
    });
    evaluationWall += clock.wallSeconds() - wall0;
    evaluationCpu += clock.cpuSeconds() - cpu0;
    emit({ type: 'evaluation', iteration, result });
  };

  let stopped: MetaTrainResult['stopped'] = 'completed';
  let savedAt = iteration;
  while (iteration < iterations) {
    if (budgetSpent() >= timeLimit) {
      stopped = 'timeLimit';
      break;
    }
    if (options.learningRateSchedule !== undefined)
      optimizer.learningRate = options.learningRateSchedule(iteration);
    const batch: SampledTask[] = [];
    const archs: ArchValues[] = [];
    let result: { loss: number; accuracy: number | undefined };
    try {
      for (let i = 0; i < metaBatchSize; i++) batch.push(source.sample());
      const tasksOfStep =
        architectures === undefined
          ? batch
          : batch.map((task) => {
              const arch = architectures.archFor(task, archRng);
              archs.push(arch);
              return { support: task.support, query: task.query, arch };
            });
      result = metaStep(learner, tasksOfStep, optimizer);
    } finally {
      for (const task of batch) task.dispose();
    }
    iteration += 1;
    history.push({
      iteration,
      loss: result.loss,
      accuracy: result.accuracy ?? null,
      ...(architectures === undefined ? {} : { architectures: archs }),
    });
    await architectures?.afterIteration?.(iteration, archRng);
    emit({
      type: 'iteration',
      iteration,
      iterations,
      loss: result.loss,
      accuracy: result.accuracy,
      learningRate: optimizer.learningRate,
      seconds: trainingWall(),
      cpuSeconds: trainingCpu(),
    });
    if (evaluation !== undefined && (iteration % evaluation.every === 0 || iteration === iterations))
      runEvaluation();
    if (checkpoint !== undefined && iteration % checkpointEvery === 0) {
      await save();
      savedAt = iteration;
    }
  }
  if (checkpoint !== undefined && savedAt !== iteration) await save();
  if (options.optimizer === undefined) optimizer.dispose();
  return {
    iteration,
    stopped,
    seconds: trainingWall(),
    cpuSeconds: trainingCpu(),
    evaluationSeconds: before.evaluationWall + evaluationWall,
    evaluationCpuSeconds: before.evaluationCpu + evaluationCpu,
    history,
    evaluations,
  };
}
