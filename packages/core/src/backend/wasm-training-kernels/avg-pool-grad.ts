// AvgPoolGrad for wasm and cpu, correct for every padding. TF.js 4.22's kernels on both backends
// divide by the full window size (1 / (kh·kw)) for every window, while the forward `avgPool` averages
// over the in-bounds cells only, so with 'same' or numeric padding the border gradients are wrong
// (3×3 'same', stride 1: corner 0.444 instead of 1/4 + 2/6 + 1/9 = 0.694). Identity used here, for
// every output window o and channel c:
//   dx[h, w, c] += dy[o, c] / count(o)   for each in-bounds (h, w) of window o,
// where count(o) is the number of in-bounds cells of o (the divisor the forward used).
import * as tf from '@tensorflow/tfjs';
import { errorFactory } from '../../internal/errors.js';
import { asTensor, writeFloat32 } from './wasm-heap.js';

const KERNEL = 'AvgPoolGrad';
const fail = errorFactory(`@automl-ts/core/${KERNEL}`);

type PoolInfo = tf.backend_util.Conv2DInfo;

function poolInfo(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap }): {
  info: PoolInfo;
  dy: tf.TensorInfo;
  x: tf.TensorInfo;
} {
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as tf.AvgPoolGradAttrs & {
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  const { dy, input: x } = args.inputs;
  if (dy == null || x == null) throw fail('expected inputs dy and input');
  if (x.shape.length !== 4) throw fail(`expected a rank-4 NHWC input, got shape [${x.shape}]`);
  const info = tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  if (!tf.util.arraysEqual(dy.shape, info.outShape)) {
    throw fail(`dy has shape [${dy.shape}], expected [${info.outShape}] for an input of shape [${x.shape}]`);
  }
  return { info, dy, x };
}

/** Writes the average-pool gradient into `dx` (NHWC, zeroed here) from `dy` (NHWC). */
function accumulate(info: PoolInfo, dy: Float32Array, dx: Float32Array): void {
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  dx.fill(0);
  let o = 0;
  for (let n = 0; n < batchSize; n++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const h0 = oh * strideHeight - top;
      const hStart = Math.max(0, h0);
      const hEnd = Math.min(inHeight, h0 + filterHeight);
      for (let ow = 0; ow < outWidth; ow++, o += channels) {
        const w0 = ow * strideWidth - left;
        const wStart = Math.max(0, w0);
        const wEnd = Math.min(inWidth, w0 + filterWidth);
        const count = (hEnd - hStart) * (wEnd - wStart);
        if (count <= 0) continue;
        const scale = 1 / count;
        for (let h = hStart; h < hEnd; h++) {
          for (let w = wStart; w < wEnd; w++) {
            const base = ((n * inHeight + h) * inWidth + w) * channels;
            for (let c = 0; c < channels; c++) {
              dx[base + c] = (dx[base + c] as number) + (dy[o + c] as number) * scale;
            }
          }
        }
      }
    }
  }
}

function avgPoolGradWasm(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { info, dy, x } = poolInfo(args);
  return tf.tidy(() =>
    writeFloat32(KERNEL, x.shape, [asTensor(dy)], (dx, [dyValues]) =>
      accumulate(info, dyValues as Float32Array, dx),
    ),
  );
}

interface CpuBackendLike {
  readSync(dataId: object): tf.backend_util.BackendValues;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

function avgPoolGradCpu(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: object;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const { info, dy, x } = poolInfo(args);
  const backend = args.backend as CpuBackendLike;
  const dx = new Float32Array(tf.util.sizeFromShape(x.shape));
  accumulate(info, backend.readSync(dy.dataId) as Float32Array, dx);
  return backend.makeTensorInfo([...x.shape], 'float32', dx);
}

/** AvgPoolGrad (gradient of avgPool, correct for 'same' and numeric padding) for the wasm backend. */
export const avgPoolGradConfig: tf.KernelConfig = {
  kernelName: KERNEL,
  backendName: 'wasm',
  kernelFunc: avgPoolGradWasm as tf.KernelFunc,
};

/** The same AvgPoolGrad for the cpu backend, whose own kernel has the 'same'-padding bug too. */
export const avgPoolGradCpuConfig: tf.KernelConfig = {
  kernelName: KERNEL,
  backendName: 'cpu',
  kernelFunc: avgPoolGradCpu as tf.KernelFunc,
};
