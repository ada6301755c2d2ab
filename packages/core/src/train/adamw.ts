// Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019, Algorithm 2 (AdamW; decay scaled by the learning rate, as PyTorch).
import * as tf from '@tensorflow/tfjs';
import { Adam, type AdamOptions } from './adam.js';

/**
 * Adam with decoupled weight decay: decaying parameters shrink by `w ← w·(1 − η·λ)` before the
 * Adam step, instead of λw being added to the gradient. Default λ = 0.01 (PyTorch's).
 *
 * @example
 * const opt = new AdamW(model.namedParameters(), { learningRate: 1e-3, weightDecay: 0.05 });
 */
export class AdamW extends Adam {
  static override readonly className: string = 'AdamW';

  constructor(parameters: ReadonlyMap<string, tf.Variable>, options: AdamOptions) {
    super(parameters, { ...options, weightDecay: options?.weightDecay ?? 0.01 });
  }

  protected override applyUpdate(
    name: string,
    variable: tf.Variable,
    gradient: tf.Tensor,
    decays: boolean,
  ): void {
    if (decays && this.weightDecay > 0)
      variable.assign(tf.mul(variable, 1 - this.learningRate * this.weightDecay));
    this.adamStep(name, variable, gradient);
  }
}
