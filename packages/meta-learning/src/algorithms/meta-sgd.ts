// Li, Zhou, Chen, Li, "Meta-SGD: Learning to Learn Quickly for Few-Shot Learning", 2017, §3, eq. 3–4 (θ' = θ − α ∘ ∇L with a meta-learned α of θ's shape).

import { Adam, type Module, type Optimizer } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { GradientMetaLearner } from '../internal/gradient-learner.js';
import type { StepSize } from '../internal/inner-loop.js';
import type { ParamMap } from '../internal/params.js';
import { type MamlOptions, type ResolvedMamlOptions, resolveMamlOptions } from './maml.js';

/** Options of {@link MetaSGD}. */
export interface MetaSgdOptions extends MamlOptions {
  /**
   * Initial value of every per-parameter inner learning rate α (then meta-learned; the paper draws
   * them in [0.005, 0.1]). Must be > 0.
   * @default 0.01
   */
  innerLr?: number;
}

/** Prefix of Meta-SGD's learning-rate variables among the meta-parameters: `innerLr/<parameter>`. */
export const META_SGD_LR_PREFIX = 'innerLr/';

/** Fills in and checks {@link MetaSgdOptions}. */
export function resolveMetaSgdOptions(options: MetaSgdOptions = {}): ResolvedMamlOptions {
  return resolveMamlOptions(options, 'MetaSGD');
}

/**
 * Meta-SGD: MAML whose inner learning rate is a tensor α of each parameter's shape, meta-learned
 * with θ (direction and size of the inner step both learned). α lives in the learner (named
 * `innerLr/<parameter>` in {@link MetaSGD.metaParameters} and checkpoints); `dispose()` frees it.
 *
 * @example
 * const metaSgd = new MetaSGD(net, { innerLr: 0.01 });
 * const optimizer = metaSgd.createOptimizer(); // Adam over θ and α
 */
export class MetaSGD extends GradientMetaLearner {
  readonly algorithm = 'metasgd';
  readonly #learningRates: Map<string, tf.Variable>;

  constructor(module: Module, options: MetaSgdOptions = {}) {
    const resolved = resolveMetaSgdOptions(options);
    super('MetaSGD', module, resolved);
    this.#learningRates = new Map(
      [...module.namedParameters()].map(([name, parameter]) => [
        `${META_SGD_LR_PREFIX}${name}`,
        tf.variable(tf.fill(parameter.shape, resolved.innerLr), true),
      ]),
    );
  }

  /** The per-parameter learning rates α by parameter name (the variables themselves). */
  learningRates(): Map<string, tf.Variable> {
    return new Map([...this.#learningRates].map(([name, lr]) => [name.slice(META_SGD_LR_PREFIX.length), lr]));
  }

  override metaParameters(): Map<string, tf.Variable> {
    const out = this.module.namedParameters();
    for (const [name, lr] of this.#learningRates) out.set(name, lr);
    return out;
  }

  override createOptimizer(): Optimizer {
    return new Adam(this.metaParameters(), { learningRate: 1e-3 });
  }

  override dispose(): void {
    for (const lr of this.#learningRates.values()) lr.dispose();
    this.#learningRates.clear();
  }

  protected adaptedNames(): readonly string[] {
    return [...this.module.namedParameters().keys()];
  }

  protected stepSize(meta: ParamMap): StepSize {
    const out = new Map<string, tf.Tensor>();
    for (const name of this.adaptedNames())
      out.set(name, meta.get(`${META_SGD_LR_PREFIX}${name}`) as tf.Tensor);
    return out;
  }
}
