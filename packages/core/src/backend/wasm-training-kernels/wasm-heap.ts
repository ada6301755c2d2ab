// Data movement inside the wasm heap, for the layout changes the training kernels need. The wasm
// backend's own Slice copies the whole input (readSync) before slicing, and its 2D transpose writes
// with a stride that aliases in cache when the row count is a multiple of 1024; these helpers copy
// contiguous runs within the heap (copyWithin) or transpose in cache-sized tiles instead.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { errorFactory } from '../../internal/errors.js';

/** The parts of the wasm backend used here. */
export type WasmHeap = Pick<BackendWasm, 'makeOutput' | 'typedArrayFromHeap'>;

function isWasmHeap(value: unknown): value is WasmHeap {
  const candidate = value as Partial<WasmHeap> | null;
  return (
    candidate != null &&
    typeof candidate.makeOutput === 'function' &&
    typeof candidate.typedArrayFromHeap === 'function'
  );
}

/** The active backend as a wasm heap; throws, naming `kernelName`, on any other backend. */
export function wasmHeap(kernelName: string): WasmHeap {
  const backend = tf.backend();
  if (!isWasmHeap(backend)) {
    throw errorFactory(`@automl-ts/core/${kernelName}`)(
      `this kernel is registered for the wasm backend but the active backend is "${tf.getBackend()}"`,
    );
  }
  return backend;
}

/**
 * A kernel input as a `tf.Tensor`. The engine passes tensors; a bare TensorInfo (a kernel called
 * directly) is wrapped with its own reference, so disposing the wrapper leaves the data alive.
 */
export function asTensor(info: tf.TensorInfo): tf.Tensor {
  if (info instanceof tf.Tensor) return info;
  tf.backend().incRef(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info);
}

function writeOutput<T extends Float32Array | Uint8Array>(
  kernelName: string,
  shape: readonly number[],
  dtype: 'float32' | 'bool',
  sources: readonly tf.Tensor[],
  fill: (out: T, inputs: Float32Array[]) => void,
): tf.Tensor {
  const heap = wasmHeap(kernelName);
  const info = heap.makeOutput([...shape], dtype);
  const out = heap.typedArrayFromHeap(info) as T;
  const inputs = sources.map((source) => {
    if (source.dtype !== 'float32') {
      throw errorFactory(`@automl-ts/core/${kernelName}`)(`expected float32 tensors, got ${source.dtype}`);
    }
    return heap.typedArrayFromHeap(source) as Float32Array;
  });
  fill(out, inputs);
  return tf.engine().makeTensorFromTensorInfo(info);
}

/**
 * Allocates a float32 tensor in the wasm heap and lets `fill` write every element of it from heap
 * views of the float32 `sources`. The views are taken after the allocation (which may grow the heap
 * and detach older views) and must not outlive `fill`. The memory is not cleared.
 */
export function writeFloat32(
  kernelName: string,
  shape: readonly number[],
  sources: readonly tf.Tensor[],
  fill: (out: Float32Array, inputs: Float32Array[]) => void,
): tf.Tensor {
  return writeOutput(kernelName, shape, 'float32', sources, fill);
}

/** {@link writeFloat32} for a bool tensor (one byte per element, 0 or 1). */
export function writeBool(
  kernelName: string,
  shape: readonly number[],
  sources: readonly tf.Tensor[],
  fill: (out: Uint8Array, inputs: Float32Array[]) => void,
): tf.Tensor {
  return writeOutput(kernelName, shape, 'bool', sources, fill);
}

/**
 * Crops or zero-pads the two spatial axes of an NHWC tensor (negative amounts crop), optionally
 * for a range of images only: rows `[-rowsBefore, height + rowsAfter)` and likewise for columns.
 * Returns `x` itself when there is nothing to change.
 */
export function reframe(
  kernelName: string,
  x: tf.Tensor4D,
  rowsBefore: number,
  rowsAfter: number,
  colsBefore: number,
  colsAfter: number,
  images: readonly [number, number] = [0, x.shape[0]],
): tf.Tensor4D {
  const [batch, height, width, channels] = x.shape;
  const [firstImage, endImage] = images;
  const outHeight = height + rowsBefore + rowsAfter;
  const outWidth = width + colsBefore + colsAfter;
  const count = endImage - firstImage;
  if (
    rowsBefore === 0 &&
    rowsAfter === 0 &&
    colsBefore === 0 &&
    colsAfter === 0 &&
    firstImage === 0 &&
    endImage === batch
  ) {
    return x;
  }
  if (outHeight <= 0 || outWidth <= 0)
    return tf.zeros([count, Math.max(0, outHeight), Math.max(0, outWidth), channels]);
  const outShape = [count, outHeight, outWidth, channels] as const;
  // Source columns kept, and where they land.
  const srcCol0 = Math.max(0, -colsBefore);
  const dstCol0 = Math.max(0, colsBefore);
  const keptCols = Math.max(0, Math.min(width - srcCol0, outWidth - dstCol0));
  const rowLength = outWidth * channels;
  const copyLength = keptCols * channels;
  const copyStart = dstCol0 * channels;
  const copyEnd = copyStart + copyLength;
  return writeFloat32(kernelName, outShape, [x], (out, [src]) => {
    // copyWithin on the whole heap: no view allocated per row.
    const heap = new Float32Array(out.buffer);
    const outBase = out.byteOffset >> 2;
    const sourceBase = (src as Float32Array).byteOffset >> 2;
    let o = 0;
    for (let n = firstImage; n < endImage; n++) {
      for (let r = 0; r < outHeight; r++, o += rowLength) {
        const srcRow = r - rowsBefore;
        if (srcRow < 0 || srcRow >= height || copyLength === 0) {
          out.fill(0, o, o + rowLength);
          continue;
        }
        const s = sourceBase + ((n * height + srcRow) * width + srcCol0) * channels;
        if (copyStart > 0) out.fill(0, o, o + copyStart);
        heap.copyWithin(outBase + o + copyStart, s, s + copyLength);
        if (copyEnd < rowLength) out.fill(0, o + copyEnd, o + rowLength);
      }
    }
  }) as tf.Tensor4D;
}

const TILE = 32;

/**
 * `[rows, cols] → [cols, rows]`. The wasm 2D transpose writes with a stride of `rows`; when that is
 * a multiple of 1024 floats every write of a row lands in the same cache set and it runs ~10x
 * slower, so those shapes use a tiled copy on heap views.
 */
export function transpose2d(kernelName: string, x: tf.Tensor2D): tf.Tensor2D {
  const [rows, cols] = x.shape;
  if (rows % 1024 !== 0 || rows === 0 || cols === 0) return tf.transpose(x);
  return writeFloat32(kernelName, [cols, rows], [x], (out, [src]) => {
    const source = src as Float32Array;
    for (let r0 = 0; r0 < rows; r0 += TILE) {
      const r1 = Math.min(rows, r0 + TILE);
      for (let c0 = 0; c0 < cols; c0 += TILE) {
        const c1 = Math.min(cols, c0 + TILE);
        for (let c = c0; c < c1; c++) {
          let o = c * rows + r0;
          let i = r0 * cols + c;
          for (let r = r0; r < r1; r++, i += cols) out[o++] = source[i] as number;
        }
      }
    }
  }) as tf.Tensor2D;
}
