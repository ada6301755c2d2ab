// DepthwiseConv2dNativeBackpropInput for wasm. Identity (sub-pixel form, see SubPixelAxis):
//   dx[n, t_h - ph, t_w - pw, c] with t = q*s + r
//     = Σ_m Σ_{u,v} dy_pad[n, q_h + u*d_h', q_w + v*d_w', c*M + m] · W[kh(r_h, u), kw(r_w, v), c, m]
// i.e. one stride-1 XNNPACK depthwise convolution of dy with channel multiplier sh*sw (one output
// per phase), a sum over the channel multiplier M, an interleave of the phases and a crop. For
// stride 1 it is the depthwise convolution of dy with the flipped, dilated filter.
import * as tf from '@tensorflow/tfjs';
import { errorFactory } from '../../internal/errors.js';
import { convAxes, type SubPixelAxis, subPixelAxis } from './conv-geometry.js';
import { cropForValidConv, forEachSubPixelTap, interleavePhases } from './sub-pixel.js';
import { asTensor, reframe } from './wasm-heap.js';

const KERNEL = 'DepthwiseConv2dNativeBackpropInput';
const fail = errorFactory(`@automl-ts/core/${KERNEL}`);

/** `[tapsH, tapsW, C*M, sh*sw]` sub-pixel depthwise filter from a `[Kh, Kw, C, M]` filter. */
function subPixelDepthwiseFilter(
  filter: Float32Array,
  channels: number,
  multiplier: number,
  filterWidth: number,
  rows: SubPixelAxis,
  cols: SubPixelAxis,
): tf.Tensor4D {
  const phases = rows.phases * cols.phases;
  const depth = channels * multiplier;
  const values = new Float32Array(rows.taps * cols.taps * depth * phases);
  forEachSubPixelTap(rows, cols, (u, v, phase, kh, kw) => {
    const src = (kh * filterWidth + kw) * depth;
    const dst = (u * cols.taps + v) * depth * phases + phase;
    for (let k = 0; k < depth; k++) values[dst + k * phases] = filter[src + k] as number;
  });
  return tf.tensor4d(values, [rows.taps, cols.taps, depth, phases]);
}

function depthwiseConv2dNativeBackpropInput(args: {
  inputs: tf.NamedTensorInfoMap;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const { strides, dilations, pad, dimRoundingMode, inputShape } = attrs;
  const { dy: dyInfo, filter: filterInfo } = args.inputs;
  if (dyInfo == null || filterInfo == null) throw fail('expected inputs dy and filter');
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filterInfo.shape as [number, number, number, number],
    strides,
    dilations ?? 1,
    pad,
    dimRoundingMode,
    true,
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
  const channels = info.inChannels;
  const multiplier = info.outChannels / channels;
  const phaseCount = rows.phases * cols.phases;
  return tf.tidy(() => {
    const dy = asTensor(dyInfo) as tf.Tensor4D;
    const filter = asTensor(filterInfo) as tf.Tensor4D;
    if (dy.size === 0 || filter.size === 0) return tf.zeros(inputShape);
    const weights = subPixelDepthwiseFilter(
      filter.dataSync() as Float32Array,
      channels,
      multiplier,
      info.filterWidth,
      rows,
      cols,
    );
    const valid = cropForValidConv(KERNEL, dy, rows, cols);
    if (valid === undefined) return tf.zeros(inputShape);
    const out = tf.depthwiseConv2d(valid.dy, weights, 1, valid.pad, 'NHWC', [rows.dilation, cols.dilation]);
    const [batch, gridRows, gridCols] = out.shape;
    let phases = out;
    if (multiplier > 1 || phaseCount > 1) {
      // Channels come out as (c, m, phase); the interleave wants (phase, c) with m summed.
      const pixels = batch * gridRows * gridCols;
      let grouped: tf.Tensor =
        phaseCount > 1
          ? tf.transpose(out.reshape([pixels, channels, multiplier, phaseCount]), [0, 3, 1, 2])
          : out.reshape([pixels, channels, multiplier]);
      if (multiplier > 1) grouped = tf.sum(grouped, -1);
      phases = grouped.reshape([batch, gridRows, gridCols, phaseCount * channels]);
    }
    const interleaved = interleavePhases(phases, rows.phases, cols.phases);
    return reframe(KERNEL, interleaved, -rows.cropBefore, -rows.cropAfter, -cols.cropBefore, -cols.cropAfter);
  });
}

/** DepthwiseConv2dNativeBackpropInput (gradient of depthwiseConv2d w.r.t. its input) for the wasm backend. */
export const depthwiseConv2dNativeBackpropInputConfig: tf.KernelConfig = {
  kernelName: KERNEL,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInput as tf.KernelFunc,
};
