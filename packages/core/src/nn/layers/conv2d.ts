import * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../../internal/errors.js';
import type { Rng } from '../../random/rng.js';
import { registerDilatedConvolutionGradients } from '../../train/dilated-convolution-gradients.js';
import type { ApplyContext } from '../module.js';
import { Module } from '../module.js';
import type { WeightInit } from './initializers.js';
import { initWeight } from './initializers.js';
import {
  arraysEqual,
  type ChannelSelection,
  checkIndices,
  checkInput,
  checkInteger,
  checkPair,
  checkWeightShape,
  copyVariable,
  emitTrace,
  gatherAxis,
} from './layer-utils.js';

/**
 * Spatial padding: TF's `'same'` (output size ⌈in / stride⌉; an odd total pad puts the extra row
 * and column at the bottom and right), `'valid'` (none), or explicit `[[top, bottom], [left, right]]`.
 */
export type Padding2d = 'same' | 'valid' | readonly [readonly [number, number], readonly [number, number]];

/** Options of {@link Conv2d}. */
export interface Conv2dOptions {
  /** Input channels (last axis of the NHWC input). */
  inChannels: number;
  /** Output channels. For a depthwise conv, `inChannels × channel multiplier`. */
  outChannels: number;
  /** Kernel height and width. */
  kernelSize: number | readonly [number, number];
  /** @default 1 */
  strides?: number | readonly [number, number];
  /** @default 'same' */
  padding?: Padding2d;
  /** Dilation rate; TF.js needs strides 1 when it is above 1. @default 1 */
  dilation?: number | readonly [number, number];
  /**
   * Channel groups: input and output channels split into `groups` equal parts, each output part
   * seeing only its input part. `groups === inChannels` is a depthwise conv (channel multiplier
   * `outChannels / inChannels`).
   * @default 1
   */
  groups?: number;
  /** @default true */
  useBias?: boolean;
  /** @default 'heNormal' */
  init?: WeightInit;
  /** Seed or rng for the initial kernel. @default TF.js's global (unseeded) generator */
  seed?: number | string | Rng;
}

/** Initial values for {@link Conv2d} (copied; the caller keeps ownership). */
export interface Conv2dWeights {
  /** Shape `[kh, kw, inChannels / groups, outChannels]`. */
  kernel: tf.Tensor;
  /** Shape `[outChannels]`; zeros when omitted. */
  bias?: tf.Tensor;
}

/** The JSON form of a {@link Conv2d} (see {@link Conv2d.getConfig}). */
export type Conv2dConfig = {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: 'same' | 'valid' | readonly [readonly [number, number], readonly [number, number]];
  readonly dilation: readonly [number, number];
  readonly groups: number;
  readonly useBias: boolean;
};

const SOURCE = '@automl-ts/core/Conv2d';

/**
 * 2-D convolution over NHWC inputs, with groups (including depthwise with a channel multiplier),
 * strides, dilation and same/valid/explicit padding.
 *
 * Variables: `kernel` of shape `[kh, kw, inChannels / groups, outChannels]` (TF's `conv2d`
 * layout, Keras' layout for grouped convs) and `bias` `[outChannels]` when `useBias`. Output
 * channel `o` belongs to group `⌊o / (outChannels / groups)⌋`. For a depthwise conv the kernel is
 * `[kh, kw, 1, inChannels × m]`; reshaping it to `[kh, kw, inChannels, m]` gives TF's
 * `depthwiseConv2d` filter (output `c·m + j` reads input `c`).
 *
 * @example
 * const conv = new Conv2d({ inChannels: 3, outChannels: 16, kernelSize: 3, useBias: false, seed: 1 });
 * const y = conv.apply(tf.zeros([2, 32, 32, 3])); // [2, 32, 32, 16]
 * const dw = new Conv2d({ inChannels: 16, outChannels: 16, kernelSize: 3, groups: 16, strides: 2 });
 */
export class Conv2d extends Module {
  static override readonly className: string = 'Conv2d';

  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: Padding2d;
  readonly dilation: readonly [number, number];
  readonly groups: number;
  readonly useBias: boolean;

  constructor(options: Conv2dOptions, initial?: Conv2dWeights) {
    super();
    this.inChannels = checkInteger(SOURCE, 'inChannels', options?.inChannels);
    this.outChannels = checkInteger(SOURCE, 'outChannels', options.outChannels);
    this.kernelSize = checkPair(SOURCE, 'kernelSize', options.kernelSize, Number.NaN);
    this.strides = checkPair(SOURCE, 'strides', options.strides, 1);
    this.dilation = checkPair(SOURCE, 'dilation', options.dilation, 1);
    this.groups = checkInteger(SOURCE, 'groups', options.groups ?? 1);
    this.useBias = options.useBias ?? true;
    this.padding = checkPadding(options.padding ?? 'same');
    if (this.inChannels % this.groups !== 0 || this.outChannels % this.groups !== 0) {
      throw new AutomlError(
        SOURCE,
        `groups ${this.groups} must divide inChannels ${this.inChannels} and outChannels ${this.outChannels}`,
      );
    }
    if (Math.max(...this.strides) > 1 && Math.max(...this.dilation) > 1) {
      throw new AutomlError(
        SOURCE,
        `strides [${this.strides}] and dilation [${this.dilation}] cannot both exceed 1 (TF.js conv2d)`,
      );
    }
    // TF.js 4.22's conv gradients assert on dilation > 1: make this layer trainable.
    if (Math.max(...this.dilation) > 1) registerDilatedConvolutionGradients();
    const [kh, kw] = this.kernelSize;
    const kernelShape = [kh, kw, this.inChannels / this.groups, this.outChannels];
    if (initial === undefined) {
      const fanIn = kh * kw * (this.inChannels / this.groups);
      const fanOut = kh * kw * (this.outChannels / this.groups);
      this.addVariable(
        'kernel',
        initWeight(kernelShape, options.init ?? 'heNormal', fanIn, fanOut, options.seed),
      );
      if (this.useBias) this.addVariable('bias', tf.zeros([this.outChannels]));
      return;
    }
    checkWeightShape(SOURCE, 'kernel', initial.kernel, kernelShape);
    this.addVariable('kernel', tf.clone(initial.kernel));
    if (this.useBias) {
      if (initial.bias !== undefined) checkWeightShape(SOURCE, 'bias', initial.bias, [this.outChannels]);
      this.addVariable(
        'bias',
        initial.bias === undefined ? tf.zeros([this.outChannels]) : tf.clone(initial.bias),
      );
    } else if (initial.bias !== undefined) {
      throw new AutomlError(SOURCE, 'a bias was given but useBias is false');
    }
  }

  /** True for a depthwise conv: one group per input channel (and more than one channel). */
  get isDepthwise(): boolean {
    return this.groups > 1 && this.groups === this.inChannels;
  }

  /** Output channels per group; the channel multiplier of a depthwise conv. */
  get outChannelsPerGroup(): number {
    return this.outChannels / this.groups;
  }

  override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    checkInput(`${SOURCE}.forward (${this.path || 'root'})`, x, [4], this.inChannels, 'NHWC');
    const kernel = this.param('kernel', ctx);
    const [kh, kw] = this.kernelSize;
    let input = x as tf.Tensor4D;
    let pad: 'same' | 'valid';
    if (typeof this.padding === 'string') {
      pad = this.padding;
    } else {
      const [[top, bottom], [left, right]] = this.padding;
      input = tf.pad(input, [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ]);
      pad = 'valid';
    }
    const strides = this.strides as [number, number];
    const dilation = this.dilation as [number, number];
    let y: tf.Tensor;
    if (this.groups === 1) {
      y = tf.conv2d(input, kernel as tf.Tensor4D, strides, pad, 'NHWC', dilation);
    } else if (this.isDepthwise) {
      const filter = tf.reshape(kernel, [kh, kw, this.inChannels, this.outChannelsPerGroup]) as tf.Tensor4D;
      y = tf.depthwiseConv2d(input, filter, strides, pad, 'NHWC', dilation);
    } else {
      const inputs = tf.split(input, this.groups, 3) as tf.Tensor4D[];
      const kernels = tf.split(kernel, this.groups, 3) as tf.Tensor4D[];
      y = tf.concat(
        inputs.map((part, g) => tf.conv2d(part, kernels[g] as tf.Tensor4D, strides, pad, 'NHWC', dilation)),
        3,
      );
    }
    if (this.useBias) y = tf.add(y, this.param('bias', ctx));
    emitTrace(ctx, this, 'conv2d', [x], y, this.#traceAttrs());
    return y;
  }

  /** Plain JSON enough to rebuild the layer (weights are separate). */
  getConfig(): Conv2dConfig {
    return {
      inChannels: this.inChannels,
      outChannels: this.outChannels,
      kernelSize: [...this.kernelSize] as [number, number],
      strides: [...this.strides] as [number, number],
      padding: clonePadding(this.padding),
      dilation: [...this.dilation] as [number, number],
      groups: this.groups,
      useBias: this.useBias,
    };
  }

  /** Rebuilds a layer from {@link Conv2d.getConfig} (fresh weights, or `initial`). */
  static fromConfig(config: Conv2dConfig, initial?: Conv2dWeights): Conv2d {
    return new Conv2d(config, initial);
  }

  /** A deep copy: same config, new variables holding the same values. */
  clone(): Conv2d {
    return this.#rebuild(this.inChannels, this.outChannels, this.groups, copyVariable(this, 'kernel'));
  }

  /**
   * A new conv keeping only some input and/or output channels (for channel pruning). Indices are
   * strictly ascending; omitted means all.
   *
   * - Standard conv (`groups === 1`): inputs and outputs are independent.
   * - Depthwise (`groups === inChannels`, multiplier m): they are coupled. Keeping input `c` keeps
   *   outputs `c·m … c·m + m − 1`. Give `inputs` (outputs follow) or `outputs` made of whole groups
   *   (inputs follow), or both if consistent. The result is depthwise over the kept channels.
   * - Grouped (`1 < groups < inChannels`): `groups` is kept, so every group must keep the same
   *   number of inputs and the same number of outputs (which ones may differ per group).
   */
  withChannels(selection: ChannelSelection): Conv2d {
    const source = `${SOURCE}.withChannels${this.path === '' ? '' : ` (${this.path})`}`;
    const inputs =
      selection?.inputs === undefined
        ? undefined
        : checkIndices(source, 'inputs', selection.inputs, this.inChannels);
    const outputs =
      selection.outputs === undefined
        ? undefined
        : checkIndices(source, 'outputs', selection.outputs, this.outChannels);
    if (this.groups === 1) {
      const keptIn = inputs ?? range(this.inChannels);
      const keptOut = outputs ?? range(this.outChannels);
      const kernel = tf.tidy(() => gatherAxis(gatherAxis(this.variable('kernel'), keptIn, 2), keptOut, 3));
      return this.#rebuild(keptIn.length, keptOut.length, 1, kernel, keptOut);
    }
    if (this.isDepthwise) {
      const m = this.outChannelsPerGroup;
      const fromInputs = inputs?.flatMap((c) => range(m).map((j) => c * m + j));
      let keptOut = fromInputs ?? outputs ?? range(this.outChannels);
      if (fromInputs !== undefined && outputs !== undefined && !arraysEqual(fromInputs, outputs)) {
        throw new AutomlError(
          source,
          `outputs ${describeValue(outputs)} do not match inputs ${describeValue(inputs)} of a depthwise conv with channel multiplier ${m} (expected ${describeValue(fromInputs)})`,
        );
      }
      if (fromInputs === undefined && outputs !== undefined) {
        const groups = [...new Set(outputs.map((o) => Math.floor(o / m)))];
        const whole = groups.flatMap((c) => range(m).map((j) => c * m + j));
        if (!arraysEqual(whole, outputs)) {
          throw new AutomlError(
            source,
            `outputs ${describeValue(outputs)} of a depthwise conv with channel multiplier ${m} must keep whole groups of ${m}`,
          );
        }
        keptOut = outputs;
      }
      const keptIn = inputs ?? [...new Set(keptOut.map((o) => Math.floor(o / m)))];
      const kernel = gatherAxis(this.variable('kernel'), keptOut, 3);
      return this.#rebuild(keptIn.length, keptOut.length, keptIn.length, kernel, keptOut);
    }
    const inPerGroup = this.inChannels / this.groups;
    const outPerGroup = this.outChannelsPerGroup;
    const inByGroup = splitByGroup(
      source,
      'inputs',
      inputs ?? range(this.inChannels),
      inPerGroup,
      this.groups,
    );
    const outByGroup = splitByGroup(
      source,
      'outputs',
      outputs ?? range(this.outChannels),
      outPerGroup,
      this.groups,
    );
    const kernel = tf.tidy(() => {
      const kernelVar = this.variable('kernel');
      const parts = outByGroup.map((outLocal, g) => {
        const outGlobal = outLocal.map((o) => g * outPerGroup + o);
        return gatherAxis(gatherAxis(kernelVar, outGlobal, 3), inByGroup[g] as number[], 2);
      });
      return tf.concat(parts, 3);
    });
    const keptOut = outByGroup.flatMap((outLocal, g) => outLocal.map((o) => g * outPerGroup + o));
    const newIn = (inByGroup[0] as number[]).length * this.groups;
    return this.#rebuild(newIn, keptOut.length, this.groups, kernel, keptOut);
  }

  #rebuild(
    inChannels: number,
    outChannels: number,
    groups: number,
    kernel: tf.Tensor,
    keptOut?: number[],
  ): Conv2d {
    const bias = !this.useBias
      ? undefined
      : keptOut === undefined
        ? copyVariable(this, 'bias')
        : gatherAxis(this.variable('bias'), keptOut, 0);
    try {
      return new Conv2d(
        { ...this.getConfig(), inChannels, outChannels, groups },
        bias === undefined ? { kernel } : { kernel, bias },
      );
    } finally {
      kernel.dispose();
      bias?.dispose();
    }
  }

  #traceAttrs(): Record<string, unknown> {
    return {
      kernelSize: [...this.kernelSize],
      strides: [...this.strides],
      padding: clonePadding(this.padding),
      dilation: [...this.dilation],
      groups: this.groups,
      inChannels: this.inChannels,
      outChannels: this.outChannels,
      useBias: this.useBias,
    };
  }
}

function checkPadding(padding: unknown): Padding2d {
  if (padding === 'same' || padding === 'valid') return padding;
  const ok =
    Array.isArray(padding) &&
    padding.length === 2 &&
    padding.every(
      (p: unknown) =>
        Array.isArray(p) &&
        p.length === 2 &&
        p.every((v: unknown) => Number.isInteger(v) && (v as number) >= 0),
    );
  if (!ok) {
    throw new AutomlError(
      SOURCE,
      `padding must be 'same', 'valid' or [[top, bottom], [left, right]] with integers >= 0, got ${describeValue(padding)}`,
    );
  }
  return clonePadding(padding as unknown as Padding2d);
}

function clonePadding(
  padding: Padding2d,
): 'same' | 'valid' | readonly [readonly [number, number], readonly [number, number]] {
  if (typeof padding === 'string') return padding;
  return [
    [padding[0][0], padding[0][1]],
    [padding[1][0], padding[1][1]],
  ];
}

function splitByGroup(
  source: string,
  what: string,
  indices: readonly number[],
  perGroup: number,
  groups: number,
): number[][] {
  const byGroup: number[][] = Array.from({ length: groups }, () => []);
  for (const index of indices) (byGroup[Math.floor(index / perGroup)] as number[]).push(index % perGroup);
  const counts = byGroup.map((g) => g.length);
  if (counts.some((c) => c !== counts[0]) || counts[0] === 0) {
    throw new AutomlError(
      source,
      `${what} must keep the same non-zero number of channels in each of the ${groups} groups of ${perGroup}, got counts [${counts}]`,
    );
  }
  return byGroup;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
