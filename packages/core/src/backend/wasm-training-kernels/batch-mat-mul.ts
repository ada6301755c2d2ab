// BatchMatMul with a transposed operand for wasm (the gradients of matMul/dense). wasm sends only
// untransposed single products to XNNPACK; a transpose flag falls to a scalar loop (~2 GFLOP/s: the
// weight gradient of a 16384→10 dense layer at batch 64 took 19 ms CPU there, 2 ms here).
// Identity: op(A) · op(B) = A' · B' with A' = op(A), B' = op(B) materialised by a transpose, then
// wasm's fast path. Batched products go to wasm's own kernel.
import * as tf from '@tensorflow/tfjs';
import type { KernelOverride } from './kernel-override.js';
import { asTensor, transpose2d } from './wasm-heap.js';

const KERNEL = 'BatchMatMul';

/** Single float32 products with `transposeA` or `transposeB`. */
export const batchMatMulOverride: KernelOverride = {
  kernelName: KERNEL,
  run: ({ inputs, attrs }) => {
    const { a: aInfo, b: bInfo } = inputs;
    const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
    if (aInfo == null || bInfo == null || (!transposeA && !transposeB)) return undefined;
    if (aInfo.dtype !== 'float32' || bInfo.dtype !== 'float32') return undefined;
    const aRank = aInfo.shape.length;
    const bRank = bInfo.shape.length;
    if (aRank < 2 || bRank < 2) return undefined;
    if (tf.util.sizeFromShape(aInfo.shape.slice(0, -2)) !== 1) return undefined;
    if (tf.util.sizeFromShape(bInfo.shape.slice(0, -2)) !== 1) return undefined;
    const [aRows, aCols] = aInfo.shape.slice(-2) as [number, number];
    const [bRows, bCols] = bInfo.shape.slice(-2) as [number, number];
    const outRows = transposeA ? aCols : aRows;
    const outCols = transposeB ? bRows : bCols;
    if ((transposeA ? aRows : aCols) !== (transposeB ? bCols : bRows)) return undefined;
    const batchShape = (aRank >= bRank ? aInfo.shape : bInfo.shape).slice(0, -2);
    return tf.tidy(() => {
      const a = asTensor(aInfo).reshape([aRows, aCols]) as tf.Tensor2D;
      const b = asTensor(bInfo).reshape([bRows, bCols]) as tf.Tensor2D;
      const product = tf.matMul(
        transposeA ? transpose2d(KERNEL, a) : a,
        transposeB ? transpose2d(KERNEL, b) : b,
      );
      return product.reshape([...batchShape, outRows, outCols]);
    });
  },
};
