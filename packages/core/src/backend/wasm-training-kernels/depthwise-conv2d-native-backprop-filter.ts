// DepthwiseConv2dNativeBackpropFilter for wasm. Identity:
//   dW[i, j, c, m] = Σ_{n,ho,wo} x_pad[n, ho*sh + i*dh, wo*sw + j*dw, c] · dy[n, ho, wo, c*M + m]
//                  = Σ_p A_ij[p, c] · dy_grid[p, c*M + m]
// with A_ij the tap's shifted block of the channel-last input planes and dy on the same phase grid
// (see PhaseGridAxis). No channel is shared, so there is no matrix product to feed: per chunk of
// images it is one broadcast XNNPACK multiply of all taps' blocks with dy, XNNPACK average pools
// over each grid row (short float32 sums), and float64 sums of those row sums.
import * as tf from '@tensorflow/tfjs';
import { errorFactory } from '../../internal/errors.js';
import { convAxes, phaseGridAxis } from './conv-geometry.js';
import {
  channelLastPlanes,
  gridRows,
  imageChunks,
  positionsPerImage,
  shiftedTapBlocks,
  sumPartials,
} from './phase-grid.js';
import { asTensor, writeFloat32 } from './wasm-heap.js';

const KERNEL = 'DepthwiseConv2dNativeBackpropFilter';
const fail = errorFactory(`@automl-ts/core/${KERNEL}`);

/** `[taps, rows, depth]` row means (each scaled by `scale`) → `[taps, depth]` sums, in float64. */
function sumRows(rowMeans: tf.Tensor, taps: number, rows: number, depth: number, scale: number): tf.Tensor {
  return writeFloat32(KERNEL, [taps, depth], [rowMeans], (out, [src]) => {
    const values = src as Float32Array;
    for (let t = 0; t < taps; t++) {
      for (let d = 0; d < depth; d++) {
        let sum = 0;
        for (let r = 0, i = t * rows * depth + d; r < rows; r++, i += depth) sum += values[i] as number;
        out[t * depth + d] = sum * scale;
      }
    }
  });
}

function depthwiseConv2dNativeBackpropFilter(args: {
  inputs: tf.NamedTensorInfoMap;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs;
  const { x: xInfo, dy: dyInfo } = args.inputs;
  if (xInfo == null || dyInfo == null) throw fail('expected inputs x and dy');
  const info = tf.backend_util.computeConv2DInfo(
    xInfo.shape as [number, number, number, number],
    filterShape,
    strides,
    dilations ?? 1,
    pad,
    dimRoundingMode,
    true,
    'channelsLast',
  );
  if (!tf.util.arraysEqual(dyInfo.shape, info.outShape)) {
    throw fail(`dy has shape [${dyInfo.shape}], expected [${info.outShape}] for x [${xInfo.shape}]`);
  }
  const [rowAxis, colAxis] = convAxes(info);
  const rows = phaseGridAxis(rowAxis);
  const cols = phaseGridAxis(colAxis);
  const channels = info.inChannels;
  const depth = info.outChannels;
  const multiplier = depth / channels;
  const taps = info.filterHeight * info.filterWidth;
  const perImage = positionsPerImage(rows, cols);
  return tf.tidy(() => {
    const x = asTensor(xInfo) as tf.Tensor4D;
    const dy = asTensor(dyInfo) as tf.Tensor4D;
    if (dy.size === 0 || x.size === 0) return tf.zeros(filterShape);
    const planes = channelLastPlanes(KERNEL, x, rows, cols);
    const partials = imageChunks(info.batchSize, perImage, taps * depth).map((images) => {
      const length = (images[1] - images[0]) * perImage;
      const shifted = shiftedTapBlocks(KERNEL, planes, rows, cols, images);
      const grid = gridRows(KERNEL, dy, cols, images);
      const products =
        multiplier === 1
          ? tf.mul(shifted.reshape([taps, length, channels]), grid)
          : tf.mul(
              shifted.reshape([taps, length, channels, 1]),
              grid.reshape([length, channels, multiplier]),
            );
      // Grid rows (cols.gridSize positions each) are averaged by XNNPACK, then re-scaled.
      const image = products.reshape([taps, length, 1, depth]) as tf.Tensor4D;
      const rowMeans = tf.avgPool(image, [cols.gridSize, 1], [cols.gridSize, 1], 'valid');
      return sumRows(rowMeans, taps, length / cols.gridSize, depth, cols.gridSize);
    });
    return sumPartials(partials, filterShape);
  });
}

/** DepthwiseConv2dNativeBackpropFilter (gradient of depthwiseConv2d w.r.t. its filter) for the wasm backend. */
export const depthwiseConv2dNativeBackpropFilterConfig: tf.KernelConfig = {
  kernelName: KERNEL,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilter as tf.KernelFunc,
};
