import { type Module, Registry, type RegistryFilter } from '@automl-ts/core';
import { ANIL, type AnilOptions } from './algorithms/anil.js';
import { MAML, type MamlOptions } from './algorithms/maml.js';
import { MetaSGD, type MetaSgdOptions } from './algorithms/meta-sgd.js';
import { ProtoNet, type ProtoNetOptions } from './algorithms/protonet.js';
import { Reptile, type ReptileOptions } from './algorithms/reptile.js';
import { describeValue, errorFactory } from './internal/errors.js';
import type { MetaLearner } from './learner.js';

/** A registered meta-learning algorithm. */
export interface MetaLearnerEntry {
  /** Builds the learner for a module. */
  create(module: Module, options: Readonly<Record<string, unknown>>): MetaLearner;
  /** One line: what it is and the paper. */
  readonly description: string;
  /** The option names it takes; `createMetaLearner` rejects others. */
  readonly options: readonly string[];
}

/** Options of each built-in algorithm, for typed {@link createMetaLearner} calls. */
export interface MetaLearnerOptionsByName {
  maml: MamlOptions;
  fomaml: Omit<MamlOptions, 'firstOrder'>;
  reptile: ReptileOptions;
  anil: AnilOptions;
  metasgd: MetaSgdOptions;
  protonet: ProtoNetOptions;
}

const COMMON = ['arch', 'loss'];
const GRADIENT = [...COMMON, 'innerLr', 'innerSteps', 'firstOrder'];

const registry = new Registry<MetaLearnerEntry>(
  {
    kind: 'meta-learning algorithm',
    sources: {
      get: '@automl-ts/meta-learning/createMetaLearner',
      register: '@automl-ts/meta-learning/registerMetaLearner',
    },
  },
  [
    [
      'maml',
      {
        create: (module, options) => new MAML(module, options as MamlOptions),
        description: 'MAML with second-order meta-gradients (Finn et al. 2017)',
        options: GRADIENT,
      },
    ],
    [
      'fomaml',
      {
        create: (module, options) => new MAML(module, { ...(options as MamlOptions), firstOrder: true }),
        description: 'first-order MAML (Finn et al. 2017, §5.2)',
        options: GRADIENT.filter((name) => name !== 'firstOrder'),
      },
    ],
    [
      'reptile',
      {
        create: (module, options) => new Reptile(module, options as ReptileOptions),
        description: 'Reptile (Nichol et al. 2018)',
        options: [...COMMON, 'innerLr', 'innerSteps', 'innerOptimizer', 'innerBatchSize'],
      },
    ],
    [
      'anil',
      {
        create: (module, options) => new ANIL(module, options as AnilOptions),
        description: 'ANIL: MAML adapting the head only (Raghu et al. 2020)',
        options: [...GRADIENT, 'head'],
      },
    ],
    [
      'metasgd',
      {
        create: (module, options) => new MetaSGD(module, options as MetaSgdOptions),
        description: 'Meta-SGD: MAML with meta-learned per-parameter inner learning rates (Li et al. 2017)',
        options: GRADIENT,
      },
    ],
    [
      'protonet',
      {
        create: (module, options) => new ProtoNet(module, options as ProtoNetOptions),
        description: 'Prototypical Networks (Snell et al. 2017)',
        options: ['arch', 'head'],
      },
    ],
  ],
);

/**
 * Builds a registered meta-learning algorithm by name (`maml`, `fomaml`, `reptile`, `anil`,
 * `metasgd`, `protonet`, or one added with {@link registerMetaLearner}). Unknown names and options
 * throw, listing what is allowed.
 *
 * @example
 * const learner = createMetaLearner('maml', createModel('conv4', { inputSize: 28, inChannels: 1, numClasses: 5 }), { innerLr: 0.4 });
 */
export function createMetaLearner<K extends keyof MetaLearnerOptionsByName>(
  name: K,
  module: Module,
  options?: MetaLearnerOptionsByName[K],
): MetaLearner;
export function createMetaLearner(
  name: string,
  module: Module,
  options?: Readonly<Record<string, unknown>>,
): MetaLearner;
export function createMetaLearner(name: string, module: Module, options: object = {}): MetaLearner {
  const entry = registry.get(name);
  for (const key of Object.keys(options)) {
    if (!entry.options.includes(key)) {
      throw errorFactory('createMetaLearner')(
        `algorithm "${name}" has no option ${describeValue(key)}; options: ${entry.options.join(', ')}`,
      );
    }
  }
  return entry.create(module, options as Readonly<Record<string, unknown>>);
}

/** Names of the registered algorithms, sorted; filter with a glob or a predicate. */
export function listMetaLearners(filter?: RegistryFilter<MetaLearnerEntry>): string[] {
  return registry.list(filter);
}

/** The entry registered under `name` (throws listing the registered names when unknown). */
export function getMetaLearnerEntry(name: string): MetaLearnerEntry {
  return registry.get(name);
}

/** Adds an algorithm to the registry of {@link createMetaLearner}; throws when the name is taken. */
export function registerMetaLearner(name: string, entry: MetaLearnerEntry): void {
  registry.register(name, entry);
}
