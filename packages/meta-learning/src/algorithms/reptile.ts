// Nichol, Achiam, Schulman, "On First-Order Meta-Learning Algorithms", 2018, Algorithm 2 (batched Reptile: θ ← θ + ε·mean_i(φ̃_i − θ), φ̃_i after k inner steps on task i).

import { type ArchValues, type Module, type Optimizer, SGD } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { FastWeightsModel } from '../internal/adapted.js';
import { errorFactory } from '../internal/errors.js';
import { gradientsAt, type InnerLoss } from '../internal/inner-loop.js';
import { type ResolvedTaskLoss, resolveLoss } from '../internal/losses.js';
import { metaBatchGradients } from '../internal/meta-batch.js';
import { runModule } from '../internal/model-runner.js';
import { disposeParams, tidyMaps } from '../internal/params.js';
import {
  checkInteger,
  checkOneOf,
  checkPositive,
  checkRegressionSet,
  checkSupportSet,
  checkTasks,
} from '../internal/validate.js';
import type { AdaptedModel, AdaptOptions, LearnerOptions, MetaGradients, MetaLearner } from '../learner.js';
import type { Task, TaskSet } from '../tasks/task.js';

/** The inner-loop optimizer of {@link Reptile}. */
export type ReptileInnerOptimizer = 'sgd' | 'adam';

/** Options of {@link Reptile}. */
export interface ReptileOptions extends LearnerOptions {
  /**
   * Inner learning rate (the paper: Adam at 0.001 on Omniglot and MiniImageNet). Must be > 0.
   * @default 0.001
   */
  innerLr?: number;
  /**
   * Inner steps k per task (the paper: 5 for training, 50 for evaluation on Omniglot).
   * @default 5
   */
  innerSteps?: number;
  /**
   * Inner-loop optimizer: plain SGD, or Adam with β1 = 0 and β2 = 0.999 (the paper's choice),
   * restarted for every task.
   * @default 'adam'
   */
  innerOptimizer?: ReptileInnerOptimizer;
  /**
   * Examples per inner step. When the support set is larger (e.g. meta-training with 10 shots per
   * class, as the paper on Omniglot: 50 examples, batches of 10), each step takes the next batch of
   * a class-interleaved order, cycling, so every batch holds as many classes as it can.
   * @default the whole support set
   */
  innerBatchSize?: number;
}

/** {@link ReptileOptions} with defaults filled in and checked. */
export interface ResolvedReptileOptions {
  readonly innerLr: number;
  readonly innerSteps: number;
  readonly innerOptimizer: ReptileInnerOptimizer;
  readonly innerBatchSize: number | undefined;
  readonly arch: ArchValues | undefined;
  readonly loss: ResolvedTaskLoss;
}

const SOURCE = 'Reptile';

/** Fills in and checks {@link ReptileOptions}. */
export function resolveReptileOptions(options: ReptileOptions = {}): ResolvedReptileOptions {
  const fail = errorFactory(SOURCE);
  return {
    innerLr: checkPositive(fail, 'innerLr', options.innerLr ?? 0.001),
    innerSteps: checkInteger(fail, 'innerSteps', options.innerSteps ?? 5, 1),
    innerOptimizer: checkOneOf(fail, 'innerOptimizer', options.innerOptimizer ?? 'adam', ['sgd', 'adam']),
    innerBatchSize:
      options.innerBatchSize === undefined
        ? undefined
        : checkInteger(fail, 'innerBatchSize', options.innerBatchSize, 1),
    arch: options.arch,
    loss: resolveLoss(fail, options.loss),
  };
}

const ADAM_BETA2 = 0.999;
const ADAM_EPSILON = 1e-8;

/**
 * Reptile: train on each task for k steps from θ, then move θ towards the adapted weights. Its
 * meta-gradient is θ − mean_i(φ̃_i) (no second derivatives, no query loss), so an outer SGD with
 * learning rate ε is the paper's update θ ← θ + ε(φ̃ − θ); {@link Reptile.createOptimizer} is SGD
 * with ε = 1 (anneal it linearly to 0 with `metaTrain`'s `learningRateSchedule`, as the paper).
 * The inner loop trains on the support set; the query set only measures the adapted model.
 *
 * @example
 * const reptile = new Reptile(net, { innerLr: 0.001, innerSteps: 5 });
 * await metaTrain(reptile, tasks, { iterations: 100_000, metaBatchSize: 5, learningRateSchedule: (i) => 1 - i / 100_000 });
 */
export class Reptile implements MetaLearner {
  readonly algorithm = 'reptile';
  readonly module: Module;
  readonly innerLr: number;
  readonly innerSteps: number;
  readonly innerOptimizer: ReptileInnerOptimizer;
  readonly innerBatchSize: number | undefined;
  arch: ArchValues | undefined;
  readonly loss: ResolvedTaskLoss;

  constructor(module: Module, options: ReptileOptions = {}) {
    const resolved = resolveReptileOptions(options);
    this.module = module;
    this.innerLr = resolved.innerLr;
    this.innerSteps = resolved.innerSteps;
    this.innerOptimizer = resolved.innerOptimizer;
    this.innerBatchSize = resolved.innerBatchSize;
    this.arch = resolved.arch;
    this.loss = resolved.loss;
  }

  metaParameters(): Map<string, tf.Variable> {
    return this.module.namedParameters();
  }

  metaVariables(): Map<string, tf.Variable> {
    return this.module.namedVariables();
  }

  createOptimizer(): Optimizer {
    return new SGD(this.metaParameters(), { learningRate: 1 });
  }

  dispose(): void {}

  /**
   * θ − mean_i(φ̃_i) over the meta-batch, for the parameters the inner loops trained: a parameter
   * no task's loss reached (an inactive candidate of a supernet) gets no meta-gradient, so the outer
   * optimizer leaves it alone (no momentum, Adam or weight-decay step on it).
   */
  metaGradients(tasks: readonly Task[]): MetaGradients {
    checkTasks(errorFactory(`${SOURCE}.metaGradients`), tasks, this.loss.kind);
    const meta = this.metaParameters();
    return metaBatchGradients(tasks, this.loss.kind, (task) => {
      const arch = task.arch ?? this.arch;
      const { params: adapted, trained } = this.#train(task.support, this.innerSteps, arch);
      try {
        const { gradients } = tidyMaps(() => ({
          gradients: new Map(
            [...trained].map((name) => [
              name,
              tf.sub(meta.get(name) as tf.Tensor, adapted.get(name) as tf.Tensor),
            ]),
          ),
        }));
        const output = runModule(this.module, task.query.x, arch, adapted);
        const loss = tf.tidy(() => this.loss.fn(output, task.query.y));
        return { gradients, loss, output };
      } finally {
        disposeParams(adapted);
      }
    });
  }

  adapt(support: TaskSet, options: AdaptOptions = {}): AdaptedModel {
    const fail = errorFactory(`${SOURCE}.adapt`);
    const steps = checkInteger(fail, 'steps', options.steps ?? this.innerSteps, 0);
    if (this.loss.kind === 'classification') checkSupportSet(fail, support, 'support set');
    else checkRegressionSet(fail, support, 'support set');
    return new FastWeightsModel(
      this.module,
      this.arch,
      this.#train(support, steps, this.arch).params,
      support.x,
    );
  }

  /**
   * `steps` inner-optimizer steps on `set` from the meta-parameters: owned fast weights, and the
   * names of the parameters that received a gradient in some step.
   */
  #train(
    set: TaskSet,
    steps: number,
    arch: ArchValues | undefined,
  ): { params: Map<string, tf.Tensor>; trained: Set<string> } {
    const batches = this.#innerBatches(set);
    const trained = new Set<string>();
    let loss: InnerLoss = (params) => this.loss.fn(runModule(this.module, set.x, arch, params), set.y);
    let params = new Map<string, tf.Tensor>(
      [...this.module.namedParameters()].map(([name, value]) => [name, tf.clone(value)]),
    );
    let moments = new Map<string, tf.Tensor>();
    for (let step = 1; step <= steps; step++) {
      const previous = params;
      const previousMoments = moments;
      const batch = batches?.[(step - 1) % batches.length];
      if (batch !== undefined) {
        loss = (p) => this.loss.fn(runModule(this.module, batch.x, arch, p), batch.y);
      }
      const next = tidyMaps(() => {
        const { gradients } = gradientsAt(loss, previous);
        const updated = new Map(previous);
        const secondMoments = new Map(previousMoments);
        for (const [name, gradient] of gradients) {
          trained.add(name);
          const value = previous.get(name) as tf.Tensor;
          if (this.innerOptimizer === 'sgd') {
            updated.set(name, tf.sub(value, tf.mul(gradient, this.innerLr)));
            continue;
          }
          // Adam with β1 = 0: the step is g / (√v̂ + ε) with the bias-corrected second moment v̂.
          const before = previousMoments.get(name);
          const v = tf.add(
            before === undefined ? tf.zerosLike(gradient) : tf.mul(before, ADAM_BETA2),
            tf.mul(tf.square(gradient), 1 - ADAM_BETA2),
          );
          secondMoments.set(name, v);
          const corrected = tf.div(v, 1 - ADAM_BETA2 ** step);
          updated.set(
            name,
            tf.sub(value, tf.mul(tf.div(gradient, tf.add(tf.sqrt(corrected), ADAM_EPSILON)), this.innerLr)),
          );
        }
        return { updated, secondMoments };
      });
      params = next.updated;
      moments = next.secondMoments;
      disposeParams(previous, params);
      disposeParams(previousMoments, moments);
    }
    disposeParams(moments);
    for (const batch of batches ?? []) tf.dispose([batch.x, batch.y]);
    return { params, trained };
  }

  /**
   * The inner minibatches of `set` when it is larger than `innerBatchSize`: consecutive slices of
   * a class-interleaved order (first example of every class, then the second, …; plain order for
   * regression), wrapping around, enough batches for one pass over the set.
   */
  #innerBatches(set: TaskSet): TaskSet[] | undefined {
    const size = this.innerBatchSize;
    const n = set.x.shape[0] as number;
    if (size === undefined || size >= n) return undefined;
    let order = Array.from({ length: n }, (_, i) => i);
    if (this.loss.kind === 'classification') {
      const labels = set.y.dataSync();
      const seen = new Map<number, number>();
      const rank = order.map((i) => {
        const label = labels[i] as number;
        const r = seen.get(label) ?? 0;
        seen.set(label, r + 1);
        return r;
      });
      order = [...order].sort((a, b) => (rank[a] as number) - (rank[b] as number) || a - b);
    }
    const count = Math.ceil(n / size);
    return Array.from({ length: count }, (_, b) => {
      const indices = Array.from({ length: size }, (_, j) => order[(b * size + j) % n] as number);
      return tf.tidy(() => {
        const index = tf.tensor1d(indices, 'int32');
        return { x: tf.gather(set.x, index), y: tf.gather(set.y, index) };
      });
    });
  }
}
