import {
  createRng,
  createSupernet,
  initBackend,
  listSupernets,
  registerSupernet,
  supernetBuilders,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

/** Small overrides for every registered supernet; a builder registered without an entry here fails the test. */
const SMALL: Record<string, object> = {
  'ofa-mobilenetv2': {
    inputSize: 8,
    stemChannels: 4,
    firstBlockChannels: 4,
    stages: [
      { channels: 4, stride: 1 },
      { channels: 8, stride: 2 },
    ],
    maxDepth: 3,
    lastChannels: 8,
    channelDivisor: 2,
    numClasses: 4,
  },
  'resnet20-slim': { inputSize: 8, stageChannels: [4, 8, 8], numClasses: 4 },
  'resnet56-slim': { inputSize: 8, stageChannels: [4, 4, 4], numClasses: 4 },
  'conv4-cells': { inputSize: 16, channels: 4, numClasses: 4 },
  'vgg-small-slim': { inputSize: 8, numClasses: 4 },
  'mobilenetv2-slim': { widthMultiplier: 0.25, numClasses: 4 },
};

describe.each(listSupernets())('registered supernet %s', (name) => {
  test('forward + backward on the largest, the smallest and a random architecture: right shape, no NaN, gradients reach the active weights', () => {
    const overrides = SMALL[name];
    expect(overrides, `add small overrides for "${name}" to this test`).toBeDefined();
    const net = createSupernet(name, overrides);
    const [h, w, c] = net.inputShape as [number, number, number];
    const x = tf.randomNormal([3, h, w, c], 0, 1, 'float32', 1);
    const labels = tf.oneHot(tf.tensor1d([0, 1, 3], 'int32'), 4);
    const params = [...net.namedParameters()];
    for (const arch of [net.largestArchitecture(), net.smallestArchitecture(), net.sample(createRng(name))]) {
      const { value, grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(labels, net.apply(x, { arch, training: true })) as tf.Scalar,
        params.map(([, v]) => v),
      );
      expect(Number.isFinite(value.dataSync()[0])).toBe(true);
      // The active weights are those the extracted sub-network holds (sliced shapes; a layer
      // choice's chosen candidate `block0.op.conv3x3.*` is extracted as `block0.op.*`), plus OFA's
      // kernel transformation matrices `transformAtoB` of blocks that run with a kernel of B or
      // smaller (the extracted kernel is already transformed). Each must get a gradient, with no
      // more nonzero entries than the slice has; every other weight of the supernet must get none.
      const subnet = net.extract(arch);
      const extracted = new Map([...subnet.namedParameters()].map(([n, v]) => [n, v.size]));
      subnet.dispose();
      const activeSize = (paramName: string): number | undefined => {
        const transform = /^(.*)\.depthwise\.transform(\d+)to(\d+)$/.exec(paramName);
        if (transform !== null) {
          const kernel = arch[`${transform[1]}.kernel`];
          const blockRuns = [...extracted.keys()].some((n) => n.startsWith(`${transform[1]}.`));
          return blockRuns && typeof kernel === 'number' && kernel <= Number(transform[3])
            ? (params.find(([n]) => n === paramName)?.[1].size as number)
            : undefined;
        }
        let local = paramName;
        for (const [choice, value] of Object.entries(arch)) {
          if (typeof value === 'string' && local.startsWith(`${choice}.${value}.`)) {
            local = `${choice}.${local.slice(choice.length + value.length + 2)}`;
          }
        }
        return extracted.get(local);
      };
      expect(extracted.size).toBeGreaterThan(0);
      const byName = new Map(params.map(([n, v]) => [n, grads[v.name]]));
      for (const [paramName, grad] of byName) {
        const nonzero =
          grad === undefined
            ? 0
            : tf.tidy(() => tf.sum(tf.cast(tf.notEqual(grad, 0), 'int32')).dataSync()[0] as number);
        if (grad !== undefined)
          expect(
            tf.tidy(() => tf.any(tf.isNaN(grad)).dataSync()[0]),
            paramName,
          ).toBe(0);
        const size = activeSize(paramName);
        if (size === undefined) {
          expect(nonzero, `${paramName} is not in the sub-network but has a gradient`).toBe(0);
        } else {
          expect(nonzero, `${paramName} is active but has no gradient`).toBeGreaterThan(0);
          expect(nonzero, `${paramName}: gradient outside the active slice`).toBeLessThanOrEqual(size);
        }
      }
      const covered = [...byName.keys()].filter((n) => activeSize(n) !== undefined && !/transform/.test(n));
      expect(covered.length, 'every extracted weight is a supernet weight').toBe(extracted.size);
      const y = net.apply(x, { arch });
      expect(y.shape).toEqual([3, 4]);
      tf.dispose([value, y, ...Object.values(grads)]);
    }
    tf.dispose([x, labels]);
    net.dispose();
  });
});

describe('supernet registry', () => {
  test('lists the built-in supernets and filters by glob', () => {
    expect(listSupernets()).toEqual([
      'conv4-cells',
      'mobilenetv2-slim',
      'ofa-mobilenetv2',
      'resnet20-slim',
      'resnet56-slim',
      'vgg-small-slim',
    ]);
    expect(listSupernets('resnet*')).toEqual(['resnet20-slim', 'resnet56-slim']);
  });

  test('unknown names and options throw listing what exists', () => {
    expect(() => createSupernet('mobilenet-ofa')).toThrow(
      '@automl-ts/core/createSupernet: unknown supernet "mobilenet-ofa"; registered: conv4-cells, mobilenetv2-slim, ofa-mobilenetv2, resnet20-slim, resnet56-slim, vgg-small-slim',
    );
    expect(() => createSupernet('resnet20-slim', { widths: [1] } as object)).toThrow(
      '@automl-ts/core/resnetSlim: unknown option "widths"; options: inputSize, inChannels, numClasses, blocksPerStage, stageChannels, widthRatios, seed',
    );
    expect(() => createSupernet('conv4-cells', { ops: ['conv3x3', 'conv9x9'] })).toThrow(
      /^@automl-ts\/core\/createCandidateOp: unknown candidate op "conv9x9"; registered: .*conv3x3/,
    );
    expect(() => createSupernet('ofa-mobilenetv2', { expandRatios: [0.5] })).toThrow(
      'expand ratios must be numbers >= 1, got 0.5',
    );
  });

  test('a registered builder is created by name; duplicates throw', () => {
    registerSupernet('tiny-cells', {
      description: 'two-block cell net',
      create: (overrides) =>
        createSupernet('conv4-cells', { blocks: 2, channels: 4, inputSize: 8, ...overrides }),
    });
    try {
      const net = createSupernet('tiny-cells', { numClasses: 3 });
      expect(net.searchSpace.names).toEqual(['block0.op', 'block1.op']);
      net.dispose();
      expect(() => registerSupernet('tiny-cells', { description: '', create: () => net })).toThrow(
        '@automl-ts/core/registerSupernet: supernet "tiny-cells" is already registered',
      );
    } finally {
      supernetBuilders.unregister('tiny-cells');
    }
  });

  test('search spaces list choices in a readable order', () => {
    const ofa = createSupernet('ofa-mobilenetv2', SMALL['ofa-mobilenetv2']);
    expect(ofa.searchSpace.names.slice(0, 6)).toEqual([
      'width',
      'stage1.depth',
      'stage1.block0.kernel',
      'stage1.block0.expand',
      'stage1.block1.kernel',
      'stage1.block1.expand',
    ]);
    expect(ofa.searchSpace.choice('stage1.depth')).toEqual({
      kind: 'int',
      name: 'stage1.depth',
      min: 2,
      max: 3,
      step: 1,
    });
    ofa.dispose();
    const resnet = createSupernet('resnet20-slim', { stageChannels: [4, 8, 16] });
    expect(resnet.searchSpace.names.slice(0, 5)).toEqual([
      'stage1.width',
      'stage1.block0.width',
      'stage1.block1.width',
      'stage1.block2.width',
      'stage2.width',
    ]);
    expect(resnet.searchSpace.choice('stage3.width')).toEqual({
      kind: 'categorical',
      name: 'stage3.width',
      values: [4, 8, 12, 16],
    });
    resnet.dispose();
  });
});
