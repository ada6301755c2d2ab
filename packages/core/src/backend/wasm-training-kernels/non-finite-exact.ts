// Convolution gradients with NaN or ±Inf among their inputs, computed as the cpu backend computes
// them. The fast kernels embed their operands in zero-padded grids (padding, phase grids, columns
// past the output), so a padding zero meets an Inf and makes a NaN where cpu, which skips the
// padding, stays finite. When a fast result holds a non-finite entry, it is recomputed here by the
// definition (products of in-bounds pairs only, float64 sums, one rounding), so that the result is
// non-finite exactly where cpu's is. A training step with non-finite gradients has diverged
// already; this path only has to be right, not fast.
import * as tf from '@tensorflow/tfjs';
import { wasmHeap } from './wasm-heap.js';

/** Which gradient of which convolution. */
type ConvGradient = 'filter' | 'input';

/** Sums of products over in-bounds (input, output, tap) triples, in float64. */
function directGradient(
  info: tf.backend_util.Conv2DInfo,
  depthwise: boolean,
  gradient: ConvGradient,
  x: Float32Array | undefined,
  dy: Float32Array,
  filter: Float32Array | undefined,
): Float64Array {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  const perChannel = depthwise ? outChannels / inChannels : outChannels;
  const out = new Float64Array(
    gradient === 'filter'
      ? filterHeight * filterWidth * inChannels * perChannel
      : batchSize * inHeight * inWidth * inChannels,
  );
  for (let n = 0; n < batchSize; n++) {
    for (let ho = 0; ho < outHeight; ho++) {
      for (let wo = 0; wo < outWidth; wo++) {
        const dyBase = ((n * outHeight + ho) * outWidth + wo) * outChannels;
        for (let i = 0; i < filterHeight; i++) {
          const h = ho * strideHeight + i * dilationHeight - top;
          if (h < 0 || h >= inHeight) continue;
          for (let j = 0; j < filterWidth; j++) {
            const w = wo * strideWidth + j * dilationWidth - left;
            if (w < 0 || w >= inWidth) continue;
            const xBase = ((n * inHeight + h) * inWidth + w) * inChannels;
            const tapBase = (i * filterWidth + j) * inChannels * perChannel;
            for (let c = 0; c < inChannels; c++) {
              const filterBase = tapBase + c * perChannel;
              const dyChannel = depthwise ? dyBase + c * perChannel : dyBase;
              for (let o = 0; o < perChannel; o++) {
                const g = dy[dyChannel + o] as number;
                if (gradient === 'filter') {
                  out[filterBase + o] = (out[filterBase + o] as number) + (x?.[xBase + c] as number) * g;
                } else {
                  out[xBase + c] = (out[xBase + c] as number) + g * (filter?.[filterBase + o] as number);
                }
              }
            }
          }
        }
      }
    }
  }
  return out;
}

function hasNonFinite(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v - v !== 0) return true; // NaN - NaN and Inf - Inf are NaN
  }
  return false;
}

function read(info: tf.TensorInfo): Float32Array {
  return Float32Array.from(tf.backend().readSync(info.dataId) as Float32Array);
}

/**
 * `config` (a wasm convolution-gradient kernel) whose non-finite results are recomputed by the
 * definition, so that they are non-finite exactly where the cpu backend's are (see the file
 * comment). Finite results are returned as they are: one scan of the output is the only cost.
 */
export function exactWhereNonFinite(
  config: tf.KernelConfig,
  depthwise: boolean,
  gradient: ConvGradient,
): tf.KernelConfig {
  const fast = config.kernelFunc;
  const kernelFunc = (args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo => {
    const result = fast(args) as tf.TensorInfo;
    if (
      result.dtype !== 'float32' ||
      !hasNonFinite(wasmHeap(config.kernelName).typedArrayFromHeap(result) as Float32Array)
    ) {
      return result;
    }
    const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs &
      tf.Conv2DBackpropInputAttrs & { dilations?: number | [number, number] };
    const { x, dy, filter } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const dyInfo = dy as tf.TensorInfo;
    const xShape = (gradient === 'filter' ? x?.shape : attrs.inputShape) as [number, number, number, number];
    const filterShape = (gradient === 'filter' ? attrs.filterShape : filter?.shape) as [
      number,
      number,
      number,
      number,
    ];
    const info = tf.backend_util.computeConv2DInfo(
      xShape,
      filterShape,
      attrs.strides,
      attrs.dilations ?? 1,
      attrs.pad,
      attrs.dimRoundingMode,
      depthwise,
      'channelsLast',
    );
    const sums = directGradient(
      info,
      depthwise,
      gradient,
      x === undefined ? undefined : read(x),
      read(dyInfo),
      filter === undefined ? undefined : read(filter),
    );
    if (result instanceof tf.Tensor) result.dispose();
    else tf.backend().disposeData(result.dataId);
    return tf.tensor(Float32Array.from(sums), gradient === 'filter' ? filterShape : xShape);
  };
  return { ...config, kernelFunc: kernelFunc as tf.KernelFunc };
}
