import type { ArchValues, Rng } from '@automl-ts/core';
import type * as tf from '@tensorflow/tfjs';

/**
 * The support or the query set of a task: inputs `x` (`[n, …]`) and targets `y`: class labels
 * `0..N-1` as int32 `[n]` (or one-hot `[n, N]`) for classification, values `[n, …]` for regression.
 * `@automl-ts/datasets` episodes have this shape.
 */
export interface TaskSet {
  readonly x: tf.Tensor;
  readonly y: tf.Tensor;
}

/**
 * One few-shot task: adapt on `support`, measure on `query`. For N-way K-shot classification the
 * support set holds K examples of each of the classes `0..N-1` and the query uses only those classes.
 */
export interface Task {
  readonly support: TaskSet;
  readonly query: TaskSet;
  /**
   * The sub-network this task runs when the module is a supernet (AT-NAS samples one per task):
   * overrides the learner's `arch` for this task in `metaGradients`.
   * @default the learner's `arch`
   */
  readonly arch?: ArchValues;
}

/** A task that owns its tensors (an `@automl-ts/datasets` episode, a sinusoid task). */
export interface SampledTask extends Task {
  /** Frees the task's tensors. */
  dispose(): void;
}

/** Draws tasks one at a time, e.g. `createEpisodeSampler(…)` of `@automl-ts/datasets`. */
export interface TaskSource {
  sample(): SampledTask;
}

/**
 * Makes a task source from a generator. Meta-training owns the generator, so it can checkpoint
 * it and rebuild the same source on resume: create every random draw from `rng`.
 *
 * @example
 * const tasks: TaskSourceFactory = (rng) => createEpisodeSampler(omniglotTrain, { ways: 5, shots: 1, seed: rng });
 */
export type TaskSourceFactory = (rng: Rng) => TaskSource;
