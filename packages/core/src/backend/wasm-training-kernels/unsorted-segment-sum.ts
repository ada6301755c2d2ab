// UnsortedSegmentSum for wasm (the gradient of gather). Identity:
//   out[s, ...] = Σ_{r : ids[r] = s} x[r, ...]
// as a plain loop over the rows of x, accumulated in float64 in row order and rounded once: the
// same sums, in the same order, as the cpu backend's mask-multiply-and-sum. Ids outside
// [0, numSegments) are dropped. A NaN or ±Inf only reaches its own segment (the cpu backend's masks
// multiply it by 0 and spread NaN to every segment).
import * as tf from '@tensorflow/tfjs';
import { errorFactory } from '../../internal/errors.js';
import { asTensor } from './wasm-heap.js';

const KERNEL = 'UnsortedSegmentSum';
const fail = errorFactory(`@automl-ts/core/${KERNEL}`);

function unsortedSegmentSum(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { numSegments } = args.attrs as unknown as tf.UnsortedSegmentSumAttrs;
  const { x: xInfo, segmentIds: idsInfo } = args.inputs;
  if (xInfo == null || idsInfo == null) throw fail('expected inputs x and segmentIds');
  if (!Number.isInteger(numSegments) || numSegments < 0) {
    throw fail(`numSegments must be a non-negative integer, got ${numSegments}`);
  }
  const idsRank = idsInfo.shape.length;
  if (!tf.util.arraysEqual(xInfo.shape.slice(0, idsRank), idsInfo.shape)) {
    throw fail(`segmentIds shape [${idsInfo.shape}] must be a prefix of x shape [${xInfo.shape}]`);
  }
  if (xInfo.dtype !== 'float32' && xInfo.dtype !== 'int32') {
    throw fail(`x must be float32 or int32, got ${xInfo.dtype}`);
  }
  const outShape = [numSegments, ...xInfo.shape.slice(idsRank)];
  const rowSize = tf.util.sizeFromShape(xInfo.shape.slice(idsRank));
  return tf.tidy(() => {
    const values = asTensor(xInfo).dataSync();
    const ids = asTensor(idsInfo).dataSync();
    const sums = new Float64Array(numSegments * rowSize);
    for (let r = 0; r < ids.length; r++) {
      const id = ids[r] as number;
      if (!(id >= 0 && id < numSegments)) continue;
      const out = id * rowSize;
      const src = r * rowSize;
      for (let k = 0; k < rowSize; k++) {
        sums[out + k] = (sums[out + k] as number) + (values[src + k] as number);
      }
    }
    return xInfo.dtype === 'int32'
      ? tf.tensor(Int32Array.from(sums), outShape, 'int32')
      : tf.tensor(Float32Array.from(sums), outShape, 'float32');
  });
}

/** UnsortedSegmentSum (used by the gradient of gather) for the wasm backend. */
export const unsortedSegmentSumConfig: tf.KernelConfig = {
  kernelName: KERNEL,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum as tf.KernelFunc,
};
