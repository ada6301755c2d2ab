// Second-order gradients of the pooling backward kernels (MAML through pooled conv nets). Both
// are linear in dy; their gradient with respect to dy is the adjoint map applied to ddx:
//   MaxPoolGrad(dy) = Aᵀ·dy with A picking each window's maximum  ⇒  ∂/∂dy = A·ddx
//   AvgPoolGrad(dy) = Bᵀ·dy with B = average pooling itself  ⇒  ∂/∂dy = avgPool(ddx)
// (B divides each window by its in-bounds count, as tf.avgPool does; core's kernel pack registers an
// AvgPoolGrad that is the exact adjoint of that on cpu and wasm — TF.js 4.22's own divides by the full
// window at 'same'-padded borders — so the adjoint of the registered kernel is tf.avgPool.)
// and both are piecewise constant in the forward input (and output), whose gradients are zero.
import * as tf from '@tensorflow/tfjs';
import { errorFactory } from '../internal/errors.js';

type PoolAttrs = {
  readonly filterSize: [number, number] | number;
  readonly strides: [number, number] | number;
  readonly pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  readonly dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

function poolInfo(inputShape: readonly number[], attrs: PoolAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(
    inputShape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
}

/**
 * Sums of `values` over the pooling windows of `info`, zero outside the input, divided by `divisor`:
 * explicit zero padding, then a `valid` average pool times `fh·fw / divisor`. Undefined when the
 * padded valid pool does not reproduce the window grid (only for unusual explicit paddings).
 */
function windowSums(
  values: tf.Tensor4D,
  info: tf.backend_util.Conv2DInfo,
  divisor: number,
): tf.Tensor | undefined {
  const { top, bottom, left, right } = info.padInfo;
  const padded =
    top === 0 && bottom === 0 && left === 0 && right === 0
      ? values
      : tf.pad(values as tf.Tensor4D, [
          [0, 0],
          [Math.max(0, top), Math.max(0, bottom)],
          [Math.max(0, left), Math.max(0, right)],
          [0, 0],
        ]);
  const [, height, width] = padded.shape;
  const rows = Math.floor((height - info.filterHeight) / info.strideHeight) + 1;
  const cols = Math.floor((width - info.filterWidth) / info.strideWidth) + 1;
  if (rows !== info.outHeight || cols !== info.outWidth || top < 0 || left < 0) return undefined;
  const averaged = tf.avgPool(
    padded,
    [info.filterHeight, info.filterWidth],
    [info.strideHeight, info.strideWidth],
    'valid',
  );
  const scale = (info.filterHeight * info.filterWidth) / divisor;
  return scale === 1 ? averaged : tf.mul(averaged, scale);
}

const fail = errorFactory('registerSecondOrderGradients');

/**
 * A·ddx for MaxPoolGrad, from the backend's own MaxPoolGrad so that it is the exact adjoint of
 * what that backend computed, whatever its tie-breaking. Output positions are split into groups
 * whose windows do not overlap (same row index mod ⌈fh/sh⌉ and column index mod ⌈fw/sw⌉; one
 * group when strides ≥ filter). For each group, MaxPoolGrad of the group's indicator marks the
 * positions its windows chose, and the window sums of mark·ddx are A·ddx on that group.
 */
function maxPoolGradAdjoint(ddx: tf.Tensor4D, x: tf.Tensor4D, y: tf.Tensor4D, attrs: PoolAttrs): tf.Tensor {
  const info = poolInfo(x.shape, attrs);
  const rowGroups = Math.ceil(info.filterHeight / info.strideHeight);
  const colGroups = Math.ceil(info.filterWidth / info.strideWidth);
  let total: tf.Tensor | undefined;
  for (let gr = 0; gr < rowGroups; gr++) {
    for (let gc = 0; gc < colGroups; gc++) {
      const single = rowGroups === 1 && colGroups === 1;
      const indicator = single ? tf.onesLike(y) : groupIndicator(y.shape, rowGroups, colGroups, gr, gc);
      const mask = tf.engine().runKernel('MaxPoolGrad', { dy: indicator, input: x, output: y }, {
        ...attrs,
      } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
      const sums = windowSums(tf.mul(mask, ddx), info, 1);
      if (sums === undefined) {
        throw fail(
          `the second-order gradient of MaxPoolGrad does not support pad ${JSON.stringify(attrs.pad)}`,
        );
      }
      const part = single ? sums : tf.mul(sums, indicator);
      total = total === undefined ? part : tf.add(total, part);
    }
  }
  return total as tf.Tensor;
}

/** 1 at output positions (row ≡ gr mod rowGroups, column ≡ gc mod colGroups), else 0, broadcast to `shape`. */
function groupIndicator(
  shape: readonly number[],
  rowGroups: number,
  colGroups: number,
  gr: number,
  gc: number,
): tf.Tensor {
  const [n, height, width, channels] = shape as [number, number, number, number];
  const values = new Float32Array(height * width);
  for (let r = gr; r < height; r += rowGroups)
    for (let c = gc; c < width; c += colGroups) values[r * width + c] = 1;
  return tf.tile(tf.tensor4d(values, [1, height, width, 1]), [n, 1, 1, channels]);
}

/** TF.js lacks this gradient (4.22): max pooling's backward pass, differentiated again. */
export const maxPoolGradGradConfig: tf.GradConfig = {
  kernelName: 'MaxPoolGrad',
  inputsToSave: ['input', 'output'],
  gradFunc: (ddx, saved, attrs) => {
    const [x, y] = saved as [tf.Tensor4D, tf.Tensor4D];
    return {
      dy: () => maxPoolGradAdjoint(ddx as tf.Tensor4D, x, y, attrs as unknown as PoolAttrs),
      input: () => tf.zeros(x.shape),
      output: () => tf.zeros(y.shape),
    };
  },
};

/** TF.js lacks this gradient (4.22): average pooling's backward pass, differentiated again. */
export const avgPoolGradGradConfig: tf.GradConfig = {
  kernelName: 'AvgPoolGrad',
  inputsToSave: ['dy', 'input'],
  gradFunc: (ddx, saved, attrs) => {
    const [dy, x] = saved as [tf.Tensor4D, tf.Tensor4D];
    const poolAttrs = attrs as unknown as PoolAttrs;
    return {
      dy: () =>
        tf.reshape(
          tf.avgPool(
            ddx as tf.Tensor4D,
            poolAttrs.filterSize,
            poolAttrs.strides,
            poolAttrs.pad as 'same',
            poolAttrs.dimRoundingMode,
          ),
          dy.shape,
        ),
      input: () => tf.zeros(x.shape),
    };
  },
};
