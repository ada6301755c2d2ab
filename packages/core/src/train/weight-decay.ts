import type * as tf from '@tensorflow/tfjs';

/** Decides per parameter (full name, variable) whether weight decay applies. */
export type WeightDecayFilter = (name: string, variable: tf.Variable) => boolean;

/** Last name segments that never decay: biases and batch-norm scale and shift. */
export const NO_WEIGHT_DECAY_NAMES: readonly string[] = ['bias', 'gamma', 'beta'];

/**
 * The default rule: decay conv and dense kernels, not biases or normalisation parameters. A
 * parameter is excluded when its last name segment is in {@link NO_WEIGHT_DECAY_NAMES} or when it
 * has rank ≤ 1 (any other per-channel vector, e.g. a supernet's BN under another name), as in
 * Goyal et al. 2017 ("no bias decay") and timm.
 */
export function defaultWeightDecayFilter(name: string, variable: tf.Variable): boolean {
  const localName = name.slice(name.lastIndexOf('.') + 1);
  return variable.rank > 1 && !NO_WEIGHT_DECAY_NAMES.includes(localName);
}
