import { createRng, initBackend } from '@automl-ts/core';
import {
  augmentImage,
  computeChannelStats,
  createBatchLoader,
  createImageDataset,
  type ImageBatch,
} from '@automl-ts/datasets';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { synthetic } from './helpers/synthetic.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

async function collect(
  iterable: AsyncIterable<ImageBatch>,
): Promise<{ indices: number[][]; sizes: number[] }> {
  const indices: number[][] = [];
  const sizes: number[] = [];
  for await (const batch of iterable) {
    indices.push(Array.from(batch.indices));
    sizes.push(batch.size);
    batch.dispose();
  }
  return { indices, sizes };
}

const nextMacrotask = () => new Promise((resolve) => setImmediate(resolve));

describe('createBatchLoader', () => {
  const dataset = synthetic([5, 5, 5], { height: 2, width: 3, channels: 1 });

  test('yields NHWC float32 images scaled to [0, 1] and one-hot labels', async () => {
    const loader = createBatchLoader(dataset, { batchSize: 4, shuffle: false });
    expect(loader.numBatches).toBe(4);
    expect(loader.numClasses).toBe(3);
    const iterator = loader.epoch();
    const { value: batch } = await iterator.next();
    expect(batch!.x.shape).toEqual([4, 2, 3, 1]);
    expect(batch!.x.dtype).toBe('float32');
    expect(batch!.y.shape).toEqual([4, 3]);
    expect(Array.from(batch!.indices)).toEqual([0, 1, 2, 3]);
    const x = await batch!.x.data();
    expect(x[6 * 3]).toBeCloseTo(3 / 255, 6);
    expect(Array.from(await batch!.y.data())).toEqual([1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0]);
    batch!.dispose();
    await iterator.return(undefined);
  });

  test('integer labels, drop-last and a partial last batch', async () => {
    const kept = await collect(createBatchLoader(dataset, { batchSize: 4, shuffle: false, labels: 'int' }));
    expect(kept.sizes).toEqual([4, 4, 4, 3]);
    const dropped = await collect(createBatchLoader(dataset, { batchSize: 4, dropLast: true }));
    expect(dropped.sizes).toEqual([4, 4, 4]);
    const loader = createBatchLoader(dataset, { batchSize: 15, labels: 'int', shuffle: false });
    for await (const batch of loader) {
      expect(batch.y.dtype).toBe('int32');
      expect(Array.from(await batch.y.data())).toEqual(Array.from(dataset.labels));
      batch.dispose();
    }
  });

  test('shuffles every epoch, seeded: each epoch is a permutation and seeds reproduce', async () => {
    const a = createBatchLoader(dataset, { batchSize: 5, seed: 7 });
    const b = createBatchLoader(dataset, { batchSize: 5, seed: 7 });
    const a1 = (await collect(a)).indices.flat();
    const a2 = (await collect(a)).indices.flat();
    const b1 = (await collect(b)).indices.flat();
    const b2 = (await collect(b)).indices.flat();
    expect([...a1].sort((x, y) => x - y)).toEqual(Array.from({ length: 15 }, (_, i) => i));
    expect(a1).not.toEqual(a2);
    expect(b1).toEqual(a1);
    expect(b2).toEqual(a2);
    const other = (await collect(createBatchLoader(dataset, { batchSize: 5, seed: 8 }))).indices.flat();
    expect(other).not.toEqual(a1);
  });

  test('normalises per channel with computed or given statistics', async () => {
    const rgb = createImageDataset({
      images: Uint8Array.from({ length: 2 * 2 * 3 }, (_, i) =>
        i % 3 === 0 ? 0 : i % 3 === 1 ? 255 : i * 10,
      ),
      labels: [0, 1],
      shape: { height: 1, width: 2, channels: 3 },
      classNames: ['a', 'b'],
    });
    const stats = computeChannelStats(rgb);
    expect(stats.mean[0]).toBe(0);
    expect(stats.mean[1]).toBe(1);
    const loader = createBatchLoader(rgb, {
      batchSize: 2,
      shuffle: false,
      normalize: { mean: [0.5], std: [0.25] },
    });
    for await (const batch of loader) {
      const x = await batch.x.data();
      expect(x[0]).toBeCloseTo(-2, 5);
      expect(x[1]).toBeCloseTo(2, 5);
      batch.dispose();
    }
    const computed = createBatchLoader(synthetic([8, 8], { height: 3, width: 3, channels: 1 }), {
      batchSize: 16,
      normalize: 'compute',
    });
    for await (const batch of computed) {
      const moments = tf.tidy(() => tf.moments(batch.x));
      expect((await moments.mean.data())[0]).toBeCloseTo(0, 4);
      expect(Math.sqrt((await moments.variance.data())[0]!)).toBeCloseTo(1, 4);
      tf.dispose([moments.mean, moments.variance]);
      batch.dispose();
    }
    expect(computed.normalization.std[0]).toBeGreaterThan(0);
  });

  test('prefetches the next batch while the consumer awaits, and releases it on early exit', async () => {
    const start = tf.memory().numTensors;
    const loader = createBatchLoader(dataset, { batchSize: 3, seed: 1 });
    for await (const batch of loader) {
      expect(tf.memory().numTensors).toBe(start + 2);
      await nextMacrotask();
      // The next batch (x and y) was built during the await.
      expect(tf.memory().numTensors).toBe(start + 4);
      batch.dispose();
      break;
    }
    expect(tf.memory().numTensors).toBe(start);
    const lazy = createBatchLoader(dataset, { batchSize: 3, prefetch: false });
    for await (const batch of lazy) {
      await nextMacrotask();
      expect(tf.memory().numTensors).toBe(start + 2);
      batch.dispose();
    }
    expect(tf.memory().numTensors).toBe(start);
  });

  test('numTensors stays flat across many epochs', async () => {
    const loader = createBatchLoader(dataset, { batchSize: 2, augment: { horizontalFlip: true } });
    await collect(loader);
    const start = tf.memory().numTensors;
    for (let epoch = 0; epoch < 20; epoch++) await collect(loader);
    expect(tf.memory().numTensors).toBe(start);
  });

  test.each([
    [{ batchSize: 0 }, 'batchSize must be an integer >= 1, got 0'],
    [{ labels: 'sparse' }, 'labels must be one of "one-hot", "int"; got "sparse"'],
    [
      { normalize: { mean: [0, 0], std: [1, 1] } },
      'normalize.mean must have 1 value (one per channel), got [0,0]',
    ],
    [{ normalize: { mean: [0], std: [0] } }, 'normalize.std[0] must be finite and > 0, got 0'],
    [
      { augment: { randomCrop: { padding: -1 } } },
      'augment.randomCrop.padding must be an integer in [0, 1024], got -1',
    ],
    [
      { augment: { horizontalFlip: 2 } },
      'augment.horizontalFlip must be a boolean or a probability in [0, 1], got 2',
    ],
  ])('rejects %j', (options, message) => {
    expect(() => createBatchLoader(dataset, options as never)).toThrowError(
      `@automl-ts/datasets/createBatchLoader: ${message}`,
    );
  });
});

describe('augmentation', () => {
  const shape = { height: 3, width: 3, channels: 1 };
  const image = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9);

  test('a certain flip mirrors left–right', () => {
    const out = augmentImage(image, shape, { horizontalFlip: 1 }, createRng(0));
    expect(Array.from(out)).toEqual([3, 2, 1, 6, 5, 4, 9, 8, 7]);
  });

  test('random crop with padding shifts by at most the padding and fills with `fill`', () => {
    const seen = new Set<string>();
    const rng = createRng(1);
    for (let i = 0; i < 200; i++) {
      const out = augmentImage(image, shape, { randomCrop: { padding: 1, fill: 0 } }, rng);
      seen.add(Array.from(out).join(','));
      // Every output is the image shifted by (dy, dx) in [-1, 1]² with zeros coming in.
      const centre = out[4]!;
      expect([1, 2, 3, 4, 5, 6, 7, 8, 9]).toContain(centre);
    }
    expect(seen.size).toBe(9);
    expect(seen).toContain('0,0,0,0,1,2,0,4,5');
    expect(seen).toContain('5,6,0,8,9,0,0,0,0');
  });

  test('is reproducible for a seed in the batch loader', async () => {
    const dataset = synthetic([4, 4], { height: 4, width: 4, channels: 3 });
    const options = {
      batchSize: 8,
      seed: 3,
      augment: { randomCrop: { padding: 2 }, horizontalFlip: true },
    } as const;
    const run = async () => {
      const out: number[] = [];
      for await (const batch of createBatchLoader(dataset, options)) {
        out.push(...(await batch.x.data()));
        batch.dispose();
      }
      return out;
    };
    expect(await run()).toEqual(await run());
  });
});
