import { initBackend } from '@automl-ts/core';
import { createEpisodeSampler, splitByClass } from '@automl-ts/datasets';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { synthetic } from './helpers/synthetic.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

// 12 classes of 8 images, 5×5 gray; image i is filled with i, so its class is floor(i / 8).
const dataset = synthetic(Array(12).fill(8), { height: 5, width: 5, channels: 1 });

describe('createEpisodeSampler', () => {
  test('an episode has N×K support and N×Q query images, labels 0..N-1 class by class', async () => {
    const sampler = createEpisodeSampler(dataset, { ways: 5, shots: 2, queries: 3, seed: 1 });
    const episode = sampler.sample();
    expect(episode.support.x.shape).toEqual([10, 5, 5, 1]);
    expect(episode.query.x.shape).toEqual([15, 5, 5, 1]);
    expect(episode.support.y.dtype).toBe('int32');
    expect(Array.from(await episode.support.y.data())).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
    expect(Array.from(await episode.query.y.data())).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]);
    expect(new Set(episode.classes).size).toBe(5);
    expect(episode.classNames).toEqual(episode.classes.map((c) => `class${c}`));
    // Each image belongs to the class its remapped label stands for; support and query do not overlap.
    const support = await episode.support.x.data();
    episode.support.indices.forEach((index, i) => {
      expect(dataset.labels[index]).toBe(episode.classes[Math.floor(i / 2)]);
      expect(support[i * 25]).toBeCloseTo(index / 255, 6);
    });
    episode.query.indices.forEach((index, i) => {
      expect(dataset.labels[index]).toBe(episode.classes[Math.floor(i / 3)]);
    });
    const all = [...episode.support.indices, ...episode.query.indices];
    expect(new Set(all).size).toBe(all.length);
    episode.dispose();
    episode.dispose();
  });

  test('one-hot labels have N columns', async () => {
    const sampler = createEpisodeSampler(dataset, { ways: 3, shots: 1, queries: 1, labels: 'one-hot' });
    sampler.withEpisode((episode) => {
      expect(episode.support.y.shape).toEqual([3, 3]);
      expect(episode.query.y.shape).toEqual([3, 3]);
    });
  });

  test('the same seed gives the same episodes; the label mapping changes between episodes', () => {
    const draw = (seed: number) => {
      const sampler = createEpisodeSampler(dataset, { ways: 4, shots: 1, queries: 2, seed });
      return Array.from({ length: 5 }, () => sampler.sampleIndices());
    };
    const a = draw(4);
    expect(draw(4)).toEqual(a);
    expect(draw(5)).not.toEqual(a);
    expect(new Set(a.map((episode) => episode.classes.join(','))).size).toBeGreaterThan(1);
  });

  test('draws only from its classes: class-disjoint from the other parts of a split', () => {
    const { train, val } = splitByClass(dataset, { ratios: { train: 8, val: 4 }, seed: 2 });
    const trainSampler = createEpisodeSampler(train, { ways: 5, shots: 1, queries: 5, seed: 0 });
    const valSampler = createEpisodeSampler(val, { ways: 4, shots: 1, queries: 5, seed: 0 });
    const trainNames = new Set<string>();
    const valNames = new Set<string>();
    for (let i = 0; i < 50; i++) {
      for (const c of trainSampler.sampleIndices().classes) trainNames.add(train.classNames[c]!);
      for (const c of valSampler.sampleIndices().classes) valNames.add(val.classNames[c]!);
    }
    expect([...trainNames].filter((name) => valNames.has(name))).toEqual([]);
    expect(trainNames.size).toBe(8);
    const restricted = createEpisodeSampler(dataset, { ways: 2, shots: 1, queries: 1, classes: [3, 7, 9] });
    for (let i = 0; i < 20; i++) {
      for (const c of restricted.sampleIndices().classes) expect([3, 7, 9]).toContain(c);
    }
  });

  test('numTensors stays flat over many episodes (sample/dispose, withEpisode, episodes())', async () => {
    const sampler = createEpisodeSampler(dataset, { ways: 5, shots: 1, queries: 3, seed: 0 });
    const start = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) sampler.sample().dispose();
    expect(tf.memory().numTensors).toBe(start);
    for (let i = 0; i < 50; i++) {
      const sum = await sampler.withEpisode(async (episode) => {
        const total = episode.query.x.sum();
        const [value] = await total.data();
        total.dispose();
        return value;
      });
      expect(sum).toBeGreaterThan(0);
    }
    expect(tf.memory().numTensors).toBe(start);
    let seen = 0;
    for (const episode of sampler.episodes(100)) {
      expect(episode.support.x.isDisposed).toBe(false);
      seen++;
      if (seen === 60) break;
    }
    expect(seen).toBe(60);
    expect(tf.memory().numTensors).toBe(start);
    expect(() =>
      sampler.withEpisode(() => {
        throw new Error('boom');
      }),
    ).toThrowError('boom');
    expect(tf.memory().numTensors).toBe(start);
  });

  test.each([
    [{ ways: 13 }, 'ways must be an integer in [1, 12], got 13'],
    [{ ways: 0 }, 'ways must be an integer in [1, 12], got 0'],
    [{ shots: 0 }, 'shots must be an integer >= 1, got 0'],
    [{ queries: -1 }, 'queries must be an integer >= 0, got -1'],
    [
      { shots: 5, queries: 4 },
      'shots + queries = 5 + 4 = 9 exceeds the images of class 0 ("class0", 8 images); shots + queries must be in [1, 8]',
    ],
    [{ classes: [0, 12] }, 'classes[1] must be an integer in [0, 11], got 12'],
    [{ classes: [1, 1] }, 'classes must not repeat, got [1,1]'],
    [{ classes: [1, 2], ways: 3 }, 'ways must be an integer in [1, 2], got 3'],
  ])('rejects %j naming the parameter and its range', (options, message) => {
    expect(() => createEpisodeSampler(dataset, options)).toThrowError(
      `@automl-ts/datasets/createEpisodeSampler: ${message}`,
    );
  });

  test('names the smallest class when K + Q exceeds it', () => {
    const uneven = synthetic([8, 8, 3, 8]);
    expect(() => createEpisodeSampler(uneven, { ways: 2, shots: 1, queries: 3 })).toThrowError(
      'exceeds the images of class 2 ("class2", 3 images); shots + queries must be in [1, 3]',
    );
  });

  test('episodes(count) validates count', () => {
    const sampler = createEpisodeSampler(dataset, { ways: 2, queries: 1 });
    expect(() => sampler.episodes(-1)).toThrowError('count must be an integer >= 0, got -1');
  });
});
