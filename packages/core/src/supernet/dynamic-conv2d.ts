// Cai et al., "Once-for-All: Train One Network and Specialize it for Efficient Deployment", ICLR 2020,
// §3.2: elastic kernel size (centre crop of the largest kernel, optionally through learned kernel
// transformation matrices shared by all channels) and elastic width (the first active channels).
import * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../internal/errors.js';
import { Conv2d } from '../nn/layers/conv2d.js';
import type { WeightInit } from '../nn/layers/initializers.js';
import { initWeight } from '../nn/layers/initializers.js';
import { checkInput, checkInteger, emitTrace } from '../nn/layers/layer-utils.js';
import { type ApplyContext, type ArchValues, Module, resolveApplyOptions } from '../nn/module.js';
import type { Rng } from '../random/rng.js';
import type { Choice } from '../search-space/choices.js';
import type { DeclaresChoices, ExtractionContext, SubnetExtractable } from './extraction.js';
import { checkRule, choicesOfRule, resolveSize, type SizeRule } from './size-rule.js';
import { checkPermutation, copyVariablesInto, permuteVariable } from './variable-utils.js';

/** Options of {@link DynamicConv2d}. */
export interface DynamicConv2dOptions {
  /** Largest input width; the active width is the input's last axis. */
  maxInChannels: number;
  /** Largest output width (for a depthwise conv it must equal `maxInChannels`). */
  maxOutChannels: number;
  /** Kernel sizes the layer supports, odd; the largest is stored and the others are cut from it. */
  kernelSizes: readonly number[];
  /** Active kernel size. @default the largest of `kernelSizes` */
  kernelSize?: SizeRule;
  /**
   * Active output width. Not allowed for a depthwise conv, whose width follows its input.
   * @default maxOutChannels
   */
  outChannels?: SizeRule;
  /** One filter per channel (`groups = channels`, multiplier 1). @default false */
  depthwise?: boolean;
  /** @default 1 */
  strides?: number;
  /** @default false */
  useBias?: boolean;
  /**
   * Learn OFA's kernel transformation matrices: a smaller kernel is `M · centre(larger kernel)`,
   * one `k²×k²` matrix per adjacent pair of sizes, shared by all channels, initialised to the
   * identity (so training starts from a plain centre crop).
   * @default false
   */
  transformKernels?: boolean;
  /** Further choices a function rule reads, declared to the supernet's search space. */
  choices?: readonly Choice[];
  /** @default 'heNormal' */
  init?: WeightInit;
  /** Seed or rng for the initial kernel. */
  seed?: number | string | Rng;
}

const SOURCE = '@automl-ts/core/DynamicConv2d';

/**
 * A weight-sharing convolution: one kernel of the largest size and width, of which each call uses
 * the first active input channels (those of its input), the first active output filters, and the
 * centred active kernel size. `'same'` padding, so every kernel size gives the same output size.
 *
 * Variables: `kernel` `[K, K, maxIn, maxOut]` (`[K, K, 1, channels]` when depthwise, `Conv2d`'s
 * layout), `bias` `[maxOut]` when `useBias`, and `transform<K>to<k>` `[k², k²]` per kernel-size
 * step with `transformKernels`.
 *
 * @example
 * const conv = new DynamicConv2d({
 *   maxInChannels: 16, maxOutChannels: 32, kernelSizes: [3, 5, 7],
 *   kernelSize: categorical('b0.kernel', [3, 5, 7]), outChannels: categorical('b0.width', [16, 24, 32]),
 * });
 * conv.apply(x16, { arch: { 'b0.kernel': 5, 'b0.width': 24 } }); // [n, h, w, 24] from a 5×5 crop
 */
export class DynamicConv2d extends Module implements SubnetExtractable, DeclaresChoices {
  static override readonly className: string = 'DynamicConv2d';

  readonly maxInChannels: number;
  readonly maxOutChannels: number;
  readonly kernelSizes: readonly number[];
  readonly maxKernelSize: number;
  readonly depthwise: boolean;
  readonly strides: number;
  readonly useBias: boolean;
  readonly transformKernels: boolean;
  readonly kernelSizeRule: SizeRule;
  readonly outChannelsRule: SizeRule | undefined;
  readonly #extraChoices: readonly Choice[];

  constructor(options: DynamicConv2dOptions) {
    super();
    this.maxInChannels = checkInteger(SOURCE, 'maxInChannels', options?.maxInChannels);
    this.maxOutChannels = checkInteger(SOURCE, 'maxOutChannels', options.maxOutChannels);
    this.depthwise = options.depthwise ?? false;
    this.strides = checkInteger(SOURCE, 'strides', options.strides ?? 1);
    this.useBias = options.useBias ?? false;
    this.transformKernels = options.transformKernels ?? false;
    const sizes = options.kernelSizes;
    if (
      !Array.isArray(sizes) ||
      sizes.length === 0 ||
      !sizes.every((k) => Number.isInteger(k) && k >= 1 && k % 2 === 1) ||
      new Set(sizes).size !== sizes.length
    ) {
      throw new AutomlError(
        SOURCE,
        `kernelSizes must be distinct odd integers >= 1, got ${describeValue(sizes)}`,
      );
    }
    this.kernelSizes = [...sizes].sort((a, b) => a - b);
    this.maxKernelSize = this.kernelSizes[this.kernelSizes.length - 1] as number;
    this.kernelSizeRule = options.kernelSize ?? this.maxKernelSize;
    checkRule(SOURCE, 'kernelSize', this.kernelSizeRule, this.maxKernelSize, this.kernelSizes);
    if (this.depthwise) {
      if (this.maxOutChannels !== this.maxInChannels) {
        throw new AutomlError(
          SOURCE,
          `a depthwise conv has as many outputs as inputs; got maxInChannels ${this.maxInChannels}, maxOutChannels ${this.maxOutChannels}`,
        );
      }
      if (options.outChannels !== undefined) {
        throw new AutomlError(
          SOURCE,
          'a depthwise conv takes its width from its input; do not give outChannels',
        );
      }
      this.outChannelsRule = undefined;
    } else {
      this.outChannelsRule = options.outChannels ?? this.maxOutChannels;
      checkRule(SOURCE, 'outChannels', this.outChannelsRule, this.maxOutChannels);
    }
    this.#extraChoices = [...(options.choices ?? [])];

    const K = this.maxKernelSize;
    const inPerFilter = this.depthwise ? 1 : this.maxInChannels;
    const fanIn = K * K * inPerFilter;
    const fanOut = K * K * (this.depthwise ? 1 : this.maxOutChannels);
    this.addVariable(
      'kernel',
      initWeight(
        [K, K, inPerFilter, this.maxOutChannels],
        options.init ?? 'heNormal',
        fanIn,
        fanOut,
        options.seed,
      ),
    );
    if (this.useBias) this.addVariable('bias', tf.zeros([this.maxOutChannels]));
    if (this.transformKernels) {
      for (let i = this.kernelSizes.length - 1; i > 0; i--) {
        const target = this.kernelSizes[i - 1] as number;
        this.addVariable(transformName(this.kernelSizes[i] as number, target), tf.eye(target * target));
      }
    }
  }

  searchChoices(): readonly Choice[] {
    return [
      ...choicesOfRule(this.kernelSizeRule),
      ...choicesOfRule(this.outChannelsRule),
      ...this.#extraChoices,
    ];
  }

  /** The active kernel size and output width for an architecture and input width. */
  activeConfig(
    arch: ArchValues | undefined,
    inChannels: number,
  ): { kernelSize: number; outChannels: number } {
    const source = this.#source('forward');
    if (!Number.isInteger(inChannels) || inChannels < 1 || inChannels > this.maxInChannels) {
      throw new AutomlError(
        source,
        `input has ${inChannels} channels; this layer takes 1 to ${this.maxInChannels}`,
      );
    }
    const kernelSize = resolveSize(
      this.kernelSizeRule,
      arch,
      inChannels,
      source,
      'kernelSize',
      this.maxKernelSize,
    );
    if (!this.kernelSizes.includes(kernelSize)) {
      throw new AutomlError(source, `kernelSize ${kernelSize} is not one of ${this.kernelSizes.join(', ')}`);
    }
    const outChannels =
      this.outChannelsRule === undefined
        ? inChannels
        : resolveSize(this.outChannelsRule, arch, inChannels, source, 'outChannels', this.maxOutChannels);
    return { kernelSize, outChannels };
  }

  /**
   * The active kernel in `Conv2d`'s layout (`[k, k, in, out]`, or `[k, k, 1, channels]` when
   * depthwise): the first channels, centre-cropped (and transformed) to `kernelSize`.
   */
  activeKernel(ctx: ApplyContext, inChannels: number, outChannels: number, kernelSize: number): tf.Tensor {
    const full = this.param('kernel', ctx);
    const K = this.maxKernelSize;
    const inSlice = this.depthwise ? 1 : inChannels;
    if (!this.transformKernels || kernelSize === K) {
      if (kernelSize === K && inSlice === full.shape[2] && outChannels === full.shape[3]) return full;
      const start = (K - kernelSize) / 2;
      return tf.slice(full, [start, start, 0, 0], [kernelSize, kernelSize, inSlice, outChannels]);
    }
    let kernel =
      inSlice === full.shape[2] && outChannels === full.shape[3]
        ? full
        : tf.slice(full, [0, 0, 0, 0], [K, K, inSlice, outChannels]);
    // Step down one size at a time, as OFA does: crop the centre, then mix its k² taps with M.
    for (let i = this.kernelSizes.length - 1; i > 0; i--) {
      const source = this.kernelSizes[i] as number;
      if (source <= kernelSize) break;
      const target = this.kernelSizes[i - 1] as number;
      const start = (source - target) / 2;
      const cropped = tf.slice(kernel, [start, start, 0, 0], [target, target, inSlice, outChannels]);
      const matrix = this.param(transformName(source, target), ctx) as tf.Tensor2D;
      const taps = tf.reshape(cropped, [target * target, inSlice * outChannels]) as tf.Tensor2D;
      kernel = tf.reshape(tf.matMul(matrix, taps), [target, target, inSlice, outChannels]);
    }
    return kernel;
  }

  override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    checkInput(this.#source('forward'), x, [4], undefined, 'NHWC');
    const inChannels = x.shape[3] as number;
    const { kernelSize, outChannels } = this.activeConfig(ctx.arch, inChannels);
    const kernel = this.activeKernel(ctx, inChannels, outChannels, kernelSize);
    const strides: [number, number] = [this.strides, this.strides];
    let y: tf.Tensor4D;
    if (this.depthwise) {
      const filter = tf.reshape(kernel, [kernelSize, kernelSize, inChannels, 1]) as tf.Tensor4D;
      y = tf.depthwiseConv2d(x as tf.Tensor4D, filter, strides, 'same');
    } else {
      y = tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, strides, 'same');
    }
    if (this.useBias) {
      const bias = this.param('bias', ctx);
      y = tf.add(y, outChannels === this.maxOutChannels ? bias : tf.slice(bias, 0, outChannels));
    }
    emitTrace(ctx, this, 'conv2d', [x], y, {
      kernelSize: [kernelSize, kernelSize],
      strides,
      padding: 'same',
      dilation: [1, 1],
      groups: this.depthwise ? inChannels : 1,
      inChannels,
      outChannels,
      useBias: this.useBias,
    });
    return y;
  }

  /** A plain {@link Conv2d} with the active kernel (and bias) copied. */
  extractSubnet(ctx: ExtractionContext): Conv2d {
    const inChannels = ctx.inputShape(this)[3] as number;
    const { kernelSize, outChannels } = this.activeConfig(ctx.arch, inChannels);
    const weights = tf.tidy(() => {
      const kernel = tf.clone(this.activeKernel(resolveApplyOptions(), inChannels, outChannels, kernelSize));
      const bias = this.useBias ? tf.slice(this.variable('bias'), 0, outChannels) : undefined;
      return bias === undefined ? { kernel } : { kernel, bias };
    });
    try {
      return new Conv2d(
        {
          inChannels,
          outChannels,
          kernelSize,
          strides: this.strides,
          padding: 'same',
          groups: this.depthwise ? inChannels : 1,
          useBias: this.useBias,
        },
        weights,
      );
    } finally {
      tf.dispose([weights.kernel, weights.bias]);
    }
  }

  /**
   * Reorders output filters in place (`order[i]` is the old index of new filter `i`). A depthwise
   * conv's inputs move with its outputs.
   */
  permuteOutputs(order: readonly number[]): void {
    checkPermutation(this.#source('permuteOutputs'), order, this.maxOutChannels);
    permuteVariable(this.variable('kernel'), order, 3);
    if (this.useBias) permuteVariable(this.variable('bias'), order, 0);
  }

  /** Reorders input channels in place (`order[i]` is the old index of new channel `i`). */
  permuteInputs(order: readonly number[]): void {
    if (this.depthwise) {
      this.permuteOutputs(order);
      return;
    }
    checkPermutation(this.#source('permuteInputs'), order, this.maxInChannels);
    permuteVariable(this.variable('kernel'), order, 2);
  }

  /** L1 norm of each output filter of the largest kernel, `[maxOut]` (OFA's channel importance). */
  filterImportance(): tf.Tensor1D {
    return tf.tidy(() => tf.sum(tf.abs(this.variable('kernel')), [0, 1, 2]) as tf.Tensor1D);
  }

  /** A deep copy: same options, variables holding the same values. */
  clone(): DynamicConv2d {
    const copy = new DynamicConv2d({
      maxInChannels: this.maxInChannels,
      maxOutChannels: this.maxOutChannels,
      kernelSizes: this.kernelSizes,
      kernelSize: this.kernelSizeRule,
      ...(this.outChannelsRule === undefined ? {} : { outChannels: this.outChannelsRule }),
      depthwise: this.depthwise,
      strides: this.strides,
      useBias: this.useBias,
      transformKernels: this.transformKernels,
      choices: this.#extraChoices,
      seed: 0,
    });
    copyVariablesInto(this, copy);
    return copy;
  }

  #source(method: string): string {
    return `${SOURCE}.${method}${this.path === '' ? '' : ` (${this.path})`}`;
  }
}

function transformName(from: number, to: number): string {
  return `transform${from}to${to}`;
}
