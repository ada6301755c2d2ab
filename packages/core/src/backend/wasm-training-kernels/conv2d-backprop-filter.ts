// Conv2DBackpropFilter for wasm. Identity:
//   dW[i, j, ci, co] = Σ_{n,ho,wo} x_pad[n, ho*sh + i, wo*sw + j, ci] · dy[n, ho, wo, co]
//                    = (A · B)[(i, j, ci), co]
// with B = dy embedded in the phase grid ([positions, Cout]) and A the per-tap shifted rows of the
// channel-major input planes ([Kh*Kw*Cin, positions]). A·B is one XNNPACK fully-connected product
// (wasm's fast matMul path: no transposes, batch 1) per chunk of images; a 1x1 stride-1 unpadded
// convolution degenerates to dW = xᵀ · dy.
import * as tf from '@tensorflow/tfjs';
import { errorFactory } from '../../internal/errors.js';
import { convAxes, phaseGridAxis } from './conv-geometry.js';
import {
  channelMajorPlanes,
  gridRows,
  imageChunks,
  positionsPerImage,
  shiftedTapRows,
  sumPartials,
} from './phase-grid.js';
import { asTensor } from './wasm-heap.js';

const KERNEL = 'Conv2DBackpropFilter';
const fail = errorFactory(`@automl-ts/core/${KERNEL}`);

function conv2dBackpropFilter(args: {
  inputs: tf.NamedTensorInfoMap;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  if (dataFormat === 'NCHW') {
    throw fail('dataFormat "NCHW" is not supported by the wasm training kernels; use "NHWC"');
  }
  const { x: xInfo, dy: dyInfo } = args.inputs;
  if (xInfo == null || dyInfo == null) throw fail('expected inputs x and dy');
  const info = tf.backend_util.computeConv2DInfo(
    xInfo.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  if (!tf.util.arraysEqual(dyInfo.shape, info.outShape)) {
    throw fail(`dy has shape [${dyInfo.shape}], expected [${info.outShape}] for x [${xInfo.shape}]`);
  }
  const [rowAxis, colAxis] = convAxes(info);
  const rows = phaseGridAxis(rowAxis);
  const cols = phaseGridAxis(colAxis);
  const { batchSize, inChannels, outChannels } = info;
  return tf.tidy(() => {
    const x = asTensor(xInfo) as tf.Tensor4D;
    const dy = asTensor(dyInfo) as tf.Tensor4D;
    if (dy.size === 0 || x.size === 0) return tf.zeros(filterShape);
    const planes = channelMajorPlanes(KERNEL, x, rows, cols);
    const tapRows = info.filterHeight * info.filterWidth * inChannels;
    const partials = imageChunks(batchSize, positionsPerImage(rows, cols), tapRows).map((images) =>
      tf.matMul(
        shiftedTapRows(KERNEL, planes, inChannels, rows, cols, images),
        gridRows(KERNEL, dy, cols, images),
      ),
    );
    return sumPartials(partials, [info.filterHeight, info.filterWidth, inChannels, outChannels]);
  });
}

/** Conv2DBackpropFilter (gradient of conv2d w.r.t. its filter) for the wasm backend, NHWC. */
export const conv2dBackpropFilterConfig: tf.KernelConfig = {
  kernelName: KERNEL,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter as tf.KernelFunc,
};
