import * as tf from '@tensorflow/tfjs';

/**
 * How a weight axis follows the channels of a layer:
 * - `in`: input channels of a layer that mixes channels (conv, dense, separable); masking zeroes them;
 * - `out`: the layer's own output channels;
 * - `channel`: a channel-wise axis (batch norm, depthwise) that follows its input; never masked.
 */
export type AxisRole = 'in' | 'out' | 'channel';

/** One channel axis of a weight tensor with the positions to keep on it. */
export interface ChannelAxis {
  readonly axis: number;
  readonly role: AxisRole;
  readonly kept: readonly number[];
}

/**
 * `slice` removes the dropped positions (real pruning); `mask` keeps the shape and zeroes the
 * dropped inputs of channel-mixing layers, which makes a network compute exactly what the sliced
 * one computes (the reference for equivalence checks).
 */
export type ChannelTransform = 'slice' | 'mask';

/** Applies `transform` to `weight` along every listed axis; returns a new tensor. */
export function transformWeight(
  weight: tf.Tensor,
  axes: readonly ChannelAxis[],
  transform: ChannelTransform,
): tf.Tensor {
  return tf.tidy(() => {
    let out: tf.Tensor = weight;
    for (const { axis, role, kept } of axes) {
      const size = out.shape[axis] as number;
      if (kept.length === size) continue;
      if (transform === 'slice') {
        out = tf.gather(out, tf.tensor1d(kept as number[], 'int32'), axis);
      } else if (role === 'in') {
        const mask = new Float32Array(size);
        for (const p of kept) mask[p] = 1;
        const shape = out.shape.map((d, i) => (i === axis ? d : 1));
        out = tf.mul(out, tf.tensor(mask, shape));
      }
    }
    return out === weight ? tf.clone(weight) : out;
  });
}

/** Expands channel indices to the `multiplier` positions each occupies (`c·m … c·m + m − 1`). */
export function expandChannels(kept: readonly number[], multiplier: number): number[] {
  return kept.flatMap((c) => Array.from({ length: multiplier }, (_, j) => c * multiplier + j));
}
