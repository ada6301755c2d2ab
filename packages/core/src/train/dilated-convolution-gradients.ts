// Yu & Koltun, "Multi-Scale Context Aggregation by Dilated Convolutions", ICLR 2016, §2: a convolution
// with dilation d is a convolution with the kernel spread out by d (zeros between taps), so its
// gradients are the ordinary backward convolutions of that spread kernel, the filter gradient read
// back at the taps. (TF.js 4.22's Conv2D and DepthwiseConv2dNative gradients assert on dilation > 1.)
import * as tf from '@tensorflow/tfjs';

type Pair = readonly [number, number];

/** One backward kernel, recorded on the tape (so its own gradient applies for second order). */
function runKernel(name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap): tf.Tensor {
  return tf.engine().runKernel(name, inputs, attrs) as tf.Tensor;
}

/** The shape of {@link spreadKernel}'s result. */
function spreadShape(kernel: tf.Tensor4D, [dh, dw]: Pair): [number, number, number, number] {
  const [kh, kw, ci, co] = kernel.shape;
  return [(kh - 1) * dh + 1, (kw - 1) * dw + 1, ci, co];
}

function pairOf(value: unknown): Pair {
  if (value == null) return [1, 1];
  if (typeof value === 'number') return [value, value];
  const [h, w] = value as number[];
  return [h as number, w as number];
}

/** `[kh, kw, …]` → `[(kh − 1)·dh + 1, (kw − 1)·dw + 1, …]` with zeros between the taps (differentiable). */
export function spreadKernel(kernel: tf.Tensor4D, dilation: Pair): tf.Tensor4D {
  let out: tf.Tensor = kernel;
  for (const axis of [0, 1] as const) {
    const d = dilation[axis];
    if (d === 1) continue;
    const shape = out.shape as [number, number, number, number];
    const k = shape[axis];
    // [.., k, ..] → [.., k, 1, ..] → pad to [.., k, d, ..] → [.., k·d, ..] → first (k − 1)·d + 1.
    const expanded = tf.expandDims(out, axis + 1);
    const paddings: Array<[number, number]> = [
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 0],
    ];
    paddings[axis + 1] = [0, d - 1];
    const merged = [...shape];
    merged[axis] = k * d;
    const spread = tf.reshape(tf.pad(expanded, paddings), merged);
    const size = [...shape];
    size[axis] = (k - 1) * d + 1;
    out = tf.slice(spread, [0, 0, 0, 0], size);
  }
  return out as tf.Tensor4D;
}

/** The taps of a spread kernel's gradient: the inverse of {@link spreadKernel}'s layout (differentiable). */
export function gatherTaps(spread: tf.Tensor4D, dilation: Pair): tf.Tensor4D {
  let out: tf.Tensor = spread;
  for (const axis of [0, 1] as const) {
    const d = dilation[axis];
    if (d === 1) continue;
    const shape = out.shape as [number, number, number, number];
    const k = (shape[axis] - 1) / d + 1;
    const paddings: Array<[number, number]> = [
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 0],
    ];
    paddings[axis] = [0, d - 1];
    const split = [...shape] as number[];
    split.splice(axis, 1, k, d);
    const grouped = tf.reshape(tf.pad(out, paddings), split);
    const size = [...split];
    size[axis + 1] = 1;
    const kept = [...shape];
    kept[axis] = k;
    out = tf.reshape(tf.slice(grouped, [0, 0, 0, 0, 0], size), kept);
  }
  return out as tf.Tensor4D;
}

/** Conv2D's gradient for every dilation (TF.js's own formulas when the dilation is 1). */
export const conv2dGradConfig: tf.GradConfig = {
  kernelName: 'Conv2D',
  inputsToSave: ['x', 'filter'],
  gradFunc: (upstream, saved, attrs) => {
    const dy = upstream as tf.Tensor4D;
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const { strides, pad, dataFormat, dimRoundingMode, dilations } = attrs as unknown as tf.Conv2DAttrs;
    const dilation = pairOf(dilations);
    const common = { strides, pad, dataFormat, dimRoundingMode };
    return {
      x: () =>
        runKernel('Conv2DBackpropInput', { dy, filter: spreadKernel(filter, dilation) }, {
          ...common,
          inputShape: x.shape,
        } as unknown as tf.NamedAttrMap),
      filter: () => {
        const shape = spreadShape(filter, dilation);
        const spread = runKernel('Conv2DBackpropFilter', { x, dy }, {
          ...common,
          filterShape: shape,
        } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
        return gatherTaps(spread, dilation);
      },
    };
  },
};

/** DepthwiseConv2dNative's gradient for every dilation (TF.js's own formulas when the dilation is 1). */
export const depthwiseConv2dNativeGradConfig: tf.GradConfig = {
  kernelName: 'DepthwiseConv2dNative',
  inputsToSave: ['x', 'filter'],
  gradFunc: (upstream, saved, attrs) => {
    const dy = upstream as tf.Tensor4D;
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const { strides, pad, dimRoundingMode, dilations } = attrs as unknown as tf.DepthwiseConv2dNativeAttrs;
    const dilation = pairOf(dilations);
    const common = { strides, pad, dimRoundingMode, dilations: [1, 1] };
    return {
      x: () =>
        runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: spreadKernel(filter, dilation) }, {
          ...common,
          inputShape: x.shape,
        } as unknown as tf.NamedAttrMap),
      filter: () => {
        const shape = spreadShape(filter, dilation);
        const spread = runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, {
          ...common,
          filterShape: shape,
        } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
        return gatherTaps(spread, dilation);
      },
    };
  },
};

const CONFIGS = [conv2dGradConfig, depthwiseConv2dNativeGradConfig];

/**
 * Registers gradients of `Conv2D` and `DepthwiseConv2dNative` that support dilation (TF.js 4.22's
 * assert on dilation > 1), so dilated convolutions — DARTS' `dil_conv` ops — train on every backend.
 * They are compositions of TF.js ops and backward kernels, so they differentiate again (second
 * order, given the backward kernels' own gradients, which `@automl-ts/meta-learning` registers).
 * Idempotent; `initBackend`, `import '@automl-ts/core/register'` and every dilated `Conv2d` call it.
 * Returns the kernels it registered on this call.
 *
 * @example
 * registerDilatedConvolutionGradients();
 * const g = tf.grad((w) => tf.sum(tf.conv2d(x, w, 1, 'same', 'NHWC', 2)))(w);
 */
export function registerDilatedConvolutionGradients(): string[] {
  const changed: string[] = [];
  for (const config of CONFIGS) {
    if (tf.getGradient(config.kernelName) === config) continue;
    tf.registerGradient(config);
    changed.push(config.kernelName);
  }
  return changed;
}
