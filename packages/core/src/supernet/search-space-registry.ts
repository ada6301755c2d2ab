import { AutomlError, describeValue } from '../internal/errors.js';
import { Registry, type RegistryFilter } from '../registry/registry.js';
import type { SearchSpace } from '../search-space/search-space.js';
import {
  BUILTIN_SUPERNETS,
  type SupernetBuilderEntry,
  type SupernetOptionsByName,
} from './supernet-registry.js';

/** A registered search space: a factory taking overrides of its defaults, and a description. */
export interface SearchSpaceEntry {
  /** One line: what the choices are. */
  readonly description: string;
  /** Builds the space; unknown override keys throw. */
  create(overrides?: object): SearchSpace;
}

/**
 * Override types of the built-in search spaces, for typed {@link createSearchSpace} calls: each is
 * the space of the supernet of the same name and takes that supernet's options (those that only
 * size the weights, such as `seed` or `numClasses`, leave the space unchanged).
 */
export type SearchSpaceOptionsByName = SupernetOptionsByName;

/**
 * The space of a registered supernet: from the builder's `searchSpace(overrides)` when it has one
 * (the OFA and slimmable ResNet builders compute their choices before any weight, from the same
 * plan the build uses), else read off a supernet built for the purpose and disposed at once
 * (`conv4-cells` orders each choice's candidates by their MACs, which needs them built).
 */
function spaceOfSupernet(builder: SupernetBuilderEntry): SearchSpaceEntry['create'] {
  const { searchSpace } = builder;
  if (searchSpace !== undefined) return (overrides) => searchSpace.call(builder, overrides);
  return (overrides) => {
    const supernet = builder.create(overrides);
    try {
      return supernet.searchSpace;
    } finally {
      supernet.dispose();
    }
  };
}

/**
 * Search spaces by name, for {@link createSearchSpace}: the spaces of the built-in supernets
 * (`ofa-mobilenetv2`, `resnet20-slim`, `resnet56-slim`, `conv4-cells`) and any added with
 * {@link registerSearchSpace}.
 */
export const searchSpaces = /* @__PURE__ */ new Registry<SearchSpaceEntry>(
  {
    kind: 'search space',
    sources: { get: '@automl-ts/core/createSearchSpace', register: '@automl-ts/core/registerSearchSpace' },
  },
  BUILTIN_SUPERNETS.map(([name, builder]) => [
    name,
    { description: builder.description, create: spaceOfSupernet(builder) },
  ]),
);

/**
 * Builds a registered search space with some defaults overridden, without keeping any weights. The
 * built-in names take typed overrides ({@link SearchSpaceOptionsByName}); other names take any
 * object. An unknown name throws listing the registered ones.
 *
 * @example
 * const space = createSearchSpace('resnet20-slim', { widthRatios: [0.5, 1] });
 * space.names; // ['stage1.width', 'stage1.block0.width', …]
 * const arch = space.sample(createRng(0));
 */
export function createSearchSpace<N extends keyof SearchSpaceOptionsByName>(
  name: N,
  overrides?: SearchSpaceOptionsByName[N],
): SearchSpace;
export function createSearchSpace<N extends string>(
  name: N extends keyof SearchSpaceOptionsByName ? never : N,
  overrides?: object,
): SearchSpace;
export function createSearchSpace(name: string, overrides?: object): SearchSpace {
  return searchSpaces.get(name).create(overrides);
}

/** Registered search-space names, sorted, optionally filtered by a glob (`'resnet*'`) or a predicate. */
export function listSearchSpaces(filter?: RegistryFilter<SearchSpaceEntry>): string[] {
  return searchSpaces.list(filter);
}

/**
 * Adds a search space to the registry used by {@link createSearchSpace}; throws when the name is
 * taken.
 *
 * @example
 * registerSearchSpace('mlp-widths', {
 *   description: 'hidden widths of a two-layer MLP',
 *   create: () => defineSearchSpace([categorical('hidden1', [64, 128]), categorical('hidden2', [32, 64])]),
 * });
 */
export function registerSearchSpace(name: string, entry: SearchSpaceEntry): void {
  if (typeof entry?.create !== 'function') {
    throw new AutomlError(
      '@automl-ts/core/registerSearchSpace',
      `search space ${describeValue(name)} needs a create(overrides) function`,
    );
  }
  searchSpaces.register(name, entry);
}

/** Removes a registered search space (for tests and plugins that re-register); returns whether it existed. */
export function unregisterSearchSpace(name: string): boolean {
  return searchSpaces.unregister(name);
}
