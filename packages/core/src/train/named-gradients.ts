import * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../internal/errors.js';

/** What {@link namedGradients} returns; the caller disposes `value` and the gradients. */
export interface LossAndGradients {
  /** The loss. */
  readonly value: tf.Scalar;
  /** Gradient of the loss per parameter name; parameters the loss does not depend on are absent. */
  readonly gradients: Map<string, tf.Tensor>;
}

/**
 * Gradients of a scalar loss with respect to named variables (e.g. `module.namedParameters()`),
 * keyed by those names (`stage1.block0.conv.kernel`). `tf.variableGrads` keys them by TF.js's
 * internal variable names instead, which optimizers, clipping and checkpoints here do not use.
 * Intermediate tensors of `loss` are freed. Parameters the loss does not reach (a supernet's
 * unused candidates) have no entry.
 *
 * @example
 * const { value, gradients } = namedGradients(
 *   () => crossEntropy(model.apply(x, { training: true }), y),
 *   model.namedParameters(),
 * );
 * gradients.get('fc.kernel'); // same shape as the variable
 * tf.dispose([value, ...gradients.values()]);
 */
export function namedGradients(
  loss: () => tf.Scalar,
  parameters: ReadonlyMap<string, tf.Variable>,
): LossAndGradients {
  const source = '@automl-ts/core/namedGradients';
  if (typeof loss !== 'function') {
    throw new AutomlError(source, `loss must be a function () => tf.Scalar, got ${describeValue(loss)}`);
  }
  if (!(parameters instanceof Map) || parameters.size === 0) {
    throw new AutomlError(
      source,
      `parameters must be a non-empty Map of name → tf.Variable, got ${describeValue(parameters)}`,
    );
  }
  const nameOf = new Map<string, string>();
  for (const [name, variable] of parameters) {
    if (!(variable instanceof tf.Variable)) {
      throw new AutomlError(source, `parameters["${name}"] is not a tf.Variable: ${describeValue(variable)}`);
    }
    nameOf.set(variable.name, name);
  }
  const { value, grads } = tf.variableGrads(() => {
    const y = loss();
    if (!(y instanceof tf.Tensor) || y.rank !== 0) {
      throw new AutomlError(source, `loss() must return a scalar tensor, got ${describeValue(y)}`);
    }
    return y;
  }, [...parameters.values()]);
  const gradients = new Map<string, tf.Tensor>();
  for (const [tfName, gradient] of Object.entries(grads))
    gradients.set(nameOf.get(tfName) as string, gradient);
  return { value, gradients };
}
