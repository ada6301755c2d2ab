// Pascanu et al., "On the difficulty of training recurrent neural networks", ICML 2013, Algorithm 1 (gradient norm clipping, over all parameters jointly).
import * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../internal/errors.js';

/** Result of {@link clipByGlobalNorm}. */
export interface ClippedGradients {
  /** New gradient tensors (the caller disposes them), scaled by `min(1, maxNorm / norm)`. */
  readonly gradients: Map<string, tf.Tensor>;
  /** Global L2 norm before clipping. */
  readonly norm: number;
}

/**
 * Scales all gradients jointly so that their global L2 norm is at most `maxNorm`.
 *
 * @example
 * const { gradients, norm } = clipByGlobalNorm(grads, 5);
 */
export function clipByGlobalNorm(
  gradients: ReadonlyMap<string, tf.Tensor>,
  maxNorm: number,
): ClippedGradients {
  if (typeof maxNorm !== 'number' || !(maxNorm > 0)) {
    throw new AutomlError(
      '@automl-ts/core/clipByGlobalNorm',
      `maxNorm must be a number > 0, got ${describeValue(maxNorm)}`,
    );
  }
  const norm = globalNorm(gradients);
  const scale = norm > maxNorm ? maxNorm / norm : 1;
  const clipped = new Map<string, tf.Tensor>();
  for (const [name, gradient] of gradients)
    clipped.set(name, scale === 1 ? tf.clone(gradient) : tf.mul(gradient, scale));
  return { gradients: clipped, norm };
}

/** √(Σ‖g‖²) over all gradients. */
export function globalNorm(gradients: ReadonlyMap<string, tf.Tensor>): number {
  if (gradients.size === 0) return 0;
  return tf.tidy(
    () => tf.sqrt(tf.addN([...gradients.values()].map((g) => tf.sum(tf.square(g))))).dataSync()[0] as number,
  );
}
