// BatchMatMul for wasm, transposed and batched (the gradients of matMul/dense, a GCN over a batch of
// graphs). wasm sends only untransposed single products to XNNPACK; a transpose flag or a batch axis
// falls to a scalar loop (~1 GMAC/s: the weight gradient of a 16384→10 dense layer at batch 64 took
// 19 ms CPU there, 2 ms here; [64, 20, 64]·[64, 64] took 4.8 ms). Identities, with op(X) = X or Xᵀ:
//   single:           op(A) · op(B) = A' · B'  (A' = op(A), B' = op(B) materialised by a transpose)
//   B shared:         [A_1; …; A_n] · B' stacked as one [n·m, k] · [k, p] product (A untransposed)
//   A shared:         A' · [B_1 … B_n] as one [m, k] · [k, n·p] product (B untransposed; the
//                     batch axis moved next to the columns by a transpose, and back)
//   equal batches:    one fast product per batch item, when the items are large enough to pay for
//                     the copies (MIN_ITEM_MACS); smaller ones stay on wasm's kernel.
// Other calls (broadcasts of unequal batch shapes, non-float32) go to wasm's own kernel.
import * as tf from '@tensorflow/tfjs';
import type { KernelOverride } from './kernel-override.js';
import { asTensor, transpose2d, writeFloat32 } from './wasm-heap.js';

const KERNEL = 'BatchMatMul';

/**
 * Multiply-adds per batch item from which a product per item (two heap copies and a dispatch,
 * ~20 µs) beats wasm's scalar batched loop (~1 GMAC/s).
 */
const MIN_ITEM_MACS = 32_768;

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Item `index` of `x` viewed as `[items, rows, cols]`, copied into its own `[rows, cols]` tensor. */
function item(x: tf.Tensor, index: number, rows: number, cols: number): tf.Tensor2D {
  const size = rows * cols;
  return writeFloat32(KERNEL, [rows, cols], [x], (out, [source]) => {
    out.set((source as Float32Array).subarray(index * size, (index + 1) * size));
  }) as tf.Tensor2D;
}

/** `op(x)` for a `[rows, cols]` matrix. */
function op(x: tf.Tensor2D, transposed: boolean): tf.Tensor2D {
  return transposed ? transpose2d(KERNEL, x) : x;
}

/** Float32 products with a transpose flag, a batch axis, or both. */
export const batchMatMulOverride: KernelOverride = {
  kernelName: KERNEL,
  run: ({ inputs, attrs }) => {
    const { a: aInfo, b: bInfo } = inputs;
    const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
    if (aInfo == null || bInfo == null) return undefined;
    if (aInfo.dtype !== 'float32' || bInfo.dtype !== 'float32') return undefined;
    if (aInfo.shape.length < 2 || bInfo.shape.length < 2) return undefined;
    const aBatchShape = aInfo.shape.slice(0, -2);
    const bBatchShape = bInfo.shape.slice(0, -2);
    const aItems = tf.util.sizeFromShape(aBatchShape);
    const bItems = tf.util.sizeFromShape(bBatchShape);
    const [aRows, aCols] = aInfo.shape.slice(-2) as [number, number];
    const [bRows, bCols] = bInfo.shape.slice(-2) as [number, number];
    const m = transposeA ? aCols : aRows;
    const k = transposeA ? aRows : aCols;
    const p = transposeB ? bRows : bCols;
    if (k !== (transposeB ? bCols : bRows)) return undefined;
    if (aItems === 1 && bItems === 1 && !transposeA && !transposeB) return undefined;
    const batchShape = tf.backend_util.assertAndGetBroadcastShape(aBatchShape, bBatchShape);
    const outShape = [...batchShape, m, p];
    if (m === 0 || k === 0 || p === 0) return undefined;
    const a3 = () => asTensor(aInfo).reshape([aItems, aRows, aCols]) as tf.Tensor3D;
    const b3 = () => asTensor(bInfo).reshape([bItems, bRows, bCols]) as tf.Tensor3D;

    if (bItems === 1 && (aItems === 1 || !transposeA)) {
      return tf.tidy(() => {
        const a = asTensor(aInfo).reshape([aItems * aRows, aCols]) as tf.Tensor2D;
        const b = asTensor(bInfo).reshape([bRows, bCols]) as tf.Tensor2D;
        return tf.matMul(op(a, transposeA), op(b, transposeB)).reshape(outShape);
      });
    }
    if (aItems === 1 && !transposeB) {
      return tf.tidy(() => {
        const a = asTensor(aInfo).reshape([aRows, aCols]) as tf.Tensor2D;
        const columns = tf.transpose(b3(), [1, 0, 2]).reshape([k, bItems * p]) as tf.Tensor2D;
        const product = tf.matMul(op(a, transposeA), columns).reshape([m, bItems, p]);
        return tf.transpose(product, [1, 0, 2]).reshape(outShape);
      });
    }
    if (!sameShape(aBatchShape, bBatchShape) || m * k * p < MIN_ITEM_MACS) return undefined;
    return tf.tidy(() => {
      const a = a3();
      const b = b3();
      const products = Array.from({ length: aItems }, (_, i) =>
        tf.matMul(op(item(a, i, aRows, aCols), transposeA), op(item(b, i, bRows, bCols), transposeB)),
      );
      const size = m * p;
      return writeFloat32(KERNEL, outShape, products, (out, items) => {
        for (const [i, values] of items.entries()) out.set(values, i * size);
      });
    });
  },
};
