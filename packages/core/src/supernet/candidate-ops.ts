// Candidate operations after Liu et al., "DARTS: Differentiable Architecture Search", ICLR 2019, §3.1
// (convolutions, separable convolutions, pooling, identity, zero; the `darts_*`/`dil_*` ops in its
// code's ReLU → conv → BN order, separable convolutions applied twice, as T-NAS, Lian et al., ICLR
// 2020, uses them), and the inverted-residual block of
// Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks", CVPR 2018, Table 1.
import { AutomlError, describeValue } from '../internal/errors.js';
import { Activation } from '../nn/layers/activation.js';
import { AvgPool2d } from '../nn/layers/avg-pool2d.js';
import { BatchNorm } from '../nn/layers/batch-norm.js';
import { Conv2d } from '../nn/layers/conv2d.js';
import { MaxPool2d } from '../nn/layers/max-pool2d.js';
import { Residual } from '../nn/layers/residual.js';
import { Sequential } from '../nn/layers/sequential.js';
import { Zero } from '../nn/layers/zero.js';
import { ZeroPadShortcut } from '../nn/layers/zero-pad-shortcut.js';
import type { Module } from '../nn/module.js';
import type { Rng } from '../random/rng.js';
import { Registry, type RegistryFilter } from '../registry/registry.js';

/** What a candidate op is built for: its position in the network. */
export interface CandidateOpSpec {
  readonly inChannels: number;
  readonly outChannels: number;
  /** Spatial stride (1 keeps the resolution, 2 halves it). */
  readonly stride: number;
  /** Draws the op's initial weights. */
  readonly seed: Rng;
}

/** A registered candidate op: a factory and a one-line description. */
export interface CandidateOpEntry {
  readonly description: string;
  /** Builds a fresh module from plain layers, NHWC `[n, h, w, inChannels]` → `[n, h/stride, w/stride, outChannels]`. */
  create(spec: CandidateOpSpec): Module;
}

/** Conv (no bias) → BN → ReLU. */
function convBnRelu(kernelSize: number) {
  return ({ inChannels, outChannels, stride, seed }: CandidateOpSpec): Module =>
    new Sequential([
      ['conv', new Conv2d({ inChannels, outChannels, kernelSize, strides: stride, useBias: false, seed })],
      ['bn', new BatchNorm({ channels: outChannels })],
      ['relu', new Activation('relu')],
    ]);
}

/** Depthwise k×k (stride) → pointwise 1×1 → BN → ReLU: one half of DARTS' `sep_conv`. */
function separableConv(kernelSize: number) {
  return ({ inChannels, outChannels, stride, seed }: CandidateOpSpec): Module =>
    new Sequential([
      [
        'depthwise',
        new Conv2d({
          inChannels,
          outChannels: inChannels,
          kernelSize,
          strides: stride,
          groups: inChannels,
          useBias: false,
          seed,
        }),
      ],
      ['pointwise', new Conv2d({ inChannels, outChannels, kernelSize: 1, useBias: false, seed })],
      ['bn', new BatchNorm({ channels: outChannels })],
      ['relu', new Activation('relu')],
    ]);
}

/** ReLU → depthwise k×k (stride, dilation) → pointwise 1×1 → BN: DARTS' `dil_conv` and one half of its `sep_conv`. */
function reluSeparable(
  kernelSize: number,
  dilation: number,
  { inChannels, outChannels, stride, seed }: CandidateOpSpec,
): Array<readonly [string, Module]> {
  return [
    ['relu', new Activation('relu')],
    [
      'depthwise',
      new Conv2d({
        inChannels,
        outChannels: inChannels,
        kernelSize,
        strides: stride,
        dilation,
        groups: inChannels,
        useBias: false,
        seed,
      }),
    ],
    ['pointwise', new Conv2d({ inChannels, outChannels, kernelSize: 1, useBias: false, seed })],
    ['bn', new BatchNorm({ channels: outChannels })],
  ];
}

/** DARTS' `sep_conv`: ReLU → depthwise → pointwise → BN, twice (stride on the first, width kept by the second). */
function dartsSeparableConv(kernelSize: number) {
  return (spec: CandidateOpSpec): Module =>
    new Sequential([
      ['first', new Sequential(reluSeparable(kernelSize, 1, { ...spec, outChannels: spec.inChannels }))],
      ['second', new Sequential(reluSeparable(kernelSize, 1, { ...spec, stride: 1 }))],
    ]);
}

/** DARTS' `dil_conv`: ReLU → depthwise k×k with dilation 2 → pointwise → BN (stride 1 only: TF.js cannot combine stride and dilation). */
function dilatedConv(kernelSize: number) {
  return (spec: CandidateOpSpec): Module => {
    if (spec.stride !== 1) {
      throw new AutomlError(
        '@automl-ts/core/createCandidateOp',
        `op "dil_conv${kernelSize}x${kernelSize}" needs stride 1 (TF.js cannot combine stride and dilation), got stride ${spec.stride}`,
      );
    }
    return new Sequential(reluSeparable(kernelSize, 2, spec));
  };
}

/** ReLU → k×k conv → BN: DARTS' order for a plain convolution. */
function reluConvBn(kernelSize: number) {
  return ({ inChannels, outChannels, stride, seed }: CandidateOpSpec): Module =>
    new Sequential([
      ['relu', new Activation('relu')],
      ['conv', new Conv2d({ inChannels, outChannels, kernelSize, strides: stride, useBias: false, seed })],
      ['bn', new BatchNorm({ channels: outChannels })],
    ]);
}

/** MobileNetV2 inverted residual: expand 1×1 → BN → ReLU6 → depthwise k×k → BN → ReLU6 → project 1×1 → BN (+ input when shapes allow). */
function mbConv(kernelSize: number, expandRatio: number) {
  return ({ inChannels, outChannels, stride, seed }: CandidateOpSpec): Module => {
    const mid = inChannels * expandRatio;
    const body = [
      ['expand', new Conv2d({ inChannels, outChannels: mid, kernelSize: 1, useBias: false, seed })],
      ['expandBn', new BatchNorm({ channels: mid })],
      ['expandAct', new Activation('relu6')],
      [
        'depthwise',
        new Conv2d({
          inChannels: mid,
          outChannels: mid,
          kernelSize,
          strides: stride,
          groups: mid,
          useBias: false,
          seed,
        }),
      ],
      ['depthwiseBn', new BatchNorm({ channels: mid })],
      ['depthwiseAct', new Activation('relu6')],
      ['project', new Conv2d({ inChannels: mid, outChannels, kernelSize: 1, useBias: false, seed })],
      ['projectBn', new BatchNorm({ channels: outChannels })],
    ] as const;
    return stride === 1 && inChannels === outChannels ? new Residual({ body }) : new Sequential(body);
  };
}

/** 1×1 conv → BN, adapting width (and stride) for the ops that cannot change them. */
function projection({ inChannels, outChannels, stride, seed }: CandidateOpSpec): Sequential {
  return new Sequential([
    ['conv', new Conv2d({ inChannels, outChannels, kernelSize: 1, strides: stride, useBias: false, seed })],
    ['bn', new BatchNorm({ channels: outChannels })],
  ]);
}

function pool(kind: 'max' | 'avg') {
  return (spec: CandidateOpSpec): Module => {
    const options = { poolSize: 3, strides: spec.stride, padding: 'same' as const };
    const layer = kind === 'max' ? new MaxPool2d(options) : new AvgPool2d(options);
    if (spec.inChannels === spec.outChannels) return layer;
    return new Sequential([
      ['pool', layer],
      ['projection', projection({ ...spec, stride: 1 })],
    ]);
  };
}

function skip(spec: CandidateOpSpec): Module {
  if (spec.stride === 1 && spec.inChannels === spec.outChannels) return new Activation('identity');
  return projection(spec);
}

function zero(spec: CandidateOpSpec): Module {
  if (spec.stride === 1 && spec.inChannels === spec.outChannels) return new Zero();
  if (spec.outChannels < spec.inChannels) {
    throw new AutomlError(
      '@automl-ts/core/createCandidateOp',
      `op "zero" cannot narrow ${spec.inChannels} channels to ${spec.outChannels}`,
    );
  }
  return new Sequential([
    ['reshape', new ZeroPadShortcut({ strides: spec.stride, padAfter: spec.outChannels - spec.inChannels })],
    ['zero', new Zero()],
  ]);
}

const BUILTIN_OPS: ReadonlyArray<readonly [string, CandidateOpEntry]> = [
  ['conv3x3', { description: '3×3 conv → BN → ReLU', create: convBnRelu(3) }],
  ['conv5x5', { description: '5×5 conv → BN → ReLU', create: convBnRelu(5) }],
  ['sep_conv3x3', { description: 'depthwise 3×3 → pointwise 1×1 → BN → ReLU', create: separableConv(3) }],
  ['sep_conv5x5', { description: 'depthwise 5×5 → pointwise 1×1 → BN → ReLU', create: separableConv(5) }],
  [
    'mbconv3_e3',
    { description: 'MobileNetV2 inverted residual, 3×3 depthwise, expand ratio 3', create: mbConv(3, 3) },
  ],
  [
    'mbconv3_e6',
    { description: 'MobileNetV2 inverted residual, 3×3 depthwise, expand ratio 6', create: mbConv(3, 6) },
  ],
  [
    'mbconv5_e3',
    { description: 'MobileNetV2 inverted residual, 5×5 depthwise, expand ratio 3', create: mbConv(5, 3) },
  ],
  [
    'mbconv5_e6',
    { description: 'MobileNetV2 inverted residual, 5×5 depthwise, expand ratio 6', create: mbConv(5, 6) },
  ],
  [
    'max_pool3x3',
    { description: '3×3 max pool (+ 1×1 conv → BN when the width changes)', create: pool('max') },
  ],
  [
    'avg_pool3x3',
    { description: '3×3 average pool (+ 1×1 conv → BN when the width changes)', create: pool('avg') },
  ],
  ['skip', { description: 'identity (1×1 conv → BN when the width or stride changes)', create: skip }],
  ['zero', { description: 'zeros (drops the connection)', create: zero }],
  ['darts_conv3x3', { description: 'ReLU → 3×3 conv → BN (DARTS order)', create: reluConvBn(3) }],
  [
    'darts_sep_conv3x3',
    {
      description: '(ReLU → depthwise 3×3 → pointwise 1×1 → BN) × 2, DARTS sep_conv_3x3',
      create: dartsSeparableConv(3),
    },
  ],
  [
    'darts_sep_conv5x5',
    {
      description: '(ReLU → depthwise 5×5 → pointwise 1×1 → BN) × 2, DARTS sep_conv_5x5',
      create: dartsSeparableConv(5),
    },
  ],
  [
    'dil_conv3x3',
    {
      description: 'ReLU → depthwise 3×3 dilation 2 → pointwise 1×1 → BN, DARTS dil_conv_3x3',
      create: dilatedConv(3),
    },
  ],
  [
    'dil_conv5x5',
    {
      description: 'ReLU → depthwise 5×5 dilation 2 → pointwise 1×1 → BN, DARTS dil_conv_5x5',
      create: dilatedConv(5),
    },
  ],
];

/**
 * The DARTS / T-NAS operation set (Liu et al. 2019; Lian et al. 2020), as registered candidate-op
 * names: separable 3×3 and 5×5 convolutions applied twice and dilated 3×3 and 5×5 convolutions in
 * ReLU → conv → BN order, a 3×3 convolution, 3×3 max and average pooling, identity. Add `'zero'`
 * (DARTS' `none`) where a node has several inputs.
 */
export const DARTS_OPS: readonly string[] = Object.freeze([
  'darts_sep_conv3x3',
  'darts_sep_conv5x5',
  'dil_conv3x3',
  'dil_conv5x5',
  'darts_conv3x3',
  'max_pool3x3',
  'avg_pool3x3',
  'skip',
]);

/**
 * The candidate-op registry that `LayerChoice.fromOps` and the cell supernets draw from.
 * Preloaded with conv3x3, conv5x5, sep_conv3x3, sep_conv5x5, mbconv{3,5}_e{3,6}, max_pool3x3,
 * avg_pool3x3, skip, zero and the DARTS-ordered darts_conv3x3, darts_sep_conv{3x3,5x5} and
 * dil_conv{3x3,5x5} (see {@link DARTS_OPS}); add your own with {@link registerCandidateOp}.
 */
export const candidateOps = /* @__PURE__ */ new Registry<CandidateOpEntry>(
  {
    kind: 'candidate op',
    sources: { get: '@automl-ts/core/createCandidateOp', register: '@automl-ts/core/registerCandidateOp' },
  },
  BUILTIN_OPS,
);

/**
 * Registers a candidate op under `name` (letters, digits, `_` and `-`: it becomes a module name).
 * Throws when the name is taken.
 *
 * @example
 * registerCandidateOp('conv1x7_7x1', {
 *   description: '1×7 conv → 7×1 conv → BN → ReLU',
 *   create: ({ inChannels, outChannels, stride, seed }) =>
 *     new Sequential([
 *       ['conv1x7', new Conv2d({ inChannels, outChannels, kernelSize: [1, 7], strides: stride, useBias: false, seed })],
 *       ['conv7x1', new Conv2d({ inChannels: outChannels, outChannels, kernelSize: [7, 1], useBias: false, seed })],
 *       ['bn', new BatchNorm({ channels: outChannels })],
 *       ['relu', new Activation('relu')],
 *     ]),
 * });
 */
export function registerCandidateOp(name: string, entry: CandidateOpEntry): void {
  if (typeof name !== 'string' || !/^[A-Za-z0-9_-]+$/.test(name)) {
    throw new AutomlError(
      '@automl-ts/core/registerCandidateOp',
      `op names may use letters, digits, "_" and "-" only, got ${describeValue(name)}`,
    );
  }
  if (typeof entry?.create !== 'function') {
    throw new AutomlError(
      '@automl-ts/core/registerCandidateOp',
      `op "${name}" needs a create(spec) function`,
    );
  }
  candidateOps.register(name, entry);
}

/** Builds a registered candidate op; an unknown name throws listing the registered ones. */
export function createCandidateOp(name: string, spec: CandidateOpSpec): Module {
  return candidateOps.get(name).create(spec);
}

/** Registered candidate-op names, sorted, optionally filtered by a glob (`'mbconv*'`) or a predicate. */
export function listCandidateOps(filter?: RegistryFilter<CandidateOpEntry>): string[] {
  return candidateOps.list(filter);
}

/** Removes a registered candidate op (for tests and plugins that re-register); returns whether it existed. */
export function unregisterCandidateOp(name: string): boolean {
  return candidateOps.unregister(name);
}
