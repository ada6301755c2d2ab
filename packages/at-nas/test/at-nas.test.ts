import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AtNasSearchOptions, adaptToTask, atNasSearch } from '@automl-ts/at-nas';
import { toLayersModel } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, test } from 'vitest';
import { imageTasks, tinySupernet, useBackend } from './helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const TASK = { ways: 3, shots: 1, queries: 2, size: 8 };

function searchOptions(overrides: Partial<AtNasSearchOptions> = {}): AtNasSearchOptions {
  return {
    supernet: tinySupernet(),
    tasks: (rng) => imageTasks(TASK, rng),
    validationTasks: (rng) => imageTasks(TASK, rng),
    iterations: 12,
    metaBatchSize: 2,
    innerSteps: 1,
    populationSize: 4,
    sampleSize: 2,
    evolveEvery: 4,
    children: 2,
    fitnessTasks: 2,
    seed: 3,
    ...overrides,
  };
}

function weights(options: AtNasSearchOptions): Map<string, number[]> {
  return new Map([...options.supernet.namedVariables()].map(([name, v]) => [name, Array.from(v.dataSync())]));
}

describe('atNasSearch on a tiny supernet (cpu)', () => {
  test('meta-trains with per-task architectures from the evolving population, then adapts to a novel task', async () => {
    await useBackend('cpu');
    const options = searchOptions();
    const generations: number[] = [];
    const result = await atNasSearch({
      ...options,
      onProgress: (event) => {
        if (event.type === 'generation') generations.push(event.record.generation);
      },
    });
    expect(result.metaTraining.iteration).toBe(12);
    expect(generations).toEqual([0, 1, 2]);
    expect(result.generations.map((g) => g.iteration)).toEqual([4, 8, 12]);
    expect(result.population).toHaveLength(4);
    for (const g of result.generations) {
      expect(g.populationFitness).toHaveLength(4);
      expect(g.children).toHaveLength(2);
      for (const f of g.populationFitness) expect(f).toBeGreaterThanOrEqual(0);
      expect(g.bestFitness).toBe(Math.max(...g.populationFitness));
    }
    const space = options.supernet.searchSpace;
    expect(() => space.validate(result.best)).not.toThrow();
    const used = new Set(
      result.metaTraining.history.flatMap((r) => (r.architectures ?? []).map((a) => space.key(a))),
    );
    expect(used.size).toBeGreaterThan(2);

    // Novel task: architecture from the support set only, then weights; timed by an injected clock.
    const novel = imageTasks(TASK, 77).sample();
    let clock = 0;
    const adaptation = await adaptToTask(result, novel.support, {
      generations: 2,
      children: 2,
      now: () => (clock += 250),
    });
    expect(adaptation.seconds).toEqual({ search: 0.25, weights: 0.25, total: 0.5 });
    expect(adaptation.scored.length).toBeGreaterThanOrEqual(4);
    const bestLoss = Math.min(...adaptation.scored.map((s) => s.supportLoss));
    expect(adaptation.scored.find((s) => s.architecture === adaptation.architecture)?.supportLoss).toBe(
      bestLoss,
    );
    const logits = adaptation.model.predict(novel.query.x);
    expect(logits.shape).toEqual([6, 3]);
    const subnet = await adaptation.extract();
    const model = toLayersModel(subnet, { inputShape: [8, 8, 1] });
    const viaLayers = model.predict(novel.query.x) as tf.Tensor;
    const viaSubnet = subnet.apply(novel.query.x);
    const gap = tf.tidy(() => tf.max(tf.abs(tf.sub(viaLayers, viaSubnet))).dataSync()[0] as number);
    expect(gap).toBeLessThan(1e-4);
    tf.dispose([logits, viaLayers, viaSubnet]);
    model.dispose();
    subnet.dispose();
    adaptation.dispose();
    novel.dispose();
    options.supernet.dispose();
  });

  test('a run stopped half-way and resumed from its checkpoint equals an uninterrupted run', async () => {
    await useBackend('cpu');
    const dir = await mkdtemp(join(tmpdir(), 'automl-ts-at-nas-'));
    dirs.push(dir);
    const straight = searchOptions({ surrogate: { screen: 2 } });
    const full = await atNasSearch(straight);
    const first = searchOptions({
      surrogate: { screen: 2 },
      iterations: 6,
      checkpoint: { directory: dir, every: 2 },
    });
    await atNasSearch(first);
    const second = searchOptions({
      surrogate: { screen: 2 },
      checkpoint: { directory: dir, every: 2 },
      seed: 3,
    });
    const resumed = await atNasSearch(second);
    expect(resumed.metaTraining.history).toEqual(full.metaTraining.history);
    expect(resumed.generations).toEqual(full.generations);
    expect(resumed.population).toEqual(full.population);
    expect(weights(second)).toEqual(weights(straight));
    for (const o of [straight, first, second]) o.supernet.dispose();
  });

  test('uniform sampling (the no-evolution baseline) draws from the whole space and never evolves', async () => {
    await useBackend('cpu');
    const options = searchOptions({ sampling: 'uniform' });
    const result = await atNasSearch(options);
    expect(result.generations).toEqual([]);
    expect(result.population).toEqual([]);
    options.supernet.dispose();
  });

  test('no tensor growth over 500 meta-iterations with the architecture changing every task', async () => {
    await useBackend('cpu');
    const options = searchOptions({
      supernet: tinySupernet({ size: 4, ways: 2, channels: 2 }),
      tasks: (rng) => imageTasks({ ways: 2, shots: 1, queries: 1, size: 4 }, rng),
      validationTasks: (rng) => imageTasks({ ways: 2, shots: 1, queries: 1, size: 4 }, rng),
      metaBatchSize: 1,
      evolveEvery: 100,
      fitnessTasks: 1,
      uniformFraction: 0.5,
    });
    const counts: number[] = [];
    const result = await atNasSearch({
      ...options,
      iterations: 500,
      onProgress: (event) => {
        if (
          event.type === 'meta-train' &&
          event.event.type === 'iteration' &&
          event.event.iteration % 100 === 0
        )
          counts.push(tf.memory().numTensors);
      },
    });
    expect(result.generations).toHaveLength(5);
    expect(
      new Set(result.metaTraining.history.map((r) => JSON.stringify(r.architectures))).size,
    ).toBeGreaterThan(10);
    expect(counts).toHaveLength(5);
    for (const count of counts) expect(count).toBe(counts[0]);
    options.supernet.dispose();
  }, 300_000);
});

test.each([['maml'], ['reptile']] as const)(
  'algorithm %s: meta-trains the supernet and evolves',
  async (algorithm) => {
    await useBackend('cpu');
    const options = searchOptions({ algorithm, iterations: 4, evolveEvery: 2 });
    const before = weights(options);
    const result = await atNasSearch(options);
    expect(result.learner.algorithm).toBe(algorithm);
    expect(result.generations).toHaveLength(2);
    const after = weights(options);
    expect([...after].some(([name, values]) => values.some((v, i) => v !== before.get(name)?.[i]))).toBe(
      true,
    );
    options.supernet.dispose();
  },
);

describe('bad input', () => {
  test('a population larger than the search space', async () => {
    const options = searchOptions({ populationSize: 17 });
    await expect(atNasSearch(options)).rejects.toThrow(
      '@automl-ts/at-nas/atNasSearch: populationSize 17 is larger than the search space (16 architectures)',
    );
    options.supernet.dispose();
  });

  test('a task whose images do not match the supernet', async () => {
    await useBackend('cpu');
    const options = searchOptions({ tasks: (rng) => imageTasks({ ...TASK, size: 6 }, rng) });
    await expect(atNasSearch(options)).rejects.toThrow(
      '@automl-ts/at-nas/atNasSearch: the support images of a task have shape [3,6,6,1], the supernet takes [n, 8, 8, 1]',
    );
    options.supernet.dispose();
  });

  test('a meta-validation task whose images do not match the supernet', async () => {
    await useBackend('cpu');
    const options = searchOptions({
      iterations: 4,
      validationTasks: (rng) => imageTasks({ ...TASK, size: 6 }, rng),
    });
    await expect(atNasSearch(options)).rejects.toThrow(
      '@automl-ts/at-nas/atNasSearch (validationTasks): the support images of a task have shape [3,6,6,1], the supernet takes [n, 8, 8, 1]',
    );
    options.supernet.dispose();
  });

  test('an architecture outside the search space', async () => {
    await useBackend('cpu');
    const options = searchOptions({ iterations: 0 });
    const result = await atNasSearch(options);
    const task = imageTasks(TASK, 1).sample();
    await expect(
      adaptToTask(
        {
          learner: result.learner,
          population: [{ architecture: { 'block0.op': 'conv7x7', 'block1.op': 'skip' } }],
        },
        task.support,
      ),
    ).rejects.toThrow(
      /^@automl-ts\/at-nas\/adaptToTask: population\[0\] is not in the supernet's search space: .*"block0\.op".*conv7x7/,
    );
    task.dispose();
    options.supernet.dispose();
  });
});
