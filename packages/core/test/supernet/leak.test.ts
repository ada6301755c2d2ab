import { type ChoiceValue, createRng, createSupernet, initBackend, SGD, trainStep } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, test } from 'vitest';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

test('a supernet training loop over random architectures keeps tf.memory().numTensors flat for 50 steps', () => {
  const net = createSupernet('ofa-mobilenetv2', {
    inputSize: 8,
    stemChannels: 4,
    firstBlockChannels: 4,
    stages: [
      { channels: 4, stride: 1 },
      { channels: 8, stride: 2 },
    ],
    expandRatios: [2, 3],
    minDepth: 1,
    maxDepth: 2,
    lastChannels: 8,
    channelDivisor: 1,
    numClasses: 5,
  });
  const optimizer = new SGD(net.namedParameters(), { learningRate: 0.01, momentum: 0.9 });
  const rng = createRng(3);
  const batch = {
    x: tf.randomNormal([4, ...net.inputShape], 0, 1, 'float32', 2),
    y: tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 5),
  };
  // Warm up so that every momentum slot exists before counting: the largest architecture touches
  // every weight but the kernel transforms, which its 3×3 twin uses.
  const largest = net.largestArchitecture();
  const smallKernels: Record<string, ChoiceValue> = { ...largest };
  for (const name of Object.keys(smallKernels)) if (name.endsWith('.kernel')) smallKernels[name] = 3;
  trainStep(net, optimizer, batch, { arch: largest });
  trainStep(net, optimizer, batch, { arch: smallKernels });
  const before = tf.memory().numTensors;
  const counts: number[] = [];
  for (let i = 0; i < 50; i++) {
    trainStep(net, optimizer, batch, { arch: net.sample(rng) });
    counts.push(tf.memory().numTensors);
  }
  expect(counts).toEqual(new Array(50).fill(before));
  tf.dispose([batch.x, batch.y]);
  optimizer.dispose();
  net.dispose();
});
