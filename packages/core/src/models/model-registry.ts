import { AutomlError, describeValue } from '../internal/errors.js';
import type { Module } from '../nn/module.js';
import type { RegistryFilter } from '../registry/registry.js';
import { Registry } from '../registry/registry.js';
import { CONV4_DEFAULTS, type Conv4Options, createConv4 } from './conv4.js';
import { createMobileNetV1, MOBILENET_V1_DEFAULTS, type MobileNetV1Options } from './mobilenet-v1.js';
import { createMobileNetV2, MOBILENET_V2_DEFAULTS, type MobileNetV2Options } from './mobilenet-v2.js';
import type { BaseModelOptions } from './model-options.js';
import { createResNetCifar, RESNET_CIFAR_DEFAULTS, type ResNetCifarOptions } from './resnet-cifar.js';
import { createVggSmall, VGG_SMALL_DEFAULTS, type VggSmallOptions } from './vgg-small.js';

/** A registered model: how to build it, what it is, and its default options. */
export interface ModelDefinition<O extends BaseModelOptions = BaseModelOptions> {
  /** Builds the model from complete options (defaults merged with the caller's overrides). */
  create(options: O): Module;
  /** One line: what the model is and where it comes from. */
  readonly description: string;
  /** Every option the model takes, with its default; `createModel` rejects other keys. */
  readonly defaults: Readonly<O>;
  /**
   * Smallest `inputSize` the network's downsampling allows; the registry-wide test runs there.
   * @default defaults.inputSize
   */
  readonly minInputSize?: number;
}

/**
 * Options of the built-in models, complete, as their `create` receives them; {@link createModel}
 * takes any subset of them as overrides.
 */
export interface ModelOptionsByName {
  resnet20: Omit<ResNetCifarOptions, 'depth'>;
  resnet56: Omit<ResNetCifarOptions, 'depth'>;
  mobilenetv1: MobileNetV1Options;
  mobilenetv2: MobileNetV2Options;
  'vgg-small': VggSmallOptions;
  conv4: Conv4Options;
}

const BUILTIN_MODELS: { readonly [N in keyof ModelOptionsByName]: ModelDefinition<ModelOptionsByName[N]> } = {
  resnet20: {
    create: (o) => createResNetCifar({ ...o, depth: 20 }),
    description: 'CIFAR ResNet-20 (He et al. 2016, §4.2), 0.27M parameters',
    defaults: omitDepth(RESNET_CIFAR_DEFAULTS),
    minInputSize: 4,
  },
  resnet56: {
    create: (o) => createResNetCifar({ ...o, depth: 56 }),
    description: 'CIFAR ResNet-56 (He et al. 2016, §4.2), 0.86M parameters (0.85M with shortcut A)',
    defaults: omitDepth(RESNET_CIFAR_DEFAULTS),
    minInputSize: 4,
  },
  mobilenetv1: {
    create: createMobileNetV1,
    description: 'MobileNetV1 (Howard et al. 2017), 4.2M parameters at width 1.0',
    defaults: MOBILENET_V1_DEFAULTS,
    minInputSize: 32,
  },
  mobilenetv2: {
    create: createMobileNetV2,
    description: 'MobileNetV2 (Sandler et al. 2018), 3.5M parameters at width 1.0',
    defaults: MOBILENET_V2_DEFAULTS,
    minInputSize: 32,
  },
  'vgg-small': {
    create: createVggSmall,
    description: 'CIFAR VGG-Small (Zhang et al. 2018, LQ-Nets), 4.66M parameters',
    defaults: VGG_SMALL_DEFAULTS,
    minInputSize: 8,
  },
  conv4: {
    create: createConv4,
    description: 'Few-shot 4-block conv net (Vinyals et al. 2016; Finn et al. 2017)',
    defaults: CONV4_DEFAULTS,
    minInputSize: 16,
  },
};

/**
 * Model definitions by name, for {@link createModel}: the six built-in models and any added with
 * {@link registerModel}.
 */
export const modelBuilders = /* @__PURE__ */ new Registry<ModelDefinition>(
  {
    kind: 'model',
    sources: { get: '@automl-ts/core/createModel', register: '@automl-ts/core/registerModel' },
  },
  Object.entries(BUILTIN_MODELS),
);

function omitDepth<T extends { depth: number }>(options: T): Omit<T, 'depth'> {
  const { depth: _depth, ...rest } = options;
  return rest;
}

/**
 * Builds a registered model by name, merging `overrides` into its defaults. Unknown names and
 * unknown option keys throw, listing what is allowed. The built-in names take typed overrides
 * ({@link ModelOptionsByName}); other names (your registered models, or a `string`) take a record.
 *
 * @example
 * const model = createModel('mobilenetv2', { widthMultiplier: 0.5, numClasses: 10, inputSize: 32 });
 * const logits = model.apply(images); // [batch, 10]
 */
export function createModel<N extends keyof ModelOptionsByName>(
  name: N,
  overrides?: Partial<ModelOptionsByName[N]>,
): Module;
export function createModel<N extends string>(
  name: N extends keyof ModelOptionsByName ? never : N,
  overrides?: Readonly<Record<string, unknown>>,
): Module;
export function createModel(name: string, overrides: Readonly<Record<string, unknown>> = {}): Module {
  const definition = modelBuilders.get(name);
  const allowed = Object.keys(definition.defaults);
  for (const key of Object.keys(overrides)) {
    if (!allowed.includes(key)) {
      throw new AutomlError(
        '@automl-ts/core/createModel',
        `model "${name}" has no option ${describeValue(key)}; options: ${allowed.join(', ')}`,
      );
    }
  }
  return definition.create({ ...definition.defaults, ...overrides } as BaseModelOptions);
}

/**
 * Names of the registered models, sorted; filter with a glob (`'resnet*'`) or a predicate on the
 * name and definition.
 */
export function listModels(filter?: RegistryFilter<ModelDefinition>): string[] {
  return modelBuilders.list(filter);
}

/** The definition registered under `name` (throws listing the registered names when unknown). */
export function getModelDefinition(name: string): ModelDefinition {
  return modelBuilders.get(name);
}

/**
 * Adds a model to the registry used by {@link createModel}; throws when the name is taken.
 *
 * @example
 * registerModel('tiny-mlp', {
 *   create: (o) => new Sequential([['flatten', new Flatten()], ['fc', new Dense({ inUnits: o.inputSize ** 2 * o.inChannels, outUnits: o.numClasses })]]),
 *   description: 'a linear baseline',
 *   defaults: { numClasses: 10, inputSize: 28, inChannels: 1, seed: 0 },
 * });
 */
export function registerModel<O extends BaseModelOptions>(
  name: string,
  definition: ModelDefinition<O>,
): void {
  if (typeof definition?.create !== 'function') {
    throw new AutomlError(
      '@automl-ts/core/registerModel',
      `model ${describeValue(name)} needs a create(options) function`,
    );
  }
  modelBuilders.register(name, definition as unknown as ModelDefinition);
}

/** Removes a registered model (for tests and plugins that re-register); returns whether it existed. */
export function unregisterModel(name: string): boolean {
  return modelBuilders.unregister(name);
}
