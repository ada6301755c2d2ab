// Layouts for the filter gradients (see PhaseGridAxis): the input as phase planes (channel-major for
// the matrix product of Conv2DBackpropFilter, channel-last for the elementwise products of the
// depthwise one), dy on the same grid, and per-tap shifted copies of the planes. With these, a
// filter gradient is one plain matrix product (or a product and a row sum) per chunk of images.
// Grid rows past the output (Ho..Hq) only ever meet zeros of dy, so they are left out.
import * as tf from '@tensorflow/tfjs';
import type { PhaseGridAxis } from './conv-geometry.js';
import { reframe, transpose2d, writeFloat32 } from './wasm-heap.js';

/**
 * Positions per chunk of images. The XNNPACK product streams the reduction length for every few
 * rows of the result, so a long reduction falls out of cache, while each chunk costs a product call
 * (and an operator setup). Measured best for 27-288 rows: ~8k positions.
 */
const CHUNK_POSITIONS = 8192;

/** Bound on the floats of one chunk's shifted copies (32 MiB), for layers with many channels. */
const CHUNK_FLOATS = 1 << 23;

/**
 * `[first, end)` image ranges of about {@link CHUNK_POSITIONS} positions (fewer when
 * `rowsPerPosition` floats per position would exceed {@link CHUNK_FLOATS}), at least one image each.
 */
export function imageChunks(
  batch: number,
  positionsPerImage: number,
  rowsPerPosition: number,
): [number, number][] {
  const positions = Math.min(CHUNK_POSITIONS, CHUNK_FLOATS / Math.max(1, rowsPerPosition));
  const perChunk = Math.max(1, Math.round(positions / Math.max(1, positionsPerImage)));
  const chunks: [number, number][] = [];
  for (let first = 0; first < batch; first += perChunk)
    chunks.push([first, Math.min(batch, first + perChunk)]);
  return chunks;
}

/** Sums equally shaped small float32 tensors in float64 (one tf.add per chunk costs ~0.1 ms each). */
export function sumPartials(partials: readonly tf.Tensor[], shape: readonly number[]): tf.Tensor {
  const sums = new Float64Array(tf.util.sizeFromShape([...shape]));
  for (const partial of partials) {
    const values = partial.dataSync();
    for (let i = 0; i < sums.length; i++) sums[i] = (sums[i] as number) + (values[i] as number);
  }
  return tf.tensor(Float32Array.from(sums), [...shape]);
}

/** Positions of one image that take part in the reduction: the output rows of the grid. */
export function positionsPerImage(rows: PhaseGridAxis, cols: PhaseGridAxis): number {
  return rows.outSize * cols.gridSize;
}

/**
 * x `[N, H, W, C]` → planes `[rowPhases * colPhases * C, N * rowGrid * colGrid]`: row
 * `(a, b, c)` holds channel `c` of the padded input at rows `q*sh + a`, columns `q'*sw + b`.
 */
export function channelMajorPlanes(
  kernelName: string,
  x: tf.Tensor4D,
  rows: PhaseGridAxis,
  cols: PhaseGridAxis,
): tf.Tensor2D {
  const [batch, , , channels] = x.shape;
  const window = reframe(kernelName, x, rows.before, rows.after, cols.before, cols.after);
  const length = batch * rows.gridSize * cols.gridSize;
  const sh = rows.phases;
  const sw = cols.phases;
  if (sh === 1) return transpose2d(kernelName, window.reshape([length, sw * channels]));
  // [N*Hq, sh, Wq, sw*C] → [sh, N*Hq, Wq, sw*C]: moves whole runs of sw*C floats.
  const byRowPhase = tf.transpose(
    window.reshape([batch * rows.gridSize, sh, cols.gridSize, sw * channels]),
    [1, 0, 2, 3],
  );
  // [sh, L, sw*C] → [sh, sw*C, L]: reads with the small stride sw*C.
  return tf
    .transpose(byRowPhase.reshape([sh, length, sw * channels]), [0, 2, 1])
    .reshape([sh * sw * channels, length]);
}

/**
 * x `[N, H, W, C]` → channel-last planes `[rowPhases * colPhases * N * rowGrid * colGrid, C]`:
 * block `(a, b)` holds the padded input at rows `q*sh + a`, columns `q'*sw + b`, pixel-major.
 */
export function channelLastPlanes(
  kernelName: string,
  x: tf.Tensor4D,
  rows: PhaseGridAxis,
  cols: PhaseGridAxis,
): tf.Tensor2D {
  const [batch, , , channels] = x.shape;
  const window = reframe(kernelName, x, rows.before, rows.after, cols.before, cols.after);
  const length = batch * rows.gridSize * cols.gridSize;
  const sh = rows.phases;
  const sw = cols.phases;
  const flat = sh * sw * length;
  if (sh === 1 && sw === 1) return window.reshape([flat, channels]);
  // [N*Hq, sh, Wq, sw*C] → [sh, N*Hq, Wq, sw*C], then [sh, L, sw, C] → [sh, sw, L, C]: both
  // transposes move whole runs of C floats.
  const byRowPhase =
    sh === 1
      ? window
      : tf.transpose(window.reshape([batch * rows.gridSize, sh, cols.gridSize, sw * channels]), [1, 0, 2, 3]);
  if (sw === 1) return byRowPhase.reshape([flat, channels]);
  return tf.transpose(byRowPhase.reshape([sh, length, sw, channels]), [0, 2, 1, 3]).reshape([flat, channels]);
}

/**
 * dy `[N, Ho, Wo, C]` for images `[first, end)` on the grid's columns: `[(end-first) * Ho * Wq, C]`
 * (zeros at columns past Wo).
 */
export function gridRows(
  kernelName: string,
  dy: tf.Tensor4D,
  cols: PhaseGridAxis,
  images: readonly [number, number],
): tf.Tensor2D {
  const framed = reframe(kernelName, dy, 0, 0, 0, cols.gridSize - cols.outSize, images);
  return framed.reshape([framed.shape[0] * framed.shape[1] * cols.gridSize, dy.shape[3]]);
}

/**
 * Copies, for each image of `images`, its {@link positionsPerImage} grid positions (`width`
 * floats each) from `offset` of `source` on, into `out` from `o`; zero past `limit`. Copies go
 * through `copyWithin` on the whole heap: a `subarray` per run would allocate thousands of views.
 */
function copyImagePositions(
  out: Float32Array,
  o: number,
  source: Float32Array,
  offset: number,
  limit: number,
  rows: PhaseGridAxis,
  cols: PhaseGridAxis,
  images: readonly [number, number],
  width: number,
): void {
  const heap = new Float32Array(out.buffer);
  const outBase = out.byteOffset >> 2;
  const sourceBase = source.byteOffset >> 2;
  const used = positionsPerImage(rows, cols) * width;
  const stride = rows.gridSize * cols.gridSize * width;
  for (let n = images[0]; n < images[1]; n++, o += used) {
    const from = offset + n * stride;
    const available = Math.max(0, Math.min(used, limit - from));
    heap.copyWithin(outBase + o, sourceBase + from, sourceBase + from + available);
    if (available < used) out.fill(0, o + available, o + used);
  }
}

/**
 * Shifted rows of channel-major planes for images `[first, end)`:
 * `[Kh * Kw * C, (end-first) * Ho * Wq]`; row `(i, j, c)` holds channel `c` of tap (i, j)'s plane,
 * each image's positions shifted by `tapShift`. Values at grid columns past Wo (which run into the
 * next grid row) meet the zeros of {@link gridRows}; reads past the planes are zero.
 */
export function shiftedTapRows(
  kernelName: string,
  planes: tf.Tensor2D,
  channels: number,
  rows: PhaseGridAxis,
  cols: PhaseGridAxis,
  images: readonly [number, number],
): tf.Tensor2D {
  const length = planes.shape[1];
  const chunkLength = (images[1] - images[0]) * positionsPerImage(rows, cols);
  const kh = rows.tapPhase.length;
  const kw = cols.tapPhase.length;
  return writeFloat32(kernelName, [kh * kw * channels, chunkLength], [planes], (out, [src]) => {
    const source = src as Float32Array;
    let o = 0;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const phase = (rows.tapPhase[i] as number) * cols.phases + (cols.tapPhase[j] as number);
        const shift = (rows.tapShift[i] as number) * cols.gridSize + (cols.tapShift[j] as number);
        for (let c = 0; c < channels; c++, o += chunkLength) {
          const row = (phase * channels + c) * length;
          copyImagePositions(out, o, source, row + shift, row + length, rows, cols, images, 1);
        }
      }
    }
  }) as tf.Tensor2D;
}

/**
 * Shifted blocks of channel-last planes for images `[first, end)`:
 * `[Kh * Kw * (end-first) * Ho * Wq, C]`; block `(i, j)` laid out like a row of {@link shiftedTapRows}.
 */
export function shiftedTapBlocks(
  kernelName: string,
  planes: tf.Tensor2D,
  rows: PhaseGridAxis,
  cols: PhaseGridAxis,
  images: readonly [number, number],
): tf.Tensor2D {
  const channels = planes.shape[1];
  const planeLength = (planes.shape[0] / (rows.phases * cols.phases)) * channels;
  const chunkLength = (images[1] - images[0]) * positionsPerImage(rows, cols) * channels;
  const kh = rows.tapPhase.length;
  const kw = cols.tapPhase.length;
  return writeFloat32(kernelName, [(kh * kw * chunkLength) / channels, channels], [planes], (out, [src]) => {
    const source = src as Float32Array;
    let o = 0;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++, o += chunkLength) {
        const phase = (rows.tapPhase[i] as number) * cols.phases + (cols.tapPhase[j] as number);
        const shift =
          ((rows.tapShift[i] as number) * cols.gridSize + (cols.tapShift[j] as number)) * channels;
        const plane = phase * planeLength;
        copyImagePositions(out, o, source, plane + shift, plane + planeLength, rows, cols, images, channels);
      }
    }
  }) as tf.Tensor2D;
}
