import {
  createCandidateOp,
  createRng,
  createSupernet,
  DARTS_OPS,
  initBackend,
  profileModel,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';

describe.each(['cpu', 'wasm'] as const)('the DARTS / T-NAS candidate ops (%s)', (backend) => {
  test.each(DARTS_OPS.map((op) => [op]))(
    '%s: right shape, gradients reach every weight, no NaN',
    async (op) => {
      await initBackend({ prefer: backend });
      const module = createCandidateOp(op, { inChannels: 4, outChannels: 4, stride: 1, seed: createRng(op) });
      const x = tf.randomNormal([2, 7, 7, 4], 0, 1, 'float32', 1);
      const params = [...module.namedParameters()];
      expect(module.apply(x).shape).toEqual([2, 7, 7, 4]);
      // Every weight and the input get finite gradients (pooling and identity have no weights).
      if (params.length === 0) {
        const gx0 = tf.grad(
          (input: tf.Tensor) => tf.sum(tf.square(module.apply(input, { training: true }))) as tf.Scalar,
        )(x);
        expect(tf.tidy(() => tf.all(tf.isFinite(gx0)).dataSync()[0])).toBe(1);
        tf.dispose([x, gx0]);
        module.dispose();
        return;
      }
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.square(module.apply(x, { training: true }))) as tf.Scalar,
        params.map(([, v]) => v),
      );
      expect(Number.isFinite(value.dataSync()[0])).toBe(true);
      for (const [name, variable] of params) {
        const g = grads[variable.name] as tf.Tensor;
        expect(g?.shape, name).toEqual(variable.shape);
        expect(
          tf.tidy(() => tf.all(tf.isFinite(g)).dataSync()[0]),
          name,
        ).toBe(1);
      }
      const gx = tf.grad(
        (input: tf.Tensor) => tf.sum(tf.square(module.apply(input, { training: true }))) as tf.Scalar,
      )(x);
      expect(tf.tidy(() => tf.all(tf.isFinite(gx)).dataSync()[0])).toBe(1);
      gx.dispose();
      tf.dispose([x, value, ...Object.values(grads)]);
      module.dispose();
    },
  );
});

test('DARTS separable convolutions run twice in ReLU → conv → BN order; dilated ones dilate by 2', () => {
  const sep = createCandidateOp('darts_sep_conv5x5', {
    inChannels: 3,
    outChannels: 6,
    stride: 1,
    seed: createRng(0),
  });
  expect([...sep.namedParameters().keys()].filter((n) => n.endsWith('kernel'))).toEqual([
    'first.depthwise.kernel',
    'first.pointwise.kernel',
    'second.depthwise.kernel',
    'second.pointwise.kernel',
  ]);
  const dil = createCandidateOp('dil_conv3x3', {
    inChannels: 3,
    outChannels: 3,
    stride: 1,
    seed: createRng(0),
  });
  expect([...dil.children().keys()]).toEqual(['relu', 'depthwise', 'pointwise', 'bn']);
  expect((dil.children().get('depthwise') as unknown as { dilation: number[] }).dilation).toEqual([2, 2]);
  expect(() =>
    createCandidateOp('dil_conv5x5', { inChannels: 3, outChannels: 3, stride: 2, seed: createRng(0) }),
  ).toThrow(
    '@automl-ts/core/createCandidateOp: op "dil_conv5x5" needs stride 1 (TF.js cannot combine stride and dilation), got stride 2',
  );
  sep.dispose();
  dil.dispose();
});

test('conv4-cells over the DARTS ops: the extracted sub-network computes what the supernet does', async () => {
  await initBackend({ prefer: 'cpu' });
  const net = createSupernet('conv4-cells', {
    inputSize: 12,
    channels: 4,
    blocks: 2,
    ops: DARTS_OPS,
    seed: 2,
  });
  const x = tf.randomNormal([3, 12, 12, 1], 0, 1, 'float32', 3);
  const rng = createRng(5);
  for (let i = 0; i < 4; i++) {
    const arch = net.sample(rng);
    const subnet = net.extract(arch);
    const gap = tf.tidy(
      () => tf.max(tf.abs(tf.sub(net.apply(x, { arch }), subnet.apply(x)))).dataSync()[0] as number,
    );
    expect(gap, JSON.stringify(arch)).toBeLessThan(1e-5);
    subnet.dispose();
  }
  x.dispose();
  net.dispose();
});

test('conv4-cells: the largest architecture is the most expensive, the smallest the cheapest', () => {
  const net = createSupernet('conv4-cells', {
    inputSize: 12,
    channels: 4,
    blocks: 2,
    ops: DARTS_OPS,
    seed: 2,
  });
  const macs = (arch: ReturnType<typeof net.sample>) => {
    const subnet = net.extract(arch);
    const value = profileModel(subnet, { inputShape: [12, 12, 1] }).macs;
    subnet.dispose();
    return value;
  };
  const rng = createRng(9);
  const samples = Array.from({ length: 12 }, () => macs(net.sample(rng)));
  const largest = macs(net.largestArchitecture());
  const smallest = macs(net.smallestArchitecture());
  expect(largest).toBeGreaterThan(smallest);
  for (const m of samples) {
    expect(m).toBeLessThanOrEqual(largest);
    expect(m).toBeGreaterThanOrEqual(smallest);
  }
  net.dispose();
});
