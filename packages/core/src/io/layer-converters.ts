import * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../internal/errors.js';
import type { Activation } from '../nn/layers/activation.js';
import type { BatchNorm } from '../nn/layers/batch-norm.js';
import type { Conv2d } from '../nn/layers/conv2d.js';
import type { Dense } from '../nn/layers/dense.js';
import type { Dropout } from '../nn/layers/dropout.js';
import type { Pool2d } from '../nn/layers/pool2d.js';
import type { Residual } from '../nn/layers/residual.js';
import type { ZeroPadShortcut } from '../nn/layers/zero-pad-shortcut.js';
import type { Module } from '../nn/module.js';
import { Registry, type RegistryFilter } from '../registry/registry.js';

/** Options of {@link LayerConversionContext.apply}. */
export interface ApplyLayerOptions {
  /** Appended to the module's name, for the second and later Keras layers of one module (`hswish_add3`). */
  suffix?: string;
  /**
   * Values for the layer's weights, in the layer's order (`[kernel, bias]`, `[gamma, beta,
   * movingMean, movingVariance]`). Set once the model is built; the context takes ownership.
   */
  weights?: tf.Tensor[];
}

/** What a {@link LayerConverter} gets besides its module: recursion and layer bookkeeping. */
export interface LayerConversionContext {
  /** Converts a child module applied to `input` (looked up in the converter registry by class name). */
  convert(module: Module, input: tf.SymbolicTensor): tf.SymbolicTensor;
  /**
   * Creates a Keras layer with a unique name derived from the module's path (`make(name)`),
   * applies it to `inputs`, and schedules its weights.
   */
  apply(
    module: Module,
    make: (name: string) => tf.layers.Layer,
    inputs: tf.SymbolicTensor | tf.SymbolicTensor[],
    options?: ApplyLayerOptions,
  ): tf.SymbolicTensor;
}

/**
 * Turns one module applied to a symbolic tensor into built-in TF.js layers, returning the output
 * symbolic tensor. Registered per module class name in {@link layerConverters}.
 */
export type LayerConverter = (
  module: Module,
  input: tf.SymbolicTensor,
  ctx: LayerConversionContext,
) => tf.SymbolicTensor;

function fail(module: Module, message: string): AutomlError {
  return new AutomlError(
    '@automl-ts/core/toLayersModel',
    `${module.className} "${module.path || 'root'}": ${message}`,
  );
}

const convertConv2d: LayerConverter = (module, input, ctx) => {
  const conv = module as Conv2d;
  const [kh, kw] = conv.kernelSize;
  let x = input;
  let padding: 'same' | 'valid';
  if (typeof conv.padding === 'string') {
    padding = conv.padding;
  } else {
    const [[top, bottom], [left, right]] = conv.padding;
    x = ctx.apply(
      conv,
      (name) =>
        tf.layers.zeroPadding2d({
          name,
          padding: [
            [top, bottom],
            [left, right],
          ],
        }),
      x,
      { suffix: 'pad' },
    );
    padding = 'valid';
  }
  const common = {
    kernelSize: [kh, kw] as [number, number],
    strides: [...conv.strides] as [number, number],
    padding,
    dilationRate: [...conv.dilation] as [number, number],
    useBias: conv.useBias,
  };
  const bias = (): tf.Tensor[] => (conv.useBias ? [tf.clone(conv.variable('bias'))] : []);
  if (conv.isDepthwise) {
    const multiplier = conv.outChannelsPerGroup;
    const kernel = tf.reshape(conv.variable('kernel'), [kh, kw, conv.inChannels, multiplier]);
    return ctx.apply(
      conv,
      (name) => tf.layers.depthwiseConv2d({ name, ...common, depthMultiplier: multiplier }),
      x,
      {
        weights: [kernel, ...bias()],
      },
    );
  }
  // TF.js layers have no grouped convolution: a standard conv whose kernel is block-diagonal over
  // the groups computes exactly the same (at `groups` times the parameters and FLOPs).
  const kernel = conv.groups === 1 ? tf.clone(conv.variable('kernel')) : blockDiagonalKernel(conv);
  return ctx.apply(conv, (name) => tf.layers.conv2d({ name, ...common, filters: conv.outChannels }), x, {
    weights: [kernel, ...bias()],
  });
};

/** `[kh, kw, in, out]` with group g's `[kh, kw, in/g, out/g]` block on the diagonal and zeros elsewhere. */
function blockDiagonalKernel(conv: Conv2d): tf.Tensor {
  const [kh, kw] = conv.kernelSize;
  const inPerGroup = conv.inChannels / conv.groups;
  const outPerGroup = conv.outChannelsPerGroup;
  const grouped = conv.variable('kernel').dataSync();
  const full = new Float32Array(kh * kw * conv.inChannels * conv.outChannels);
  for (let spatial = 0; spatial < kh * kw; spatial++) {
    for (let i = 0; i < inPerGroup; i++) {
      for (let o = 0; o < conv.outChannels; o++) {
        const group = Math.floor(o / outPerGroup);
        const value = grouped[(spatial * inPerGroup + i) * conv.outChannels + o] as number;
        full[(spatial * conv.inChannels + group * inPerGroup + i) * conv.outChannels + o] = value;
      }
    }
  }
  return tf.tensor4d(full, [kh, kw, conv.inChannels, conv.outChannels]);
}

const convertDense: LayerConverter = (module, input, ctx) => {
  const dense = module as Dense;
  const weights = [
    tf.clone(dense.variable('kernel')),
    ...(dense.useBias ? [tf.clone(dense.variable('bias'))] : []),
  ];
  return ctx.apply(
    dense,
    (name) => tf.layers.dense({ name, units: dense.outUnits, useBias: dense.useBias }),
    input,
    {
      weights,
    },
  );
};

const convertBatchNorm: LayerConverter = (module, input, ctx) => {
  const bn = module as BatchNorm;
  // Keras' momentum weighs the running value (1 − ours); it only matters if the model is trained further.
  const momentum = bn.momentum === null ? 0.99 : 1 - bn.momentum;
  const weights = ['gamma', 'beta', 'runningMean', 'runningVar'].map((name) => tf.clone(bn.variable(name)));
  return ctx.apply(
    bn,
    (name) => tf.layers.batchNormalization({ name, axis: -1, epsilon: bn.epsilon, momentum }),
    input,
    {
      weights,
    },
  );
};

const convertActivation: LayerConverter = (module, input, ctx) => {
  const activation = module as Activation;
  switch (activation.kind) {
    case 'relu':
      return ctx.apply(activation, (name) => tf.layers.reLU({ name }), input);
    case 'relu6':
      return ctx.apply(activation, (name) => tf.layers.reLU({ name, maxValue: 6 }), input);
    case 'sigmoid':
      return ctx.apply(activation, (name) => tf.layers.activation({ name, activation: 'sigmoid' }), input);
    case 'identity':
      return ctx.apply(activation, (name) => tf.layers.activation({ name, activation: 'linear' }), input);
    case 'hardSwish': {
      // x · ReLU6(x + 3) / 6 from built-in layers: Rescaling(offset 3) → ReLU(max 6) → Rescaling(1/6) → Multiply.
      const shifted = ctx.apply(
        activation,
        (name) => tf.layers.rescaling({ name, scale: 1, offset: 3 }),
        input,
        {
          suffix: 'add3',
        },
      );
      const clipped = ctx.apply(activation, (name) => tf.layers.reLU({ name, maxValue: 6 }), shifted, {
        suffix: 'relu6',
      });
      const gate = ctx.apply(
        activation,
        (name) => tf.layers.rescaling({ name, scale: 1 / 6, offset: 0 }),
        clipped,
        {
          suffix: 'div6',
        },
      );
      return ctx.apply(activation, (name) => tf.layers.multiply({ name }), [input, gate]);
    }
    default:
      throw fail(activation, `activation ${describeValue(activation.kind)} has no TF.js layer`);
  }
};

function convertPool(kind: 'max' | 'avg'): LayerConverter {
  return (module, input, ctx) => {
    const pool = module as Pool2d;
    let x = input;
    if (typeof pool.padding !== 'string') {
      const [rows, cols] = pool.padding;
      x = ctx.apply(
        pool,
        (name) =>
          tf.layers.zeroPadding2d({
            name,
            padding: [
              [rows[0], rows[1]],
              [cols[0], cols[1]],
            ],
          }),
        x,
        { suffix: 'pad' },
      );
    }
    const args = {
      poolSize: [...pool.poolSize] as [number, number],
      strides: [...pool.strides] as [number, number],
      padding: typeof pool.padding === 'string' ? pool.padding : ('valid' as const),
    };
    return ctx.apply(
      pool,
      (name) =>
        kind === 'max'
          ? tf.layers.maxPooling2d({ name, ...args })
          : tf.layers.averagePooling2d({ name, ...args }),
      x,
    );
  };
}

const convertGlobalAvgPool: LayerConverter = (module, input, ctx) =>
  ctx.apply(module, (name) => tf.layers.globalAveragePooling2d({ name }), input);

const convertFlatten: LayerConverter = (module, input, ctx) =>
  ctx.apply(module, (name) => tf.layers.flatten({ name }), input);

const convertDropout: LayerConverter = (module, input, ctx) =>
  ctx.apply(module, (name) => tf.layers.dropout({ name, rate: (module as Dropout).rate }), input);

const convertSequential: LayerConverter = (module, input, ctx) => {
  let x = input;
  for (const child of module.children().values()) x = ctx.convert(child, x);
  return x;
};

const convertResidual: LayerConverter = (module, input, ctx) => {
  const residual = module as Residual;
  let branch = input;
  for (const [, layer] of residual.body()) branch = ctx.convert(layer, branch);
  const skip = residual.shortcut === undefined ? input : ctx.convert(residual.shortcut, input);
  const sum = ctx.apply(residual, (name) => tf.layers.add({ name }), [branch, skip]);
  const post = residual.children().get('postActivation');
  return post === undefined ? sum : ctx.convert(post, sum);
};

const convertSum: LayerConverter = (module, input, ctx) => {
  const outputs = [...module.children().values()].map((branch) => ctx.convert(branch, input));
  if (outputs.length === 1) return outputs[0] as tf.SymbolicTensor;
  return ctx.apply(module, (name) => tf.layers.add({ name }), outputs);
};

const convertConcat: LayerConverter = (module, input, ctx) => {
  const outputs = [...module.children().values()].map((branch) => ctx.convert(branch, input));
  return ctx.apply(module, (name) => tf.layers.concatenate({ name, axis: -1 }), outputs);
};

const convertZeroPadShortcut: LayerConverter = (module, input, ctx) => {
  const shortcut = module as ZeroPadShortcut;
  let x = input;
  const [sh, sw] = shortcut.strides;
  if (sh !== 1 || sw !== 1) {
    x = ctx.apply(
      shortcut,
      (name) => tf.layers.averagePooling2d({ name, poolSize: 1, strides: [sh, sw], padding: 'valid' }),
      x,
      {
        suffix: 'subsample',
      },
    );
  }
  if (shortcut.padBefore === 0 && shortcut.padAfter === 0) return x;
  // Channel padding from built-in layers: move channels to a spatial axis, zero-pad it, move them back.
  const swapped = ctx.apply(shortcut, (name) => tf.layers.permute({ name, dims: [1, 3, 2] }), x, {
    suffix: 'to_hcw',
  });
  const padded = ctx.apply(
    shortcut,
    (name) =>
      tf.layers.zeroPadding2d({
        name,
        padding: [
          [0, 0],
          [shortcut.padBefore, shortcut.padAfter],
        ],
      }),
    swapped,
    { suffix: 'pad_channels' },
  );
  return ctx.apply(shortcut, (name) => tf.layers.permute({ name, dims: [1, 3, 2] }), padded);
};

const convertZero: LayerConverter = (module, input, ctx) =>
  ctx.apply(module, (name) => tf.layers.rescaling({ name, scale: 0, offset: 0 }), input);

const BUILTIN_CONVERTERS: ReadonlyArray<readonly [string, LayerConverter]> = [
  ['Activation', convertActivation],
  ['AvgPool2d', convertPool('avg')],
  ['BatchNorm', convertBatchNorm],
  ['Concat', convertConcat],
  ['Conv2d', convertConv2d],
  ['Dense', convertDense],
  ['Dropout', convertDropout],
  ['Flatten', convertFlatten],
  ['GlobalAvgPool', convertGlobalAvgPool],
  ['MaxPool2d', convertPool('max')],
  ['Residual', convertResidual],
  ['Sequential', convertSequential],
  ['Sum', convertSum],
  ['ZeroPadShortcut', convertZeroPadShortcut],
  ['Zero', convertZero],
];

/**
 * Converters from module class names to built-in TF.js layers, used by `toLayersModel`.
 * Preloaded for Conv2d (standard, depthwise, grouped), Dense, BatchNorm, Activation (relu,
 * relu6, hardSwish, sigmoid, identity), MaxPool2d, AvgPool2d, GlobalAvgPool, Flatten, Dropout,
 * Sequential, Residual, Concat, Sum, ZeroPadShortcut and Zero. Add converters for your own module
 * classes with {@link registerLayerConverter}.
 */
export const layerConverters = /* @__PURE__ */ new Registry<LayerConverter>(
  {
    kind: 'layer converter',
    sources: { get: '@automl-ts/core/toLayersModel', register: '@automl-ts/core/registerLayerConverter' },
  },
  BUILTIN_CONVERTERS,
);

/**
 * Registers how a module class (by its static `className`) becomes built-in TF.js layers, so
 * `toLayersModel` can export it. Throws when the class already has a converter.
 *
 * @example
 * registerLayerConverter('Scale', (module, input, ctx) =>
 *   ctx.apply(module, (name) => tf.layers.rescaling({ name, scale: (module as Scale).factor }), input));
 */
export function registerLayerConverter(className: string, converter: LayerConverter): void {
  if (typeof converter !== 'function') {
    throw new AutomlError(
      '@automl-ts/core/registerLayerConverter',
      `converter for ${describeValue(className)} must be a function`,
    );
  }
  layerConverters.register(className, converter);
}

/** Class names that have a converter, sorted. */
export function listLayerConverters(filter?: RegistryFilter<LayerConverter>): string[] {
  return layerConverters.list(filter);
}
