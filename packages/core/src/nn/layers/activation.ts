// Howard et al., "Searching for MobileNetV3", 2019, §5.2 (hard-swish: x·ReLU6(x + 3)/6).
import * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../../internal/errors.js';
import type { ApplyContext } from '../module.js';
import { Module } from '../module.js';
import { emitTrace } from './layer-utils.js';

/** Element-wise nonlinearities. `identity` is a named no-op, useful as a searchable choice. */
export type ActivationKind = 'relu' | 'relu6' | 'hardSwish' | 'sigmoid' | 'identity';

/** Every {@link ActivationKind}, in a stable order. */
export const ACTIVATION_KINDS: readonly ActivationKind[] = [
  'relu',
  'relu6',
  'hardSwish',
  'sigmoid',
  'identity',
];

/** The JSON form of an {@link Activation}. */
export type ActivationConfig = { readonly kind: ActivationKind };

/**
 * An element-wise activation layer (no variables).
 *
 * @example
 * const act = new Activation('hardSwish');
 * act.apply(tf.tensor1d([-4, 0, 1])); // [0, 0, 0.6667]
 */
export class Activation extends Module {
  static override readonly className: string = 'Activation';

  readonly kind: ActivationKind;

  constructor(kind: ActivationKind) {
    super();
    if (!ACTIVATION_KINDS.includes(kind)) {
      throw new AutomlError(
        '@automl-ts/core/Activation',
        `kind must be one of ${ACTIVATION_KINDS.join(', ')}; got ${describeValue(kind)}`,
      );
    }
    this.kind = kind;
  }

  override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    const y = activate(x, this.kind);
    emitTrace(ctx, this, 'activation', [x], y, { kind: this.kind });
    return y;
  }

  /** Plain JSON enough to rebuild the layer. */
  getConfig(): ActivationConfig {
    return { kind: this.kind };
  }

  /** Rebuilds a layer from {@link Activation.getConfig}. */
  static fromConfig(config: ActivationConfig): Activation {
    return new Activation(config.kind);
  }

  /** A copy (there are no variables). */
  clone(): Activation {
    return new Activation(this.kind);
  }
}

/**
 * Applies an activation function to a tensor. Always returns a new tensor (identity clones), so
 * traced graphs never see an output that is its own input.
 */
export function activate(x: tf.Tensor, kind: ActivationKind): tf.Tensor {
  switch (kind) {
    case 'relu':
      return tf.relu(x);
    case 'relu6':
      return tf.relu6(x);
    case 'hardSwish':
      return tf.div(tf.mul(x, tf.relu6(tf.add(x, 3))), 6);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'identity':
      return tf.clone(x);
  }
}
