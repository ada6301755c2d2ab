// The shared steps of the input gradients (see SubPixelAxis): cropping dy where the stride-1
// sub-pixel convolution would need negative padding, and interleaving its phase outputs.
import * as tf from '@tensorflow/tfjs';
import type { SubPixelAxis } from './conv-geometry.js';
import { reframe } from './wasm-heap.js';

/**
 * Calls `visit` for every tap of the sub-pixel filter that reads a real kernel element: tap
 * `(u, v)` of output phase `phase = rh * cols.phases + rw` takes kernel element `(kh, kw)`.
 * Taps that fall between kernel elements (stride larger than the kernel) are skipped: they stay 0.
 */
export function forEachSubPixelTap(
  rows: SubPixelAxis,
  cols: SubPixelAxis,
  visit: (u: number, v: number, phase: number, kh: number, kw: number) => void,
): void {
  for (let u = 0; u < rows.taps; u++) {
    for (let v = 0; v < cols.taps; v++) {
      for (let rh = 0; rh < rows.phases; rh++) {
        const kh = rows.tapSource[rh]?.[u] ?? -1;
        if (kh < 0) continue;
        for (let rw = 0; rw < cols.phases; rw++) {
          const kw = cols.tapSource[rw]?.[v] ?? -1;
          if (kw >= 0) visit(u, v, rh * cols.phases + rw, kh, kw);
        }
      }
    }
  }
}

/**
 * `[N, Qh, Qw, sh*sw*C]` phases → `[N, Qh*sh, Qw*sw, C]`. Channel order `(rh, rw, c)` is
 * depth-to-space order, so only the row phase needs a transpose.
 */
export function interleavePhases(x: tf.Tensor4D, rowPhases: number, colPhases: number): tf.Tensor4D {
  const [batch, gridRows, gridCols, depth] = x.shape;
  const channels = depth / (rowPhases * colPhases);
  if (rowPhases === 1) return x.reshape([batch, gridRows, gridCols * colPhases, channels]);
  const moved = tf.transpose(
    x.reshape([batch * gridRows, gridCols, rowPhases, colPhases * channels]),
    [0, 2, 1, 3],
  );
  return moved.reshape([batch, gridRows * rowPhases, gridCols * colPhases, channels]);
}

/**
 * Crops dy where the sub-pixel convolution needs negative padding; returns it and the padding left,
 * or `undefined` when nothing of dy is left (every output position read only padding: dx is 0).
 */
export function cropForValidConv(
  kernelName: string,
  dy: tf.Tensor4D,
  rows: SubPixelAxis,
  cols: SubPixelAxis,
):
  | { dy: tf.Tensor4D; pad: [[number, number], [number, number], [number, number], [number, number]] }
  | undefined {
  const cropped = reframe(
    kernelName,
    dy,
    Math.min(0, rows.dyBefore),
    Math.min(0, rows.dyAfter),
    Math.min(0, cols.dyBefore),
    Math.min(0, cols.dyAfter),
  );
  if (cropped.size === 0) return undefined;
  return {
    dy: cropped,
    pad: [
      [0, 0],
      [Math.max(0, rows.dyBefore), Math.max(0, rows.dyAfter)],
      [Math.max(0, cols.dyBefore), Math.max(0, cols.dyAfter)],
      [0, 0],
    ],
  };
}
