// The plugin points of core share one shape: an exported Registry and create / list / register /
// unregister functions whose errors name the public function. One table runs the contract over all.
import {
  Activation,
  AutomlError,
  blocks,
  candidateOps,
  categorical,
  createBlock,
  createCandidateOp,
  createModel,
  createRng,
  createSearchSpace,
  createSupernet,
  defineSearchSpace,
  initBackend,
  listBlocks,
  listCandidateOps,
  listModels,
  listSearchSpaces,
  listSupernets,
  modelBuilders,
  type Registry,
  registerBlock,
  registerCandidateOp,
  registerModel,
  registerSearchSpace,
  registerSupernet,
  searchSpaces,
  supernetBuilders,
  unregisterBlock,
  unregisterCandidateOp,
  unregisterModel,
  unregisterSearchSpace,
  unregisterSupernet,
} from '@automl-ts/core';
import { beforeAll, describe, expect, test } from 'vitest';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

interface PluginPoint {
  /** What the messages call an entry. */
  readonly kind: string;
  readonly registry: Registry<unknown>;
  readonly create: (name: string) => unknown;
  readonly list: (filter?: string) => string[];
  readonly register: (name: string, entry: object) => void;
  readonly unregister: (name: string) => boolean;
  /** Public names of the create and register functions, as the errors give them. */
  readonly createSource: string;
  readonly registerSource: string;
  /** A valid entry to register. */
  readonly entry: object;
  readonly builtIn: readonly string[];
  readonly glob: readonly [string, readonly string[]];
}

const identity = () => new Activation('identity');

const POINTS: ReadonlyArray<[string, PluginPoint]> = [
  [
    'models',
    {
      kind: 'model',
      registry: modelBuilders,
      create: (name) => createModel(name),
      list: listModels,
      register: (name, entry) => registerModel(name, entry as Parameters<typeof registerModel>[1]),
      unregister: unregisterModel,
      createSource: 'createModel',
      registerSource: 'registerModel',
      entry: {
        description: 'identity',
        defaults: { numClasses: 1, inputSize: 1, inChannels: 1, seed: 0 },
        create: identity,
      },
      builtIn: ['conv4', 'mobilenetv1', 'mobilenetv2', 'resnet20', 'resnet56', 'vgg-small'],
      glob: ['resnet*', ['resnet20', 'resnet56']],
    },
  ],
  [
    'supernets',
    {
      kind: 'supernet',
      registry: supernetBuilders,
      create: (name) => createSupernet(name),
      list: listSupernets,
      register: (name, entry) => registerSupernet(name, entry as Parameters<typeof registerSupernet>[1]),
      unregister: unregisterSupernet,
      createSource: 'createSupernet',
      registerSource: 'registerSupernet',
      entry: { description: 'two cells', create: () => createSupernet('conv4-cells', { blocks: 2 }) },
      builtIn: [
        'conv4-cells',
        'mobilenetv2-slim',
        'ofa-mobilenetv2',
        'resnet20-slim',
        'resnet56-slim',
        'vgg-small-slim',
      ],
      glob: ['resnet*-slim', ['resnet20-slim', 'resnet56-slim']],
    },
  ],
  [
    'candidate ops',
    {
      kind: 'candidate op',
      registry: candidateOps,
      create: (name) =>
        createCandidateOp(name, { inChannels: 4, outChannels: 4, stride: 1, seed: createRng(0) }),
      list: listCandidateOps,
      register: (name, entry) =>
        registerCandidateOp(name, entry as Parameters<typeof registerCandidateOp>[1]),
      unregister: unregisterCandidateOp,
      createSource: 'createCandidateOp',
      registerSource: 'registerCandidateOp',
      entry: { description: 'identity', create: identity },
      builtIn: [
        'avg_pool3x3',
        'conv3x3',
        'conv5x5',
        'darts_conv3x3',
        'darts_sep_conv3x3',
        'darts_sep_conv5x5',
        'dil_conv3x3',
        'dil_conv5x5',
        'max_pool3x3',
        'mbconv3_e3',
        'mbconv3_e6',
        'mbconv5_e3',
        'mbconv5_e6',
        'sep_conv3x3',
        'sep_conv5x5',
        'skip',
        'zero',
      ],
      glob: ['sep_conv?x?', ['sep_conv3x3', 'sep_conv5x5']],
    },
  ],
  [
    'blocks',
    {
      kind: 'block',
      registry: blocks,
      create: (name) => createBlock(name, {}),
      list: listBlocks,
      register: (name, entry) => registerBlock(name, entry as Parameters<typeof registerBlock>[1]),
      unregister: unregisterBlock,
      createSource: 'createBlock',
      registerSource: 'registerBlock',
      entry: { description: 'identity', create: identity },
      builtIn: [
        'conv-bn-act',
        'depthwise-separable',
        'dynamic-mbconv',
        'inverted-residual',
        'resnet-basic',
        'slimmable-basic',
      ],
      glob: ['*basic', ['resnet-basic', 'slimmable-basic']],
    },
  ],
  [
    'search spaces',
    {
      kind: 'search space',
      registry: searchSpaces,
      create: (name) => createSearchSpace(name),
      list: listSearchSpaces,
      register: (name, entry) =>
        registerSearchSpace(name, entry as Parameters<typeof registerSearchSpace>[1]),
      unregister: unregisterSearchSpace,
      createSource: 'createSearchSpace',
      registerSource: 'registerSearchSpace',
      entry: { description: 'one width', create: () => defineSearchSpace([categorical('width', [8, 16])]) },
      builtIn: [
        'conv4-cells',
        'mobilenetv2-slim',
        'ofa-mobilenetv2',
        'resnet20-slim',
        'resnet56-slim',
        'vgg-small-slim',
      ],
      glob: ['resnet*', ['resnet20-slim', 'resnet56-slim']],
    },
  ],
];

describe.each(POINTS)('%s', (_name, point) => {
  test('the registry holds the built-in entries, and the list function lists them, sorted', () => {
    expect(point.list()).toEqual(point.builtIn);
    expect(point.registry.list()).toEqual(point.builtIn);
  });

  test('list filters by glob', () => {
    const [glob, expected] = point.glob;
    expect(point.list(glob)).toEqual(expected);
  });

  test('an unknown name throws from the create function, listing the registered names', () => {
    const error = thrown(() => point.create('no-such-entry'));
    expect(error).toBeInstanceOf(AutomlError);
    expect(error.message).toBe(
      `@automl-ts/core/${point.createSource}: unknown ${point.kind} "no-such-entry"; registered: ${point.builtIn.join(', ')}`,
    );
  });

  test('registering a taken name throws from the register function', () => {
    const taken = point.builtIn[0] as string;
    expect(() => point.register(taken, point.entry)).toThrow(
      `@automl-ts/core/${point.registerSource}: ${point.kind} "${taken}" is already registered`,
    );
  });

  test('an entry without a create function is refused', () => {
    expect(() => point.register('no-create', { description: 'nothing to build' })).toThrow(
      new RegExp(
        `^@automl-ts/core/${point.registerSource}: .*"no-create" needs a create\\(\\w+\\) function$`,
      ),
    );
    expect(point.registry.has('no-create')).toBe(false);
  });

  test('register adds an entry; unregister removes it and says whether it existed', () => {
    point.register('test-entry', point.entry);
    try {
      expect(point.list()).toContain('test-entry');
      expect(point.registry.get('test-entry')).toBe(point.entry);
      expect(() => point.register('test-entry', point.entry)).toThrow(/is already registered/);
    } finally {
      expect(point.unregister('test-entry')).toBe(true);
    }
    expect(point.unregister('test-entry')).toBe(false);
    expect(point.list()).toEqual(point.builtIn);
    expect(() => point.create('test-entry')).toThrow(`unknown ${point.kind} "test-entry"`);
  });
});

describe('typed create functions', () => {
  // Each `@ts-expect-error` below is checked by `pnpm typecheck`: the built-in names take their
  // own option types, so a misspelt option does not compile; at run time it throws as well.
  test('a misspelt option of a built-in name does not compile, and throws', () => {
    // @ts-expect-error: resnet20's depth is fixed; ResNetCifarOptions without `depth`
    expect(() => createModel('resnet20', { depth: 56 })).toThrow(/model "resnet20" has no option "depth"/);
    // @ts-expect-error: the option is `widthRatios`
    expect(() => createSupernet('resnet20-slim', { widths: [1] })).toThrow(/unknown option "widths"/);
    // @ts-expect-error: the option is `widthRatios`
    expect(() => createSearchSpace('resnet20-slim', { widths: [1] })).toThrow(/unknown option "widths"/);
    const misspelt = { maxInChannels: 4, maxOutChannels: 4, kernelSizes: [3], expandRatios: [3] };
    // @ts-expect-error: the block takes `expandRatio` (one ratio or a choice), not `expandRatios`
    expect(() => createBlock('dynamic-mbconv', misspelt)).toThrow(
      /expand ratios must be numbers >= 1, got undefined/,
    );
  });

  test('a name typed as string, or one of your own, takes any object', () => {
    const name: string = 'conv4';
    const model = createModel(name, { inputSize: 16, channels: 4 });
    expect(model.countParameters()).toBeGreaterThan(0);
    model.dispose();
    registerBlock('scale-free', {
      description: 'identity',
      create: (_options: { note: string }) => identity(),
    });
    try {
      expect(createBlock('scale-free', { note: 'untyped here' })).toBeInstanceOf(Activation);
    } finally {
      unregisterBlock('scale-free');
    }
  });
});

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}
