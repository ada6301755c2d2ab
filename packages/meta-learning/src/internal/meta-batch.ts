import * as tf from '@tensorflow/tfjs';
import type { MetaGradients } from '../learner.js';
import type { Task } from '../tasks/task.js';
import type { TaskKind } from './losses.js';
import { countCorrect } from './losses.js';
import { accumulate, disposeParams } from './params.js';

/** What one task of a meta-batch contributes; every tensor is owned by the meta-batch loop. */
export interface TaskOutcome {
  /** The task's meta-gradients by parameter name; a parameter the task did not use is absent. */
  readonly gradients: Map<string, tf.Tensor>;
  /** The task's query loss. */
  readonly loss: tf.Scalar;
  /** The task's query output (logits for classification), for the accuracy. */
  readonly output: tf.Tensor;
}

/**
 * The meta-batch loop every learner shares: runs `perTask` on each task in order, sums the
 * gradients (a parameter no task used stays absent, so the optimizer leaves it alone), and returns
 * their mean over the meta-batch with the mean query loss and, for classification, the query
 * accuracy. Frees every tensor of the outcomes, also when a task throws.
 */
export function metaBatchGradients(
  tasks: readonly Task[],
  kind: TaskKind,
  perTask: (task: Task) => TaskOutcome,
): MetaGradients {
  const sums = new Map<string, tf.Tensor>();
  let lossSum = 0;
  let correct = 0;
  let queried = 0;
  try {
    for (const task of tasks) {
      const outcome = perTask(task);
      try {
        accumulate(sums, outcome.gradients);
        lossSum += outcome.loss.dataSync()[0] as number;
        if (kind === 'classification') {
          correct += countCorrect(outcome.output, task.query.y);
          queried += task.query.y.shape[0] as number;
        }
      } finally {
        tf.dispose([...outcome.gradients.values(), outcome.loss, outcome.output]);
      }
    }
    const gradients = new Map<string, tf.Tensor>();
    for (const [name, sum] of sums) gradients.set(name, tf.div(sum, tasks.length));
    return {
      gradients,
      loss: lossSum / tasks.length,
      accuracy: kind === 'classification' ? correct / queried : undefined,
    };
  } finally {
    disposeParams(sums);
  }
}
