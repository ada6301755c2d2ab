import type { ArchValues, Module, Optimizer } from '@automl-ts/core';
import type * as tf from '@tensorflow/tfjs';
import type { ResolvedTaskLoss, TaskLoss } from './internal/losses.js';
import type { Task, TaskSet } from './tasks/task.js';

/** Options every meta-learner takes. */
export interface LearnerOptions {
  /**
   * Architecture passed to every `module.apply` (a supernet's sub-network, e.g. from AT-NAS's
   * evolutionary search). Change it between meta-steps with `learner.arch = …`.
   * @default undefined (modules without choices)
   */
  arch?: ArchValues;
  /**
   * The task loss: `'crossEntropy'` on logits with class labels (tasks are checked as N-way K-shot
   * and accuracy is reported), `'mse'` for regression, or a twice-differentiable function.
   * @default 'crossEntropy'
   */
  loss?: TaskLoss;
}

/** Options of {@link MetaLearner.adapt} and {@link adapt}. */
export interface AdaptOptions {
  /**
   * Inner-loop steps on the support set (ignored by Prototypical Networks, which have none).
   * @default the learner's `innerSteps`
   */
  steps?: number;
}

/** Options of {@link AdaptedModel.toModule}. */
export interface ToModuleOptions {
  /**
   * Inputs from which batch norm's running statistics are re-estimated for the exported module
   * (which runs in inference mode), or `null` to keep the meta-model's statistics.
   * @default the support set's inputs (learners that adapt with batch statistics)
   */
  calibration?: tf.Tensor | null;
}

/**
 * A model adapted to one task. It owns its tensors (`dispose()` them); the learner's
 * meta-parameters are never changed by adaptation.
 */
export interface AdaptedModel {
  /** The adapted parameters by full name (those that differ from the meta-parameters). */
  readonly params: ReadonlyMap<string, tf.Tensor>;
  /** Outputs for `x` (logits for classification), computed as during meta-training; the caller disposes them. */
  predict(x: tf.Tensor): tf.Tensor;
  /**
   * A standalone copy of the module with the adapted weights, in inference mode, ready for core's
   * `toLayersModel(module, { inputShape })` and `saveModuleWeights`. The caller disposes it.
   */
  toModule(options?: ToModuleOptions): Promise<Module>;
  /** Frees the adapted tensors. */
  dispose(): void;
}

/** What {@link MetaLearner.metaGradients} returns. */
export interface MetaGradients {
  /** Meta-gradients by meta-parameter name, averaged over the meta-batch; the caller disposes them. */
  readonly gradients: Map<string, tf.Tensor>;
  /** Mean query loss after adaptation. */
  readonly loss: number;
  /** Mean query accuracy after adaptation (classification only). */
  readonly accuracy: number | undefined;
}

/**
 * A meta-learning algorithm bound to a module: computes meta-gradients over meta-batches of tasks
 * (applied by an outer optimizer, see {@link metaStep} and {@link metaTrain}) and adapts to new tasks.
 */
export interface MetaLearner {
  /** The registry name: `maml`, `fomaml`, `reptile`, `anil`, `metasgd` or `protonet`. */
  readonly algorithm: string;
  /** The meta-trained module. */
  readonly module: Module;
  /** Architecture passed to every apply (supernets). */
  arch: ArchValues | undefined;
  /** Inner-loop steps per task during meta-training, the default of {@link MetaLearner.adapt}. */
  readonly innerSteps: number;
  /** The task loss (what the query loss of `metaGradients` and `evaluate` measure). */
  readonly loss: ResolvedTaskLoss;
  /**
   * What the outer loop trains, by name: the module's parameters plus the learner's own (Meta-SGD's
   * per-parameter learning rates, named `innerLr/<parameter>`).
   */
  metaParameters(): Map<string, tf.Variable>;
  /** What a checkpoint stores: {@link MetaLearner.metaParameters} plus the module's buffers. */
  metaVariables(): Map<string, tf.Variable>;
  /** Meta-gradients of a meta-batch of tasks (nothing is updated). */
  metaGradients(tasks: readonly Task[]): MetaGradients;
  /** Adapts to a task from its support set, without changing the meta-parameters. */
  adapt(support: TaskSet, options?: AdaptOptions): AdaptedModel;
  /** The outer optimizer of the paper, used by {@link metaTrain} when none is given. */
  createOptimizer(): Optimizer;
  /** Frees the learner's own variables (not the module's). */
  dispose(): void;
}
