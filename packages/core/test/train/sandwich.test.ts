import {
  createRng,
  createSupernet,
  crossEntropy,
  distillationLoss,
  featureDistillationLoss,
  initBackend,
  multiArchitectureStep,
  NonFiniteLossError,
  namedGradients,
  recalibrateBatchNorm,
  recalibratedSubnet,
  SGD,
  type Supernet,
  sandwichStep,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

const tinyNet = (): Supernet =>
  createSupernet('resnet20-slim', {
    inputSize: 8,
    stageChannels: [4, 8, 8],
    blocksPerStage: 1,
    numClasses: 3,
    seed: 1,
  });

const snapshot = (net: Supernet): Map<string, Float32Array> =>
  new Map([...net.namedParameters()].map(([n, v]) => [n, v.dataSync().slice() as Float32Array]));

describe('multiArchitectureStep', () => {
  test('sums the gradients of every architecture by parameter name before one update (SGD reference)', () => {
    const net = tinyNet();
    const x = tf.randomNormal([4, 8, 8, 3], 0, 1, 'float32', 2);
    const y = tf.tensor1d([0, 1, 2, 1], 'int32');
    const rng = createRng(3);
    const archs = [net.largestArchitecture(), net.smallestArchitecture(), net.sample(rng)];
    const lossOf = (arch: (typeof archs)[number]) =>
      crossEntropy(net.apply(x, { arch, training: true, updateStats: false }), y);
    // Reference: separate gradients, summed in float64.
    const expected = snapshot(net);
    const lr = 0.1;
    for (const arch of archs) {
      const { value, gradients } = namedGradients(() => lossOf(arch), net.namedParameters());
      for (const [name, g] of gradients) {
        const w = expected.get(name) as Float32Array;
        const gv = g.dataSync();
        for (let i = 0; i < w.length; i++) w[i] = (w[i] as number) - lr * (gv[i] as number);
      }
      tf.dispose([value, ...gradients.values()]);
    }
    const sgd = new SGD(net.namedParameters(), { learningRate: lr });
    const { losses } = multiArchitectureStep(sgd, archs, (arch) => lossOf(arch));
    expect(losses).toHaveLength(3);
    expect(sgd.iterations).toBe(1);
    for (const [name, v] of net.namedParameters()) {
      const want = expected.get(name) as Float32Array;
      const got = v.dataSync();
      for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(want[i] as number, 5);
    }
    tf.dispose([x, y]);
    sgd.dispose();
    net.dispose();
  });

  test('a non-finite loss throws before any update; bad arguments are refused', () => {
    const net = tinyNet();
    const sgd = new SGD(net.namedParameters(), { learningRate: 0.1 });
    const before = snapshot(net);
    const x = tf.ones([2, 8, 8, 3]);
    expect(() =>
      multiArchitectureStep(sgd, [net.largestArchitecture(), net.smallestArchitecture()], (arch, i) =>
        tf.tidy(
          () => tf.mul(tf.sum(net.apply(x, { arch, training: true })), i === 1 ? Number.NaN : 1) as tf.Scalar,
        ),
      ),
    ).toThrow(NonFiniteLossError);
    for (const [name, v] of net.namedParameters()) expect(v.dataSync()).toEqual(before.get(name));
    expect(() => multiArchitectureStep(sgd, [], () => tf.scalar(0))).toThrow(
      '@automl-ts/core/multiArchitectureStep: architectures must be a non-empty array, got []',
    );
    x.dispose();
    sgd.dispose();
    net.dispose();
  });
});

describe('sandwichStep', () => {
  test('the teacher learns from the labels, the others from its soft labels; no tensor growth', () => {
    const net = tinyNet();
    const x = tf.randomNormal([4, 8, 8, 3], 0, 1, 'float32', 5);
    const y = tf.tensor1d([0, 1, 2, 1], 'int32');
    const archs = [net.largestArchitecture(), net.smallestArchitecture()];
    // Expected losses from an identical copy (BN statistics update in training mode, so use a clone).
    const copy = net.clone();
    const teacher = copy.apply(x, { arch: archs[0], training: true });
    const student = copy.apply(x, { arch: archs[1], training: true });
    const ce = crossEntropy(teacher, y).dataSync()[0] as number;
    const kd = distillationLoss(student, teacher).dataSync()[0] as number;
    tf.dispose([teacher, student]);
    copy.dispose();
    const sgd = new SGD(net.namedParameters(), { learningRate: 0.01, momentum: 0.9 });
    const { losses } = sandwichStep(net, sgd, { x, y }, { architectures: archs });
    expect(losses[0]).toBeCloseTo(ce, 5);
    expect(losses[1]).toBeCloseTo(kd, 5);
    const rng = createRng(1);
    const count = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) {
      sandwichStep(net, sgd, { x, y }, { architectures: [...archs, net.sample(rng)], clipNorm: 5 });
      expect(tf.memory().numTensors).toBe(count);
    }
    tf.dispose([x, y]);
    sgd.dispose();
    net.dispose();
  });
});

describe('featureDistillationLoss', () => {
  test('mean of per-stage MSEs (weighted), no gradient to the teacher, shape errors name the map', () => {
    const s = [
      tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
      tf.tensor1d([0, 0, 3]),
    ];
    const t = [
      tf.tensor2d([
        [1, 0],
        [3, 0],
      ]),
      tf.tensor1d([1, 1, 1]),
    ];
    // MSEs: (4 + 16) / 4 = 5 and (1 + 1 + 4) / 3 = 2.
    expect(featureDistillationLoss(s, t).dataSync()[0]).toBeCloseTo(3.5, 6);
    expect(featureDistillationLoss(s, t, { weights: [1, 2] }).dataSync()[0]).toBeCloseTo(9, 6);
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => featureDistillationLoss(a, b))([
      s[0] as tf.Tensor,
      t[0] as tf.Tensor,
    ]);
    expect([...(grads[1] as tf.Tensor).dataSync()]).toEqual([0, 0, 0, 0]);
    expect([...(grads[0] as tf.Tensor).dataSync()]).toEqual([0, 1, 0, 2]);
    expect(() => featureDistillationLoss(s, [t[0] as tf.Tensor, tf.zeros([2])])).toThrow(
      '@automl-ts/core/featureDistillationLoss: feature map 1: student [3] and teacher [2] must have the same shape',
    );
    expect(() => featureDistillationLoss(s, t, { weights: [1] })).toThrow(/weights must be 2 finite numbers/);
    tf.dispose([...s, ...t, ...grads]);
  });
});

describe('recalibratedSubnet', () => {
  test('re-estimates BN on a copy: the supernet is untouched, concurrent calls equal sequential ones and the in-place recalibration', async () => {
    const net = tinyNet();
    // Give the shared statistics something to lose.
    const sgd = new SGD(net.namedParameters(), { learningRate: 0.01 });
    const x = tf.randomNormal([8, 8, 8, 3], 0.5, 2, 'float32', 7);
    const y = tf.tensor1d([0, 1, 2, 1, 0, 1, 2, 0], 'int32');
    sandwichStep(
      net,
      sgd,
      { x, y },
      { architectures: [net.largestArchitecture(), net.smallestArchitecture()] },
    );
    const batches = [0, 1, 2].map((i) => tf.randomNormal([4, 8, 8, 3], 0, 1, 'float32', 10 + i));
    const buffers = () => new Map([...net.namedBuffers()].map(([n, v]) => [n, [...v.dataSync()]]));
    const statsBefore = buffers();
    const rng = createRng(9);
    const archs = [net.sample(rng), net.sample(rng)];
    const concurrent = await Promise.all(archs.map((arch) => recalibratedSubnet(net, arch, batches)));
    expect(buffers()).toEqual(statsBefore);
    for (const [i, arch] of archs.entries()) {
      const sequential = await recalibratedSubnet(net, arch, batches);
      const a = (concurrent[i] as NonNullable<(typeof concurrent)[number]>).apply(x);
      const b = sequential.apply(x);
      // The old way: recalibrate the shared statistics for this arch, then run the supernet.
      const inPlace = net.clone();
      await recalibrateBatchNorm(inPlace, batches, { arch });
      const c = inPlace.apply(x, { arch });
      expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBe(0);
      expect(tf.max(tf.abs(tf.sub(b, c))).dataSync()[0]).toBeLessThan(1e-5);
      tf.dispose([a, b, c]);
      sequential.dispose();
      inPlace.dispose();
    }
    for (const subnet of concurrent) subnet.dispose();
    tf.dispose([x, y, ...batches]);
    sgd.dispose();
    net.dispose();
  });
});
