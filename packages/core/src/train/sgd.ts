// Sutskever et al., "On the importance of initialization and momentum in deep learning", ICML 2013, eq. 3–4 (Nesterov momentum, in PyTorch's formulation).
import * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../internal/errors.js';
import { Optimizer, type OptimizerOptions } from './optimizer.js';

/** Options of {@link SGD}. */
export interface SgdOptions extends OptimizerOptions {
  /** Momentum coefficient μ. @default 0 */
  momentum?: number;
  /** Nesterov momentum (needs μ > 0). @default false */
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent with optional (Nesterov) momentum and L2 weight decay, as PyTorch:
 * `g ← ∇ + λw` (decaying parameters only), `b ← μb + g`, `w ← w − η·(nesterov ? g + μb : b)`.
 * Slot: `momentum`.
 *
 * @example
 * const sgd = new SGD(model.namedParameters(), { learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
 */
export class SGD extends Optimizer {
  static override readonly className: string = 'SGD';

  readonly momentum: number;
  readonly nesterov: boolean;

  constructor(parameters: ReadonlyMap<string, tf.Variable>, options: SgdOptions) {
    super(parameters, options);
    const momentum = options.momentum ?? 0;
    if (typeof momentum !== 'number' || !(momentum >= 0 && momentum < 1)) {
      throw new AutomlError(
        '@automl-ts/core/SGD',
        `momentum must be a number in [0, 1), got ${describeValue(momentum)}`,
      );
    }
    this.momentum = momentum;
    this.nesterov = options.nesterov ?? false;
    if (this.nesterov && momentum === 0)
      throw new AutomlError('@automl-ts/core/SGD', 'nesterov needs momentum > 0');
  }

  protected override applyUpdate(
    name: string,
    variable: tf.Variable,
    gradient: tf.Tensor,
    decays: boolean,
  ): void {
    let g = decays && this.weightDecay > 0 ? tf.add(gradient, tf.mul(variable, this.weightDecay)) : gradient;
    if (this.momentum > 0) {
      const buffer = this.slot('momentum', name);
      buffer.assign(tf.add(tf.mul(buffer, this.momentum), g));
      g = this.nesterov ? tf.add(g, tf.mul(buffer, this.momentum)) : buffer;
    }
    variable.assign(tf.sub(variable, tf.mul(g, this.learningRate)));
  }
}
