// Conv2DBackpropInput for wasm (replaces wasm's scalar loop: 316 ms CPU for a 3×3 64×32×32×32
// layer there, about one forward convolution, ~30 ms, here). Identity (see SubPixelAxis):
//   dx[n, t_h - ph, t_w - pw, ci] with t = q*s + r
//     = Σ_{u,v,co} dy_pad[n, q_h + u, q_w + v, co] · W'[u, v, co, (r_h, r_w, ci)]
// where W' holds, per output phase r, the flipped sub-filter W[r + s*(taps-1-u)] with in/out
// channels swapped. That is one stride-1 XNNPACK convolution producing sh*sw phases per channel,
// followed by an interleave (depth-to-space) and a crop. For stride 1 it is the classic
// "full convolution of dy with the flipped, transposed filter".
import * as tf from '@tensorflow/tfjs';
import { errorFactory } from '../../internal/errors.js';
import { convAxes, type SubPixelAxis, subPixelAxis } from './conv-geometry.js';
import { cropForValidConv, forEachSubPixelTap, interleavePhases } from './sub-pixel.js';
import { asTensor, reframe } from './wasm-heap.js';

const KERNEL = 'Conv2DBackpropInput';
const fail = errorFactory(`@automl-ts/core/${KERNEL}`);

/** `[tapsH, tapsW, Cout, sh*sw*Cin]` sub-pixel filter from a `[Kh, Kw, Cin, Cout]` filter. */
function subPixelFilter(
  filter: Float32Array,
  inChannels: number,
  outChannels: number,
  filterWidth: number,
  rows: SubPixelAxis,
  cols: SubPixelAxis,
): tf.Tensor4D {
  const phases = rows.phases * cols.phases;
  const outWidth = phases * inChannels;
  const values = new Float32Array(rows.taps * cols.taps * outChannels * outWidth);
  forEachSubPixelTap(rows, cols, (u, v, phase, kh, kw) => {
    for (let ci = 0; ci < inChannels; ci++) {
      const src = ((kh * filterWidth + kw) * inChannels + ci) * outChannels;
      let dst = (u * cols.taps + v) * outChannels * outWidth + phase * inChannels + ci;
      for (let co = 0; co < outChannels; co++, dst += outWidth) values[dst] = filter[src + co] as number;
    }
  });
  return tf.tensor4d(values, [rows.taps, cols.taps, outChannels, outWidth]);
}

function conv2dBackpropInput(args: {
  inputs: tf.NamedTensorInfoMap;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs;
  if (dataFormat === 'NCHW') {
    throw fail('dataFormat "NCHW" is not supported by the wasm training kernels; use "NHWC"');
  }
  const { dy: dyInfo, filter: filterInfo } = args.inputs;
  if (dyInfo == null || filterInfo == null) throw fail('expected inputs dy and filter');
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filterInfo.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  if (!tf.util.arraysEqual(dyInfo.shape, info.outShape)) {
    throw fail(
      `dy has shape [${dyInfo.shape}], expected [${info.outShape}] for an input of shape [${inputShape}]`,
    );
  }
  const [rowAxis, colAxis] = convAxes(info);
  const rows = subPixelAxis(rowAxis);
  const cols = subPixelAxis(colAxis);
  return tf.tidy(() => {
    const dy = asTensor(dyInfo) as tf.Tensor4D;
    const filter = asTensor(filterInfo) as tf.Tensor4D;
    if (dy.size === 0 || filter.size === 0) return tf.zeros(inputShape);
    const weights = subPixelFilter(
      filter.dataSync() as Float32Array,
      info.inChannels,
      info.outChannels,
      info.filterWidth,
      rows,
      cols,
    );
    const valid = cropForValidConv(KERNEL, dy, rows, cols);
    if (valid === undefined) return tf.zeros(inputShape);
    const phases = tf.conv2d(valid.dy, weights, 1, valid.pad, 'NHWC', [rows.dilation, cols.dilation]);
    const interleaved = interleavePhases(phases, rows.phases, cols.phases);
    return reframe(KERNEL, interleaved, -rows.cropBefore, -rows.cropAfter, -cols.cropBefore, -cols.cropAfter);
  });
}

/** Conv2DBackpropInput (gradient of conv2d w.r.t. its input; conv2dTranspose) for the wasm backend, NHWC. */
export const conv2dBackpropInputConfig: tf.KernelConfig = {
  kernelName: KERNEL,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropInput as tf.KernelFunc,
};
