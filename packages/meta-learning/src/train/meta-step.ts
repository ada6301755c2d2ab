import type { Optimizer } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import type { MetaLearner } from '../learner.js';
import type { Task } from '../tasks/task.js';

/** What one outer step measured (before the update). */
export interface MetaStepResult {
  /** Mean query loss after adaptation. */
  readonly loss: number;
  /** Mean query accuracy after adaptation (classification only). */
  readonly accuracy: number | undefined;
}

/**
 * One outer-loop step: the learner's meta-gradients over a meta-batch, applied by `optimizer`
 * (a core optimizer built over `learner.metaParameters()`). Frees every intermediate tensor.
 *
 * @example
 * const optimizer = maml.createOptimizer();
 * for (let i = 0; i < 1000; i++) metaStep(maml, sampleTasks(4), optimizer);
 */
export function metaStep(learner: MetaLearner, tasks: readonly Task[], optimizer: Optimizer): MetaStepResult {
  const { gradients, loss, accuracy } = learner.metaGradients(tasks);
  try {
    optimizer.step(gradients);
  } finally {
    tf.dispose([...gradients.values()]);
  }
  return { loss, accuracy };
}
