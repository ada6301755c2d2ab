import { AutomlError } from '../internal/errors.js';
import type { LayerSettings, LayerShape, SpatialPadding } from './types.js';

/** Output shape and cost of a layer, computed from its settings and input shapes. */
export interface LayerCost {
  readonly outputShape: LayerShape;
  readonly macs: number;
  readonly params: number;
}

/**
 * True for a depthwise conv: one group per input channel. A Keras `DepthwiseConv2D` (which
 * always has a `depthMultiplier`) stays depthwise even with a single input channel.
 */
export function isDepthwise(settings: LayerSettings): boolean {
  if (settings.op !== 'conv2d' || settings.groups === undefined || settings.groups !== settings.inChannels)
    return false;
  return settings.groups > 1 || settings.depthMultiplier !== undefined;
}

const product = (shape: LayerShape): number => shape.reduce((a, b) => a * b, 1);

function spatialOut(
  size: number,
  kernel: number,
  stride: number,
  dilation: number,
  padding: SpatialPadding,
  axis: 0 | 1,
) {
  const effective = (kernel - 1) * dilation + 1;
  if (padding === 'same') return Math.ceil(size / stride);
  if (padding === 'valid') return Math.floor((size - effective) / stride) + 1;
  const [before, after] = padding[axis];
  return Math.floor((size + before + after - effective) / stride) + 1;
}

/**
 * LayerShape inference and cost counting for one layer: what {@link NetworkGraph.atInputShape}
 * re-runs symbolically, without any tensor. Throws naming `layer` when the settings do not fit
 * the input shapes.
 */
export function inferLayer(
  source: string,
  layer: string,
  settings: LayerSettings,
  inputShapes: readonly LayerShape[],
): LayerCost {
  const fail = (message: string): AutomlError =>
    new AutomlError(source, `layer "${layer}" (${settings.op}): ${message}`);
  const first = inputShapes[0];
  if (settings.op === 'input') {
    if (first === undefined) throw fail('an input node needs its shape');
    return { outputShape: first, macs: 0, params: 0 };
  }
  if (first === undefined) throw fail('has no input');
  const single = (): LayerShape => {
    if (inputShapes.length !== 1) throw fail(`expects one input, got ${inputShapes.length}`);
    return first;
  };
  const channels = first[first.length - 1] ?? 0;
  const image = (): readonly [number, number, number] => {
    const shape = single();
    if (shape.length !== 3) throw fail(`expects an [H, W, C] input, got [${shape}]`);
    return shape as readonly [number, number, number];
  };
  const expectChannels = (expected: number | undefined, actual: number): void => {
    if (expected !== undefined && expected !== actual) {
      throw fail(`expects ${expected} input channels, got ${actual} (input shape [${first}])`);
    }
  };

  switch (settings.op) {
    case 'conv2d':
    case 'separableConv2d': {
      const [h, w, c] = image();
      expectChannels(settings.inChannels, c);
      const [kh, kw] = settings.kernelSize ?? [1, 1];
      const [sh, sw] = settings.strides ?? [1, 1];
      const [dh, dw] = settings.dilation ?? [1, 1];
      const padding = settings.padding ?? 'valid';
      const oh = spatialOut(h, kh, sh, dh, padding, 0);
      const ow = spatialOut(w, kw, sw, dw, padding, 1);
      if (oh < 1 || ow < 1) throw fail(`a ${kh}x${kw} kernel does not fit the input [${first}]`);
      const out = settings.outChannels;
      if (out === undefined) throw fail('has no outChannels');
      const bias = settings.useBias === true ? out : 0;
      if (settings.op === 'separableConv2d') {
        const mid = c * (settings.depthMultiplier ?? 1);
        return {
          outputShape: [oh, ow, out],
          macs: oh * ow * (mid * kh * kw + mid * out),
          params: kh * kw * mid + mid * out + bias,
        };
      }
      const groups = settings.groups ?? 1;
      if (c % groups !== 0 || out % groups !== 0) {
        throw fail(`groups = ${groups} must divide both ${c} input and ${out} output channels`);
      }
      const perGroup = (kh * kw * c) / groups;
      return { outputShape: [oh, ow, out], macs: oh * ow * out * perGroup, params: perGroup * out + bias };
    }
    case 'dense': {
      const shape = single();
      expectChannels(settings.inChannels, channels);
      const out = settings.outChannels;
      if (out === undefined) throw fail('has no outChannels');
      const rows = product(shape.slice(0, -1));
      return {
        outputShape: [...shape.slice(0, -1), out],
        macs: rows * channels * out,
        params: channels * out + (settings.useBias === true ? out : 0),
      };
    }
    case 'batchNorm': {
      const shape = single();
      const learned = (settings.center === false ? 0 : 1) + (settings.scale === false ? 0 : 1);
      return { outputShape: shape, macs: 0, params: learned * channels };
    }
    case 'activation':
    case 'dropout':
    case 'identity':
      return { outputShape: single(), macs: 0, params: 0 };
    case 'maxPool':
    case 'avgPool': {
      const [h, w, c] = image();
      const [kh, kw] = settings.kernelSize ?? [2, 2];
      const [sh, sw] = settings.strides ?? [kh, kw];
      const padding = settings.padding ?? 'valid';
      const oh = spatialOut(h, kh, sh, 1, padding, 0);
      const ow = spatialOut(w, kw, sw, 1, padding, 1);
      if (oh < 1 || ow < 1) throw fail(`a ${kh}x${kw} window does not fit the input [${first}]`);
      return { outputShape: [oh, ow, c], macs: 0, params: 0 };
    }
    case 'globalAvgPool':
    case 'globalMaxPool': {
      const [, , c] = image();
      return { outputShape: [c], macs: 0, params: 0 };
    }
    case 'flatten':
      return { outputShape: [product(single())], macs: 0, params: 0 };
    case 'pad': {
      const [h, w, c] = image();
      const [[top, bottom], [left, right], [before, after]] = settings.paddings ?? [
        [0, 0],
        [0, 0],
        [0, 0],
      ];
      const [sh, sw] = settings.strides ?? [1, 1];
      return {
        outputShape: [Math.ceil(h / sh) + top + bottom, Math.ceil(w / sw) + left + right, c + before + after],
        macs: 0,
        params: 0,
      };
    }
    case 'add':
    case 'mul': {
      // A one-input multiply scales by a constant (a supernet's `Zero` op); an add needs two.
      const fewest = settings.op === 'add' ? 2 : 1;
      if (inputShapes.length < fewest)
        throw fail(`expects at least ${fewest} inputs, got ${inputShapes.length}`);
      const out = broadcastShapes(inputShapes);
      if (out === undefined)
        throw fail(`input shapes ${inputShapes.map((s) => `[${s}]`).join(', ')} do not broadcast`);
      return { outputShape: out, macs: 0, params: 0 };
    }
    case 'concat': {
      const rank = first.length;
      for (const shape of inputShapes) {
        if (shape.length !== rank || shape.slice(0, -1).some((d, i) => d !== first[i])) {
          throw fail(
            `inputs must agree on all but the last axis, got ${inputShapes.map((s) => `[${s}]`).join(', ')}`,
          );
        }
      }
      const total = inputShapes.reduce((sum, s) => sum + (s[rank - 1] ?? 0), 0);
      return { outputShape: [...first.slice(0, -1), total], macs: 0, params: 0 };
    }
  }
}

function broadcastShapes(shapes: readonly LayerShape[]): LayerShape | undefined {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let axis = 0; axis < rank; axis++) {
    let size = 1;
    for (const shape of shapes) {
      const d = shape[shape.length - rank + axis] ?? 1;
      if (d === 1) continue;
      if (size !== 1 && size !== d) return undefined;
      size = d;
    }
    out.push(size);
  }
  return out;
}
