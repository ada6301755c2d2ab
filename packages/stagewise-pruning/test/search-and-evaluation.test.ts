import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  architectureCost,
  initBackend,
  type Module,
  profileModel,
  recalibrateBatchNorm,
} from '@automl-ts/core';
import {
  createWidthEvaluator,
  evaluateAccuracy,
  kendallTau,
  l1PruneAtBudget,
  searchWidths,
  spearmanRho,
  uniformArchitecture,
  uniformAtBudget,
} from '@automl-ts/stagewise-pruning';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { disposeBatches, randomBatches, snapshot, tinySupernet, tinyTeacher } from './fixtures.js';

let teacher: Module;
const calibration = randomBatches(2, 8, 2);
const validation = randomBatches(2, 6, 3);
beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
  teacher = tinyTeacher();
});
afterAll(() => {
  disposeBatches([...calibration, ...validation]);
  teacher.dispose();
});

describe('createWidthEvaluator', () => {
  test('scores the recalibrated subnet on the validation split, caches, leaves the supernet alone', async () => {
    const net = tinySupernet(teacher);
    const before = snapshot(net);
    const evaluate = createWidthEvaluator(net, { calibration, validation, keepOutcomes: true });
    const arch = uniformArchitecture(net, 0.5);
    const [a, b] = await Promise.all([evaluate(arch), evaluate(arch)]);
    expect(a).toBe(b);
    expect(evaluate.cacheSize()).toBe(1);
    expect(snapshot(net)).toEqual(before);
    // Reference: recalibrate the extracted subnet by hand.
    const subnet = net.extract(arch);
    await recalibrateBatchNorm(subnet, calibration);
    const reference = evaluateAccuracy(subnet, validation);
    expect(a?.accuracy).toBe(reference.accuracy);
    expect(a?.outcomes).toEqual(reference.outcomes);
    expect(a?.outcomes).toHaveLength(12);
    expect(a?.macs).toBe(profileModel(subnet, { inputShape: [8, 8, 3] }).macs);
    subnet.dispose();
    net.dispose();
  });
});

describe('searchWidths', () => {
  test('every candidate meets the MACs budget; same seed, same history; resumes from its checkpoint', async () => {
    const net = tinySupernet(teacher);
    const full = architectureCost(net, net.largestArchitecture()).macs;
    const evaluate = createWidthEvaluator(net, { calibration, validation });
    const options = {
      budget: { macs: 0.5 * full },
      evaluations: 12,
      populationSize: 4,
      sampleSize: 2,
      seed: 3,
    };
    const first = await searchWidths(net, evaluate, options);
    expect(first.history).toHaveLength(12);
    for (const record of first.history)
      expect(architectureCost(net, record.architecture).macs).toBeLessThanOrEqual(0.5 * full);
    const again = await searchWidths(net, evaluate, options);
    expect(again.history.map((r) => r.architecture)).toEqual(first.history.map((r) => r.architecture));
    const dir = await mkdtemp(join(tmpdir(), 'swp-search-'));
    try {
      await searchWidths(net, evaluate, { ...options, evaluations: 8, checkpointDir: dir });
      const resumed = await searchWidths(net, evaluate, { ...options, checkpointDir: dir });
      expect(resumed.history.map((r) => r.architecture)).toEqual(first.history.map((r) => r.architecture));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const front = await searchWidths(net, evaluate, { ...options, strategy: 'nsga2' });
    expect(front.front.length).toBeGreaterThan(0);
    net.dispose();
  });

  test('a budget no subnet can meet, and a missing budget, are refused naming the value', async () => {
    const net = tinySupernet(teacher);
    const evaluate = createWidthEvaluator(net, { calibration, validation });
    const tiny = architectureCost(net, net.smallestArchitecture()).macs;
    await expect(searchWidths(net, evaluate, { budget: { macs: tiny - 1 } })).rejects.toThrow(
      `@automl-ts/stagewise-pruning/searchWidths: no subnet can meet budget.macs = ${tiny - 1}: the smallest architecture has ${tiny} macs`,
    );
    await expect(searchWidths(net, evaluate, { budget: {} })).rejects.toThrow(
      'budget needs at least one of macs, params, latency',
    );
    net.dispose();
  });
});

describe('baselines', () => {
  test('uniform width: the widest uniform architecture within the budget', () => {
    const net = tinySupernet(teacher);
    const full = architectureCost(net, net.largestArchitecture()).macs;
    const { arch, ratio, macs } = uniformAtBudget(net, 0.5 * full);
    expect(macs).toBeLessThanOrEqual(0.5 * full);
    expect(ratio).toBe(0.5);
    expect(architectureCost(net, uniformArchitecture(net, 0.75)).macs).toBeGreaterThan(0.5 * full);
    expect(Object.values(arch).every((w) => typeof w === 'number')).toBe(true);
    expect(() => uniformArchitecture(net, 1.5)).toThrow(
      '@automl-ts/stagewise-pruning/uniformArchitecture: ratio must be a number in (0, 1], got 1.5',
    );
    net.dispose();
  });

  test('L1-norm filter pruning: a really smaller model within the budget', () => {
    const full = profileModel(teacher, { inputShape: [8, 8, 3] }).macs;
    const { model, ratio, macs } = l1PruneAtBudget(teacher, 0.5 * full, [8, 8, 3]);
    expect(macs).toBeLessThanOrEqual(0.5 * full);
    expect(macs).toBeGreaterThan(0.35 * full);
    expect(ratio).toBeGreaterThan(0);
    expect(profileModel(model, { inputShape: [8, 8, 3] }).macs).toBe(macs);
    const y = model.apply(tf.zeros([1, 8, 8, 3]));
    expect(y.shape).toEqual([1, 3]);
    y.dispose();
    model.dispose();
  });
});

describe('rank correlation (values from scipy 1.17 kendalltau / spearmanr)', () => {
  test.each<[number[], number[], number, number]>([
    [[1, 2, 3, 4, 5], [5, 6, 7, 8, 7], 0.7378647873726218, 0.8207826816681233],
    [[12, 2, 1, 12, 2], [1, 4, 7, 1, 0], -0.4714045207910316, -0.5407380704358752],
    [
      [0.91, 0.88, 0.9, 0.85, 0.87, 0.89],
      [0.93, 0.9, 0.92, 0.86, 0.9, 0.91],
      0.9660917830792959,
      0.9856107606091623,
    ],
  ])('τ and ρ of %j vs %j', (x, y, tau, rho) => {
    expect(kendallTau(x, y)).toBeCloseTo(tau, 12);
    expect(spearmanRho(x, y)).toBeCloseTo(rho, 12);
  });

  test('mismatched or short samples are refused', () => {
    expect(() => kendallTau([1, 2], [1])).toThrow(
      '@automl-ts/stagewise-pruning/kendallTau: needs two arrays of the same length >= 2',
    );
    expect(() => spearmanRho([1, Number.NaN], [1, 2])).toThrow('values must be finite numbers, got NaN');
  });
});
