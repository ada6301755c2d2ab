// DepthwiseConv2dNativeBackpropFilter for wasm. Identity:
//   dW[i, j, c, m] = Σ_{n,ho,wo} x_pad[n, ho*sh + i*dh, wo*sw + j*dw, c] · dy[n, ho, wo, c*M + m]
//                  = Σ_p A_ij[p, c] · dy_grid[p, c*M + m]
// with A_ij the tap's shifted block of the channel-last input planes and dy on the same phase grid
// (see PhaseGridAxis). No channel is shared, so there is no matrix product to feed: per chunk of
// images it is one broadcast XNNPACK multiply of all taps' blocks with dy, XNNPACK average pools
// over each grid row (short float32 sums), and float64 sums of those row sums.
// Small outputs (2×2 to 4×4 positions, multiplier 1, no dilation: MobileNet's late stages) take
// another identity, one XNNPACK depthwise convolution with dy as the filter (see
// smallOutputFilterGradient), 1.5-5× faster there (interleaved timings in its comment).
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

/**
 * dW for small outputs: with images as channels, x `[H, W, N·C]` correlated with dy
 * `[Ho, Wo, N·C]` as a depthwise filter dilated by the stride gives `[Kh, Kw, N·C]`; summing the
 * images gives dW:
 *   dW[i, j, c] = Σ_n ( Σ_{ho,wo} x_pad[n, i + ho·sh, j + wo·sw, c] · dy[n, ho, wo, c] )
 * The input is cropped to the rows and columns the taps reach, so the padding is never negative.
 * Measured against the phase-grid path at batch 64, 1 thread (ms, phase grid / this):
 * 4×4 from 8×8 stride 2 with 192 channels 14.9 / 9.7; 4×4 with 384 channels 28.9 / 19.1;
 * 2×2 with 576 channels 6.0 / 1.2; 8×8 and larger or 1×1 outputs are slower this way.
 */
function smallOutputFilterGradient(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  info: tf.backend_util.Conv2DInfo,
): tf.Tensor {
  const [batch, height, width, channels] = x.shape;
  const { outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  const reachH = strideHeight * (outHeight - 1) + filterHeight - top;
  const reachW = strideWidth * (outWidth - 1) + filterWidth - left;
  const h = Math.min(height, reachH);
  const w = Math.min(width, reachW);
  const cropped = h < height || w < width ? tf.slice(x, [0, 0, 0, 0], [batch, h, w, channels]) : x;
  const input = tf.transpose(cropped, [1, 2, 0, 3]).reshape([1, h, w, batch * channels]) as tf.Tensor4D;
  const filter = tf
    .transpose(dy, [1, 2, 0, 3])
    .reshape([outHeight, outWidth, batch * channels, 1]) as tf.Tensor4D;
  const pad: [[number, number], [number, number], [number, number], [number, number]] = [
    [0, 0],
    [top, Math.max(0, reachH - height)],
    [left, Math.max(0, reachW - width)],
    [0, 0],
  ];
  const perImage = tf.depthwiseConv2d(input, filter, 1, pad, 'NHWC', [strideHeight, strideWidth]);
  return tf.sum(perImage.reshape([filterHeight, filterWidth, batch, channels]), 2).reshape(info.filterShape);
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
    const outPositions = info.outHeight * info.outWidth;
    if (
      multiplier === 1 &&
      info.dilationHeight === 1 &&
      info.dilationWidth === 1 &&
      outPositions >= 4 &&
      outPositions <= 16
    ) {
      return smallOutputFilterGradient(x, dy, info);
    }
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
