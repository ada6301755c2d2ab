// Blocks, the branch registry, construction errors, apply with params, reparameterize and
// toRepBlocks: the fused model's graph and profile equal the plain model's, and it exports to a
// stock tf.LayersModel with the same outputs.

import {
  Activation,
  BatchNorm,
  Conv2d,
  createRng,
  GlobalAvgPool,
  initBackend,
  moduleFromConfig,
  NetworkGraph,
  profileModel,
  Residual,
  Sequential,
  serializeModule,
  toLayersModel,
} from '@automl-ts/core';
import {
  ACBlock,
  DiverseBranchBlock,
  fuseBlock,
  listBranchTypes,
  RepBlock,
  RepVGGBlock,
  registerBranchType,
  registerRepBlockClasses,
  reparameterize,
  toRepBlocks,
  unregisterBranchType,
} from '@automl-ts/rep-blocks';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
  registerRepBlockClasses();
});

const DBB = ['conv_kxk', 'conv_1x1', 'conv_1x1_kxk', 'conv_1x1_avg'];

function maxError(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(
    () => tf.max(tf.div(tf.abs(tf.sub(a, b)), tf.maximum(1, tf.abs(b)))).dataSync()[0] as number,
  );
}

/** Trains BN statistics a little so that inference differs from initialisation. */
function warmStatistics(model: { apply: (x: tf.Tensor, o: object) => tf.Tensor }, shape: number[]): void {
  for (let i = 0; i < 3; i++) {
    tf.tidy(() => model.apply(tf.randomNormal(shape, 0.3, 1.5, 'float32', i), { training: true }));
  }
}

describe('branch registry', () => {
  test('lists the built-ins; duplicates throw; unknown names list the known ones', () => {
    expect(listBranchTypes()).toContain('conv_1x1_avg');
    expect(() =>
      registerBranchType('conv_kxk', {
        description: 'x',
        create: () => new GlobalAvgPool(),
        fuse: () => ({}) as never,
      }),
    ).toThrow(/branch type "conv_kxk" is already registered/);
    expect(() => new RepBlock({ inChannels: 2, outChannels: 2, branches: ['conv_9x9'] })).toThrow(
      /@automl-ts\/rep-blocks\/RepBlock: unknown branch type "conv_9x9"; known: conv_1x1, conv_1x1_avg/,
    );
  });

  test('a branch type without a fusion rule is refused at registration', () => {
    expect(() =>
      registerBranchType('no_fuse', { description: 'x', create: () => new GlobalAvgPool() } as never),
    ).toThrow('@automl-ts/rep-blocks/registerBranchType: branch type "no_fuse" has no fusion rule');
  });

  test('a user branch type (a scaled 3x3 conv) registers with its forward and fusion rule', () => {
    registerBranchType('half_kxk', {
      description: 'K x K conv without BN, halved',
      create: (spec) =>
        new Sequential([
          [
            'conv',
            new Conv2d({
              inChannels: spec.inChannels,
              outChannels: spec.outChannels,
              kernelSize: spec.kernelSize,
              strides: spec.strides,
              padding: [
                [(spec.kernelSize - 1) / 2, (spec.kernelSize - 1) / 2],
                [(spec.kernelSize - 1) / 2, (spec.kernelSize - 1) / 2],
              ],
              seed: spec.rng,
            }),
          ],
          ['half', new Activation('identity')],
        ]),
      fuse: (branch) => {
        const conv = branch.children().get('conv') as Conv2d;
        return {
          kernel: tf.clone(conv.variable('kernel')) as tf.Tensor4D,
          bias: tf.clone(conv.variable('bias')) as tf.Tensor1D,
        };
      },
    });
    try {
      const block = new RepBlock({
        inChannels: 3,
        outChannels: 4,
        branches: ['conv_kxk', 'half_kxk'],
        activation: null,
        seed: 1,
      });
      const x = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 2);
      expect(maxError(fuseBlock(block).apply(x), block.apply(x))).toBeLessThan(1e-5);
    } finally {
      unregisterBranchType('half_kxk');
    }
  });
});

describe('construction errors', () => {
  test.each([
    [
      { inChannels: 4, outChannels: 4, strides: 2, branches: ['identity'] },
      /branch "identity" \(identity\) cannot be used here: needs stride 1, the block has stride 2/,
    ],
    [
      { inChannels: 4, outChannels: 8, branches: ['identity'] },
      /needs equal channels, the block maps 4 to 8/,
    ],
    [
      { inChannels: 4, outChannels: 4, kernelSize: 4, branches: ['conv_kxk'] },
      /kernelSize must be odd so that every branch shares the kernel's centre, got 4/,
    ],
    [
      { inChannels: 4, outChannels: 6, groups: 4, branches: ['conv_kxk'] },
      /groups 4 must divide inChannels 4 and outChannels 6/,
    ],
    [{ inChannels: 4, outChannels: 4, branches: [] }, /branches must be a non-empty list/],
    [
      { inChannels: 4, outChannels: 4, branches: ['conv_kxk', 'conv_kxk'] },
      /branch name "conv_kxk" appears twice/,
    ],
  ])('%j', (options, message) => {
    expect(() => new RepBlock(options as never)).toThrow(message);
  });

  test('the fixed blocks name themselves in errors', () => {
    expect(() => new DiverseBranchBlock({ inChannels: 0, outChannels: 2 })).toThrow(
      /@automl-ts\/rep-blocks\/DiverseBranchBlock: inChannels must be an integer >= 1, got 0/,
    );
  });
});

describe('blocks', () => {
  test.each([
    [
      'RepVGG',
      () => new RepVGGBlock({ inChannels: 4, outChannels: 4, seed: 1 }),
      ['conv_kxk', 'conv_1x1', 'identity'],
    ],
    [
      'RepVGG stride 2',
      () => new RepVGGBlock({ inChannels: 4, outChannels: 8, strides: 2, seed: 1 }),
      ['conv_kxk', 'conv_1x1'],
    ],
    [
      'ACNet',
      () => new ACBlock({ inChannels: 4, outChannels: 6, seed: 1 }),
      ['conv_kxk', 'conv_1xk', 'conv_kx1'],
    ],
    [
      'DBB',
      () => new DiverseBranchBlock({ inChannels: 4, outChannels: 6, strides: 2, groups: 2, seed: 1 }),
      DBB,
    ],
  ] as const)('%s: branches, forward/backward without NaN, fused ReLU output equal', (_, make, branches) => {
    const block = make();
    expect(block.branches().map(([n]) => n)).toEqual(branches);
    warmStatistics(block, [4, 9, 9, 4]);
    const x = tf.randomNormal([2, 9, 9, 4], 0, 1, 'float32', 3);
    const grads = tf.variableGrads(
      () => tf.sum(block.apply(x, { training: true })) as tf.Scalar,
      [...block.namedParameters().values()],
    );
    for (const g of Object.values(grads.grads)) expect(Number.isFinite(tf.sum(g).dataSync()[0])).toBe(true);
    const deployed = reparameterize(block);
    expect(maxError(deployed.apply(x), block.apply(x))).toBeLessThan(1e-5);
    expect(Math.min(...(block.apply(x).dataSync() as Float32Array))).toBeGreaterThanOrEqual(0);
  });

  test('apply with params overrides a branch weight without mutating it', () => {
    const block = new RepVGGBlock({ inChannels: 3, outChannels: 3, seed: 4 });
    const x = tf.randomNormal([1, 5, 5, 3], 0, 1, 'float32', 5);
    const name = 'conv_kxk.conv.kernel';
    const before = block.apply(x);
    const zeroed = block.apply(x, { params: { [name]: tf.zerosLike(block.namedParameters().get(name)!) } });
    expect(maxError(zeroed, before)).toBeGreaterThan(1e-3);
    expect(maxError(block.apply(x), before)).toBe(0);
  });

  test('config round trip (moduleFromConfig) and clone keep names and outputs', () => {
    const block = new DiverseBranchBlock({ inChannels: 3, outChannels: 5, seed: 6 });
    const twin = moduleFromConfig(JSON.parse(JSON.stringify(serializeModule(block))));
    expect([...twin.namedVariables().keys()]).toEqual([...block.namedVariables().keys()]);
    const copy = block.clone();
    const x = tf.randomNormal([1, 6, 6, 3], 0, 1, 'float32', 7);
    expect(maxError(copy.apply(x), block.apply(x))).toBe(0);
  });
});

describe('reparameterize and toRepBlocks', () => {
  function plainNet(): Sequential {
    const rng = createRng(8);
    return new Sequential([
      [
        'conv1',
        new Conv2d({
          inChannels: 3,
          outChannels: 8,
          kernelSize: 3,
          padding: [
            [1, 1],
            [1, 1],
          ],
          useBias: false,
          seed: rng,
        }),
      ],
      ['bn1', new BatchNorm({ channels: 8 })],
      ['relu1', new Activation('relu')],
      [
        'res',
        new Residual({
          body: [
            [
              'conv',
              new Conv2d({
                inChannels: 8,
                outChannels: 8,
                kernelSize: 3,
                groups: 2,
                padding: [
                  [1, 1],
                  [1, 1],
                ],
                useBias: false,
                seed: rng,
              }),
            ],
            ['bn', new BatchNorm({ channels: 8 })],
          ],
          postActivation: 'relu',
        }),
      ],
      [
        'conv2',
        new Conv2d({
          inChannels: 8,
          outChannels: 16,
          kernelSize: 3,
          strides: 2,
          padding: [
            [1, 1],
            [1, 1],
          ],
          useBias: false,
          seed: rng,
        }),
      ],
      ['bn2', new BatchNorm({ channels: 16 })],
      ['relu2', new Activation('relu')],
      ['pool', new GlobalAvgPool()],
    ]);
  }

  test('converts every conv+BN, trains, fuses back to the plain graph and profile, exports to a stock model', async () => {
    const plain = plainNet();
    const trainable = toRepBlocks(plain, { branches: DBB });
    expect([...trainable.modules()].filter((m) => m instanceof RepBlock)).toHaveLength(3);
    warmStatistics(trainable, [4, 10, 10, 3]);
    const deployed = reparameterize(trainable);
    const x = tf.randomNormal([2, 10, 10, 3], 0, 1, 'float32', 9);
    expect(maxError(deployed.apply(x), trainable.apply(x))).toBeLessThan(1e-5);
    // The plain model after BN folding has exactly the fused model's graph.
    const plainFused = reparameterize(toRepBlocks(plain, { branches: ['conv_kxk'] }));
    const graphOps = (m: Sequential | ReturnType<typeof reparameterize>) =>
      NetworkGraph.fromModule(m, [10, 10, 3])
        .layers()
        .map((n) => [n.name, n.op, n.outputShape, n.macs, n.params]);
    expect(graphOps(deployed)).toEqual(graphOps(plainFused));
    const profile = profileModel(deployed, { inputShape: [10, 10, 3] });
    expect(profile.macs).toBe(profileModel(plainFused, { inputShape: [10, 10, 3] }).macs);
    expect(profile.macs).toBe(profileModel(plain, { inputShape: [10, 10, 3] }).macs);
    const exported = toLayersModel(deployed, { inputShape: [10, 10, 3] });
    expect(maxError(exported.predict(x) as tf.Tensor, deployed.apply(x))).toBeLessThan(1e-5);
    // The original stays usable and unchanged in structure.
    expect([...trainable.modules()].filter((m) => m instanceof RepBlock)).toHaveLength(3);
    // An unfused model exports through the registered converter as its fused form.
    const direct = toLayersModel(trainable, { inputShape: [10, 10, 3] });
    expect(maxError(direct.predict(x) as tf.Tensor, trainable.apply(x))).toBeLessThan(1e-5);
  });

  test('toRepBlocks keeps a freshly converted kxk branch equal to the original conv+BN', () => {
    const plain = plainNet();
    warmStatistics(plain, [4, 10, 10, 3]);
    const converted = toRepBlocks(plain, { branches: ['conv_kxk'] });
    const x = tf.randomNormal([2, 10, 10, 3], 0, 1, 'float32', 10);
    expect(maxError(converted.apply(x), plain.apply(x))).toBeLessThan(1e-5);
  });

  test('a tf.LayersModel chain converts', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [8, 8, 3],
          filters: 4,
          kernelSize: 3,
          padding: 'same',
          useBias: false,
        }),
        tf.layers.batchNormalization(),
        tf.layers.reLU(),
        tf.layers.globalAveragePooling2d({}),
        tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      ],
    });
    const converted = toRepBlocks(model, { branches: ['conv_kxk'] });
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 11);
    expect(maxError(converted.apply(x), model.predict(x) as tf.Tensor)).toBeLessThan(1e-5);
    const rep = toRepBlocks(model, { branches: DBB });
    expect([...rep.modules()].filter((m) => m instanceof RepBlock)).toHaveLength(1);
    expect(() => toRepBlocks(model, { branches: [] })).toThrow(
      /@automl-ts\/rep-blocks\/toRepBlocks: options.branches must be a non-empty list/,
    );
  });
});
