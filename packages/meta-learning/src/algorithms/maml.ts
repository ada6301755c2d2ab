// Finn, Abbeel, Levine, "Model-Agnostic Meta-Learning for Fast Adaptation of Deep Networks", ICML 2017, Algorithm 2 (second order) and §5.2 (first-order approximation).

import type { Module } from '@automl-ts/core';
import type * as tf from '@tensorflow/tfjs';
import { errorFactory } from '../internal/errors.js';
import {
  type GradientLearnerSettings,
  GradientMetaLearner,
  resolveGradientSettings,
} from '../internal/gradient-learner.js';
import type { StepSize } from '../internal/inner-loop.js';
import { checkPositive } from '../internal/validate.js';
import type { LearnerOptions } from '../learner.js';

/** Options of {@link MAML}. */
export interface MamlOptions extends LearnerOptions {
  /**
   * Inner learning rate α of the fast-weight update θ' = θ − α∇L_support(θ) (the paper: 0.01 for
   * regression and MiniImageNet, 0.4 for Omniglot). Must be > 0.
   * @default 0.01
   */
  innerLr?: number;
  /**
   * Inner gradient steps per task during meta-training (and the default of `adapt`).
   * @default 1
   */
  innerSteps?: number;
  /**
   * First-order MAML: ignore the second derivatives through the inner loop (the meta-gradient is
   * ∇L_query at the adapted weights). Much cheaper; close in accuracy on Omniglot (§5.2).
   * @default false
   */
  firstOrder?: boolean;
}

/** {@link MamlOptions} with defaults filled in and checked. */
export interface ResolvedMamlOptions extends GradientLearnerSettings {
  readonly innerLr: number;
}

/** Fills in and checks {@link MamlOptions}; errors start `@automl-ts/meta-learning/<source>:`. */
export function resolveMamlOptions(options: MamlOptions = {}, source = 'MAML'): ResolvedMamlOptions {
  const settings = resolveGradientSettings(source, options, { innerSteps: 1, firstOrder: false });
  return { ...settings, innerLr: checkPositive(errorFactory(source), 'innerLr', options.innerLr ?? 0.01) };
}

/**
 * Model-Agnostic Meta-Learning: learns an initialisation θ from which a few gradient steps on a
 * task's support set give low loss on its query set. The meta-gradient differentiates through the
 * inner steps (second order, the default; TF.js's missing gradients are registered on construction)
 * or ignores their curvature (`firstOrder: true`). The inner loop works on fast weights through
 * `module.apply(x, { params })`: the module's variables change only in the outer optimizer step.
 * Batch norm uses the batch's statistics in the inner loop and on the query set, as in the paper.
 *
 * @example
 * const net = createModel('conv4', { inputSize: 28, inChannels: 1, numClasses: 5, channels: 64 });
 * const maml = new MAML(net, { innerLr: 0.4, innerSteps: 1 });
 * const optimizer = maml.createOptimizer(); // Adam, 1e-3
 * const { loss, accuracy } = metaStep(maml, tasks, optimizer);
 * const adapted = maml.adapt(task.support, { steps: 3 });
 * const logits = adapted.predict(task.query.x);
 */
export class MAML extends GradientMetaLearner {
  readonly algorithm: string;
  /** Inner learning rate α. */
  readonly innerLr: number;

  constructor(module: Module, options: MamlOptions = {}) {
    const resolved = resolveMamlOptions(options);
    super('MAML', module, resolved);
    this.innerLr = resolved.innerLr;
    this.algorithm = resolved.firstOrder ? 'fomaml' : 'maml';
  }

  protected adaptedNames(): readonly string[] {
    return [...this.module.namedParameters().keys()];
  }

  protected stepSize(_meta: ReadonlyMap<string, tf.Tensor>): StepSize {
    return this.innerLr;
  }
}
