import { initBackend } from '@automl-ts/core';
import { trainStagewise } from '@automl-ts/stagewise-pruning';
import * as tf from '@tensorflow/tfjs';
import { expect, test } from 'vitest';
import { disposeBatches, randomBatches, tinySupernet, tinyTeacher } from './fixtures.js';

test('no tensor growth over 500 stage-wise supernet iterations', { timeout: 600_000 }, async () => {
  await initBackend({ prefer: 'cpu' });
  const teacher = tinyTeacher();
  const net = tinySupernet(teacher);
  const batches = randomBatches(4, 2, 9);
  const before = tf.memory().numTensors;
  const counts = new Map<number, number>();
  await trainStagewise(net, teacher, () => batches, {
    iterations: 500,
    randomSubnets: 1,
    onProgress: (event) => {
      if (event.iteration === 10 || event.iteration === 500)
        counts.set(event.iteration, tf.memory().numTensors);
    },
  });
  expect(counts.get(500)).toBe(counts.get(10));
  expect(tf.memory().numTensors).toBe(before);
  disposeBatches(batches);
  net.dispose();
  teacher.dispose();
});
