// Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, Algorithm 1 (bias-corrected moments; epsilon added after the square root, as PyTorch).
import * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../internal/errors.js';
import { Optimizer, type OptimizerOptions } from './optimizer.js';

/** Options of {@link Adam} and {@link AdamW}. */
export interface AdamOptions extends OptimizerOptions {
  /** @default 0.9 */
  beta1?: number;
  /** @default 0.999 */
  beta2?: number;
  /** @default 1e-8 */
  epsilon?: number;
}

/**
 * Adam with L2 weight decay added to the gradient (PyTorch's `Adam(weight_decay=λ)`). For
 * decoupled decay use {@link AdamW}. Slots: `m` (first moment) and `v` (second moment).
 *
 * @example
 * const adam = new Adam(model.namedParameters(), { learningRate: 1e-3 });
 */
export class Adam extends Optimizer {
  static override readonly className: string = 'Adam';

  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;

  constructor(parameters: ReadonlyMap<string, tf.Variable>, options: AdamOptions) {
    super(parameters, options);
    const source = `@automl-ts/core/${this.className}`;
    this.beta1 = checkUnitInterval(source, 'beta1', options.beta1 ?? 0.9);
    this.beta2 = checkUnitInterval(source, 'beta2', options.beta2 ?? 0.999);
    const epsilon = options.epsilon ?? 1e-8;
    if (typeof epsilon !== 'number' || !(epsilon > 0)) {
      throw new AutomlError(source, `epsilon must be a number > 0, got ${describeValue(epsilon)}`);
    }
    this.epsilon = epsilon;
  }

  protected override applyUpdate(
    name: string,
    variable: tf.Variable,
    gradient: tf.Tensor,
    decays: boolean,
  ): void {
    const g =
      decays && this.weightDecay > 0 ? tf.add(gradient, tf.mul(variable, this.weightDecay)) : gradient;
    this.adamStep(name, variable, g);
  }

  /**
   * The Adam update of `variable` from gradient `g` (shared with AdamW). The bias correction uses
   * the parameter's own step count, as PyTorch does, so a parameter outside the sampled subnets
   * for a while is not corrected as if its moments had been averaging all along.
   */
  protected adamStep(name: string, variable: tf.Variable, g: tf.Tensor): void {
    const t = this.parameterSteps(name);
    const m = this.slot('m', name);
    const v = this.slot('v', name);
    m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1)));
    v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
    const correction1 = 1 - this.beta1 ** t;
    const correction2 = 1 - this.beta2 ** t;
    const denominator = tf.add(tf.div(tf.sqrt(v), Math.sqrt(correction2)), this.epsilon);
    variable.assign(tf.sub(variable, tf.mul(tf.div(m, denominator), this.learningRate / correction1)));
  }
}

function checkUnitInterval(source: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw new AutomlError(source, `${name} must be a number in [0, 1), got ${describeValue(value)}`);
  }
  return value;
}
