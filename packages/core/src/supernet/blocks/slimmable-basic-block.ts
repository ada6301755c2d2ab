// He et al., "Deep Residual Learning for Image Recognition", CVPR 2016, §4.2 (the CIFAR basic block);
// Yu et al., "Slimmable Neural Networks", ICLR 2019, and Yu & Huang, "Universally Slimmable Networks",
// ICCV 2019 (every layer runs its first w channels; shared weights).
import * as tf from '@tensorflow/tfjs';
import { AutomlError } from '../../internal/errors.js';
import { Activation } from '../../nn/layers/activation.js';
import { emitTrace } from '../../nn/layers/layer-utils.js';
import { Residual } from '../../nn/layers/residual.js';
import { Sequential } from '../../nn/layers/sequential.js';
import { type ApplyContext, Module } from '../../nn/module.js';
import type { Rng } from '../../random/rng.js';
import { toRng } from '../../random/rng.js';
import type { Choice } from '../../search-space/choices.js';
import { DynamicBatchNorm } from '../dynamic-batch-norm.js';
import { DynamicConv2d } from '../dynamic-conv2d.js';
import type { ExtractionContext, SubnetExtractable } from '../extraction.js';
import type { SizeRule } from '../size-rule.js';
import { copyVariablesInto, orderByImportance } from '../variable-utils.js';

/** Options of {@link SlimmableBasicBlock}. */
export interface SlimmableBasicBlockOptions {
  maxInChannels: number;
  maxOutChannels: number;
  /** Largest width of the inner conv. @default maxOutChannels */
  maxMidChannels?: number;
  /** Active width of the inner conv (per layer, as stage-wise pruning searches). @default maxMidChannels */
  midChannels?: SizeRule;
  /** Active output width (shared by the stage, because of the residual adds). @default maxOutChannels */
  outChannels?: SizeRule;
  /** @default 1 */
  stride?: number;
  /** Choices function rules read, declared to the search space. */
  choices?: readonly Choice[];
  seed?: number | string | Rng;
}

const SOURCE = '@automl-ts/core/SlimmableBasicBlock';

/**
 * A ResNet basic block with slimmable widths: conv1 3×3 (stride) → BN → ReLU → conv2 3×3 → BN,
 * added to the input (or to a 1×1 conv → BN projection when the stride or the largest widths
 * differ), then ReLU. Each conv runs the first active channels of its kernel.
 *
 * Children: `conv1`, `bn1`, `relu1`, `conv2`, `bn2`, `shortcut` (a Sequential `conv`, `bn`, when
 * projecting) and `postActivation` — the names of the extracted `Residual`.
 *
 * @example
 * const block = new SlimmableBasicBlock({
 *   maxInChannels: 16, maxOutChannels: 32, stride: 2,
 *   midChannels: categorical('stage2.block0.width', [8, 16, 24, 32]),
 *   outChannels: categorical('stage2.width', [8, 16, 24, 32]),
 * });
 */
export class SlimmableBasicBlock extends Module implements SubnetExtractable {
  static override readonly className: string = 'SlimmableBasicBlock';

  readonly #options: SlimmableBasicBlockOptions;
  readonly #conv1: DynamicConv2d;
  readonly #bn1: DynamicBatchNorm;
  readonly #conv2: DynamicConv2d;
  readonly #shortcut: Sequential | undefined;

  constructor(options: SlimmableBasicBlockOptions) {
    super();
    this.#options = { ...options };
    const stride = options.stride ?? 1;
    const rng = toRng(options.seed ?? 0);
    const maxMid = options.maxMidChannels ?? options.maxOutChannels;
    this.#conv1 = this.addModule(
      'conv1',
      new DynamicConv2d({
        maxInChannels: options.maxInChannels,
        maxOutChannels: maxMid,
        kernelSizes: [3],
        strides: stride,
        ...(options.midChannels === undefined ? {} : { outChannels: options.midChannels }),
        ...(options.choices === undefined ? {} : { choices: options.choices }),
        seed: rng,
      }),
    );
    this.#bn1 = this.addModule('bn1', new DynamicBatchNorm({ maxChannels: maxMid }));
    this.addModule('relu1', new Activation('relu'));
    this.#conv2 = this.addModule(
      'conv2',
      new DynamicConv2d({
        maxInChannels: maxMid,
        maxOutChannels: options.maxOutChannels,
        kernelSizes: [3],
        ...(options.outChannels === undefined ? {} : { outChannels: options.outChannels }),
        seed: rng,
      }),
    );
    this.addModule('bn2', new DynamicBatchNorm({ maxChannels: options.maxOutChannels }));
    if (stride !== 1 || options.maxInChannels !== options.maxOutChannels) {
      this.#shortcut = this.addModule(
        'shortcut',
        new Sequential([
          [
            'conv',
            new DynamicConv2d({
              maxInChannels: options.maxInChannels,
              maxOutChannels: options.maxOutChannels,
              kernelSizes: [1],
              strides: stride,
              ...(options.outChannels === undefined ? {} : { outChannels: options.outChannels }),
              seed: rng,
            }),
          ],
          ['bn', new DynamicBatchNorm({ maxChannels: options.maxOutChannels })],
        ]),
      );
    }
    this.addModule('postActivation', new Activation('relu'));
  }

  override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    let branch = x;
    for (const [, layer] of this.#body()) branch = layer.forward(branch, ctx);
    const skip = this.#shortcut === undefined ? x : this.#shortcut.forward(x, ctx);
    if (branch.shape[3] !== skip.shape[3]) {
      throw new AutomlError(
        `${SOURCE}.forward (${this.path || 'root'})`,
        `the residual add needs equal widths, got body [${branch.shape}] and shortcut [${skip.shape}]; an identity shortcut needs the input to have the output's width`,
      );
    }
    const sum = tf.add(branch, skip);
    emitTrace(ctx, this, 'add', [branch, skip], sum);
    return (this.children().get('postActivation') as Module).forward(sum, ctx);
  }

  /** A plain `Residual` with Conv2d / BatchNorm layers holding the active weights. */
  extractSubnet(ctx: ExtractionContext): Residual {
    return new Residual({
      body: this.#body().map(([name, layer]) => [name, ctx.extract(layer)] as const),
      ...(this.#shortcut === undefined ? {} : { shortcut: ctx.extract(this.#shortcut) }),
      postActivation: 'relu',
    });
  }

  /**
   * Sorts conv1's filters by L1 norm, most important first, permuting bn1 and conv2's inputs the
   * same way: the full block is unchanged and narrower inner widths keep the strongest filters.
   */
  reorderChannels(): void {
    const order = orderByImportance(this.#conv1.filterImportance());
    this.#conv1.permuteOutputs(order);
    this.#bn1.permuteChannels(order);
    this.#conv2.permuteInputs(order);
  }

  /** A deep copy. */
  clone(): SlimmableBasicBlock {
    const copy = new SlimmableBasicBlock({ ...this.#options, seed: 0 });
    copyVariablesInto(this, copy);
    return copy;
  }

  #body(): Array<[string, Module]> {
    return ['conv1', 'bn1', 'relu1', 'conv2', 'bn2'].map((name) => [
      name,
      this.children().get(name) as Module,
    ]);
  }
}
