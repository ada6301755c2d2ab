import type { ArchValues } from '@automl-ts/core';
import type { MetaLearner, Task, TaskSet } from '@automl-ts/meta-learning';
import * as tf from '@tensorflow/tfjs';

/**
 * Mean query accuracy over `tasks` after adapting the meta-weights to each task's support set with
 * the sub-network `arch` (`steps` inner steps): AT-NAS's fitness of an architecture on
 * meta-validation tasks. The meta-weights are not changed.
 */
export function queryAccuracy(
  learner: MetaLearner,
  arch: ArchValues,
  tasks: readonly Task[],
  steps: number,
): number {
  const previous = learner.arch;
  learner.arch = arch;
  try {
    let sum = 0;
    for (const task of tasks) {
      const adapted = learner.adapt(task.support, { steps });
      try {
        sum += tf.tidy(() => {
          const predicted = tf.argMax(adapted.predict(task.query.x), -1);
          return tf
            .mean(tf.cast(tf.equal(predicted, tf.cast(task.query.y, 'int32')), 'float32'))
            .dataSync()[0] as number;
        });
      } finally {
        adapted.dispose();
      }
    }
    return sum / tasks.length;
  } finally {
    learner.arch = previous;
  }
}

/**
 * Post-adaptation loss on the support set itself (lower is better): the fitness a novel task can
 * give without touching its query set (a 1-shot support set cannot be split by class).
 */
export function supportLoss(learner: MetaLearner, arch: ArchValues, support: TaskSet, steps: number): number {
  const previous = learner.arch;
  learner.arch = arch;
  try {
    const adapted = learner.adapt(support, { steps });
    try {
      return tf.tidy(() => learner.loss.fn(adapted.predict(support.x), support.y).dataSync()[0] as number);
    } finally {
      adapted.dispose();
    }
  } finally {
    learner.arch = previous;
  }
}
