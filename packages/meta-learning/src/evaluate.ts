import * as tf from '@tensorflow/tfjs';
import { errorFactory } from './internal/errors.js';
import { countCorrect } from './internal/losses.js';
import { type Estimate, estimate } from './internal/stats.js';
import { checkInteger } from './internal/validate.js';
import type { MetaLearner } from './learner.js';
import type { TaskSource } from './tasks/task.js';

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /**
   * Tasks to draw from the source (few-shot papers report 600).
   * @default 600
   */
  tasks?: number;
  /**
   * Inner steps of `adapt` on each support set (MAML on Omniglot: 3 at test time, 1 in training).
   * @default the learner's `innerSteps`
   */
  steps?: number;
}

/** Mean and 95% confidence half-width over tasks. */
export type { Estimate };

/** What {@link evaluate} measured on the query sets after adaptation. */
export interface EvaluationResult {
  /** Tasks evaluated. */
  readonly tasks: number;
  /** Query loss. */
  readonly loss: Estimate;
  /** Query accuracy (classification only). */
  readonly accuracy: Estimate | undefined;
  /** The raw outcome of every task, in order, from which `loss` and `accuracy` are computed. */
  readonly perTask: {
    readonly loss: readonly number[];
    /** Classification only. */
    readonly accuracy: readonly number[] | undefined;
  };
}

/**
 * Few-shot evaluation: for each of `tasks` tasks from `source`, adapt on the support set and
 * measure the query set; report mean and 95% confidence interval over tasks. The meta-parameters
 * are not changed (except a ProtoNet's, which has none to adapt).
 *
 * @example
 * const { accuracy } = evaluate(maml, createEpisodeSampler(metaVal, { ways: 5, shots: 1, seed: 7 }), { tasks: 600, steps: 3 });
 * console.log(`${(100 * accuracy.mean).toFixed(1)} ± ${(100 * accuracy.ci95).toFixed(1)} %`);
 */
export function evaluate(
  learner: MetaLearner,
  source: TaskSource,
  options: EvaluateOptions = {},
): EvaluationResult {
  const fail = errorFactory('evaluate');
  const count = checkInteger(fail, 'tasks', options.tasks ?? 600, 1);
  const steps = checkInteger(fail, 'steps', options.steps ?? learner.innerSteps, 0);
  const losses: number[] = [];
  const accuracies: number[] = [];
  for (let i = 0; i < count; i++) {
    const task = source.sample();
    try {
      const adapted = learner.adapt(task.support, { steps });
      try {
        const output = adapted.predict(task.query.x);
        try {
          losses.push(tf.tidy(() => learner.loss.fn(output, task.query.y).dataSync()[0] as number));
          if (learner.loss.kind === 'classification') {
            accuracies.push(countCorrect(output, task.query.y) / (task.query.y.shape[0] as number));
          }
        } finally {
          output.dispose();
        }
      } finally {
        adapted.dispose();
      }
    } finally {
      task.dispose();
    }
  }
  return {
    tasks: count,
    loss: estimate(losses),
    accuracy: learner.loss.kind === 'classification' ? estimate(accuracies) : undefined,
    perTask: { loss: losses, accuracy: learner.loss.kind === 'classification' ? accuracies : undefined },
  };
}
