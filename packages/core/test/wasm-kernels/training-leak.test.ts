// Leak test: 100 SGD steps of a small CNN on wasm (every kernel of the training pack runs each step)
// leave as many tensors alive as one step does.

import { createRng, initBackend } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, expect, test } from 'vitest';

beforeAll(async () => {
  expect((await initBackend({ prefer: 'wasm' })).name).toBe('wasm');
});

const variables: tf.Variable[] = [];
afterAll(() => tf.dispose(variables));

test('100 SGD steps of a small CNN on wasm keep tf.memory() (tensors, buffers, bytes) constant', () => {
  const rng = createRng('leak');
  const param = (shape: number[], scale = 0.3) => {
    const v = tf.variable(tf.randomNormal(shape, 0, scale, 'float32', rng.seed()));
    variables.push(v);
    return v;
  };
  const w1 = param([3, 3, 3, 8]);
  const gamma = param([8]);
  const beta = param([8]);
  const dw = param([3, 3, 8, 2]);
  const pw = param([1, 1, 16, 12]);
  const dense = param([12, 5]);
  const bias = param([5]);
  const x = tf.randomNormal([4, 12, 12, 3], 0, 1, 'float32', rng.seed()) as tf.Tensor4D;
  const labels = tf.oneHot(tf.tensor1d([0, 3, 1, 4], 'int32'), 5) as tf.Tensor2D;
  const order = tf.tensor1d([1, 0, 3, 2], 'int32');
  const optimizer = tf.train.sgd(0.01);
  const loss = (): tf.Scalar => {
    let h: tf.Tensor4D = tf.conv2d(x, w1 as tf.Tensor4D, 1, 'same');
    const { mean, variance } = tf.moments(h, [0, 1, 2]);
    h = tf.relu6(
      tf.batchNorm(h, mean, variance, beta as tf.Tensor1D, gamma as tf.Tensor1D, 1e-3),
    ) as tf.Tensor4D;
    h = tf.maxPool(h, 2, 2, 'valid');
    h = tf.relu(tf.depthwiseConv2d(h, dw as tf.Tensor4D, 2, 'same'));
    h = tf.conv2d(h, pw as tf.Tensor4D, 1, 'valid');
    const logits = tf.add(tf.matMul(tf.mean(h, [1, 2]) as tf.Tensor2D, dense as tf.Tensor2D), bias);
    return tf.losses.softmaxCrossEntropy(tf.gather(labels, order), tf.gather(logits, order)) as tf.Scalar;
  };

  const counts: { numTensors: number; numDataBuffers: number; numBytes: number }[] = [];
  const losses: number[] = [];
  for (let step = 1; step <= 100; step++) {
    const cost = optimizer.minimize(loss, true, variables);
    losses.push(cost?.dataSync()[0] as number);
    cost?.dispose();
    if (step === 1 || step === 100) {
      const { numTensors, numDataBuffers, numBytes } = tf.memory();
      counts.push({ numTensors, numDataBuffers, numBytes });
    }
  }
  optimizer.dispose();
  tf.dispose([x, labels, order]);

  expect(counts[1]).toEqual(counts[0]);
  expect(losses.every(Number.isFinite)).toBe(true);
  expect(losses[99]).toBeLessThan(losses[0] as number);
});
