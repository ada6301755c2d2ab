// Reductions over the leading axes of a float32 tensor (bias and batch-norm gradients, moments:
// sums over N, H, W of NHWC). wasm reduces only innermost axes and transposes first otherwise, with a
// 2D transpose that runs ~10x slow when the row count is a multiple of 1024; summing the rows of the
// `[rows, cols]` view on the heap reads memory once, in order.
import * as tf from '@tensorflow/tfjs';
import type { KernelArgs } from './kernel-override.js';
import { asTensor, writeFloat32 } from './wasm-heap.js';

/** The number of leading axes `axis` names, or `undefined` if it names anything else. */
function leadingAxisCount(axis: number | number[], shape: readonly number[]): number | undefined {
  const axes = [...new Set(tf.util.parseAxisParam(axis, [...shape]))].sort((a, b) => a - b);
  if (axes.length === 0 || axes.length === shape.length) return undefined;
  return axes.every((a, i) => a === i) ? axes.length : undefined;
}

/** Column sums of `x` viewed as `[rows, cols]`, in float64, four rows per step (2.4x faster than one). */
function columnSums(x: Float32Array, rows: number, cols: number): Float64Array {
  const sums = new Float64Array(cols);
  const last = rows - (rows % 4);
  for (let i = 0; i < last * cols; i += 4 * cols) {
    for (let c = 0, j = i; c < cols; c++, j++) {
      sums[c] =
        (sums[c] as number) +
        (x[j] as number) +
        (x[j + cols] as number) +
        (x[j + 2 * cols] as number) +
        (x[j + 3 * cols] as number);
    }
  }
  for (let j = last * cols; j < rows * cols; j++)
    sums[j % cols] = (sums[j % cols] as number) + (x[j] as number);
  return sums;
}

/**
 * Sums (or, with `average`, averages) a float32 tensor over its leading axes, in float64 with one
 * rounding at the end. `undefined` when the axes are not a proper leading prefix (wasm's own
 * kernel then runs; it is fast for trailing axes).
 */
export function reduceLeadingAxes(
  kernelName: string,
  args: KernelArgs,
  average: boolean,
): tf.TensorInfo | undefined {
  const { x: xInfo } = args.inputs;
  const attrs = args.attrs as unknown as tf.SumAttrs;
  if (xInfo == null || xInfo.dtype !== 'float32') return undefined;
  const count = leadingAxisCount(attrs.axis, xInfo.shape);
  if (count === undefined) return undefined;
  const rows = tf.util.sizeFromShape(xInfo.shape.slice(0, count));
  const cols = tf.util.sizeFromShape(xInfo.shape.slice(count));
  const outShape = attrs.keepDims ? xInfo.shape.map((d, i) => (i < count ? 1 : d)) : xInfo.shape.slice(count);
  return tf.tidy(() =>
    writeFloat32(kernelName, outShape, [asTensor(xInfo)], (out, [x]) => {
      const sums = columnSums(x as Float32Array, rows, cols);
      if (average) for (let c = 0; c < cols; c++) sums[c] = (sums[c] as number) / rows;
      out.set(sums);
    }),
  );
}
