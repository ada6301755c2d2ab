import { AutomlError, describeValue } from '../internal/errors.js';
import { Registry, type RegistryFilter } from '../registry/registry.js';
import type { SearchSpace } from '../search-space/search-space.js';
import { type Conv4CellsOptions, conv4Cells } from './builders/conv4-cells.js';
import {
  type OfaMobileNetV2Options,
  ofaMobileNetV2,
  ofaMobileNetV2SearchSpace,
} from './builders/ofa-mobilenet-v2.js';
import { type ResNetSlimOptions, resnetSlim, resnetSlimSearchSpace } from './builders/resnet-slim.js';
import {
  type MobileNetV2SlimOptions,
  mobileNetV2Slim,
  type VggSmallSlimOptions,
  vggSmallSlim,
} from './builders/slim-models.js';
import type { Supernet } from './supernet.js';

/** A registered supernet builder: a factory taking overrides of its defaults, and a description. */
export interface SupernetBuilderEntry {
  readonly description: string;
  /** Builds a fresh supernet; unknown override keys throw. */
  create(overrides?: object): Supernet;
  /**
   * The search space `create(overrides)` would have, computed without building it (no weights);
   * `createSearchSpace` uses it. Without it, the space is read off a supernet built and disposed.
   */
  searchSpace?(overrides?: object): SearchSpace;
}

/** Override types of the built-in supernets, for typed {@link createSupernet} calls. */
export interface SupernetOptionsByName {
  'ofa-mobilenetv2': OfaMobileNetV2Options;
  'resnet20-slim': ResNetSlimOptions;
  'resnet56-slim': ResNetSlimOptions;
  'conv4-cells': Conv4CellsOptions;
  'vgg-small-slim': VggSmallSlimOptions;
  'mobilenetv2-slim': MobileNetV2SlimOptions;
}

/** The built-in supernet builders; also the source of the built-in search spaces. */
export const BUILTIN_SUPERNETS: ReadonlyArray<readonly [string, SupernetBuilderEntry]> = [
  [
    'ofa-mobilenetv2',
    {
      description:
        'Once-for-All MobileNetV2: kernel 3/5/7, expand 3/4/6, depth 2–4 per stage, width ×0.75/×1',
      create: (overrides) => ofaMobileNetV2(overrides as OfaMobileNetV2Options),
      searchSpace: (overrides) => ofaMobileNetV2SearchSpace(overrides as OfaMobileNetV2Options),
    },
  ],
  [
    'resnet20-slim',
    {
      description: 'slimmable CIFAR ResNet-20: per-layer widths 25–100%',
      create: (overrides) => resnetSlim({ blocksPerStage: 3, ...(overrides as ResNetSlimOptions) }),
      searchSpace: (overrides) =>
        resnetSlimSearchSpace({ blocksPerStage: 3, ...(overrides as ResNetSlimOptions) }),
    },
  ],
  [
    'resnet56-slim',
    {
      description: 'slimmable CIFAR ResNet-56: per-layer widths 25–100%',
      create: (overrides) => resnetSlim({ blocksPerStage: 9, ...(overrides as ResNetSlimOptions) }),
      searchSpace: (overrides) =>
        resnetSlimSearchSpace({ blocksPerStage: 9, ...(overrides as ResNetSlimOptions) }),
    },
  ],
  [
    'conv4-cells',
    {
      description: 'Conv-4 few-shot backbone, one candidate op per block (AT-NAS)',
      create: (overrides) => conv4Cells(overrides as Conv4CellsOptions),
    },
  ],
  [
    'vgg-small-slim',
    {
      description: 'slimmable VGG-Small: one width per conv, 10–100%',
      create: (overrides) => vggSmallSlim(overrides as VggSmallSlimOptions),
    },
  ],
  [
    'mobilenetv2-slim',
    {
      description: 'slimmable MobileNetV2: one width per channel-dependency group, 10–100%',
      create: (overrides) => mobileNetV2Slim(overrides as MobileNetV2SlimOptions),
    },
  ],
];

/** Supernet builders by name, for {@link createSupernet}; add yours with {@link registerSupernet}. */
export const supernetBuilders = /* @__PURE__ */ new Registry<SupernetBuilderEntry>(
  {
    kind: 'supernet',
    sources: { get: '@automl-ts/core/createSupernet', register: '@automl-ts/core/registerSupernet' },
  },
  BUILTIN_SUPERNETS,
);

/**
 * Builds a registered supernet with some defaults overridden: `ofa-mobilenetv2`,
 * `resnet20-slim`, `resnet56-slim`, `conv4-cells`, `vgg-small-slim`, `mobilenetv2-slim`, and any
 * you register. An unknown name throws
 * listing the registered ones; an unknown option throws listing the builder's options. The
 * built-in names take typed overrides ({@link SupernetOptionsByName}); other names take any object.
 *
 * @example
 * const net = createSupernet('resnet20-slim', { numClasses: 100 });
 * const tiny = createSupernet('ofa-mobilenetv2', { inputSize: 16, stages: [{ channels: 16, stride: 2 }] });
 */
export function createSupernet<N extends keyof SupernetOptionsByName>(
  name: N,
  overrides?: SupernetOptionsByName[N],
): Supernet;
export function createSupernet<N extends string>(
  name: N extends keyof SupernetOptionsByName ? never : N,
  overrides?: object,
): Supernet;
export function createSupernet(name: string, overrides?: object): Supernet {
  return supernetBuilders.get(name).create(overrides);
}

/** Registered supernet names, sorted, optionally filtered by a glob (`'resnet*'`) or a predicate. */
export function listSupernets(filter?: RegistryFilter<SupernetBuilderEntry>): string[] {
  return supernetBuilders.list(filter);
}

/** Registers a supernet builder under `name`; throws when the name is taken. */
export function registerSupernet(name: string, entry: SupernetBuilderEntry): void {
  if (typeof entry?.create !== 'function') {
    throw new AutomlError(
      '@automl-ts/core/registerSupernet',
      `supernet ${describeValue(name)} needs a create(overrides) function`,
    );
  }
  supernetBuilders.register(name, entry);
}

/** Removes a registered supernet builder (for tests and plugins that re-register); returns whether it existed. */
export function unregisterSupernet(name: string): boolean {
  return supernetBuilders.unregister(name);
}
