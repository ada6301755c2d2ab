// RepNAS search on a tiny ODBB net: budget errors, the schedule's phases, no tensor growth over
// 300 steps, and a killed-and-resumed search ending with the same mask, α and weights.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng, initBackend } from '@automl-ts/core';
import {
  createRepNet,
  deploySearched,
  extractSearched,
  perturbLogits,
  type RepnasStepEvent,
  repBlocksOf,
  repnasBudget,
  repnasSearch,
  searchedLayerBranches,
  topKMask,
} from '@automl-ts/rep-blocks';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';

const TINY = {
  stemWidth: 4,
  depths: [1, 1, 1, 1],
  widths: [4, 8, 8, 8],
  stemStride: 1,
  stageStrides: [1, 2, 2, 1],
} as const;

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

function tinyNet(seed = 0) {
  return createRepNet({ size: TINY, form: 'odbb', numClasses: 3, seed });
}

/** Deterministic per-step batches of a learnable toy task (class = brightest third of the image). */
function batchAt(step: number) {
  return tf.tidy(() => {
    const rng = createRng(1000 + step);
    const labels = Array.from({ length: 4 }, () => rng.int(0, 2));
    const x = tf.stack(
      labels.map((label, i) =>
        tf.add(tf.randomNormal([8, 8, 3], 0, 0.3, 'float32', 1 + 31 * step + i), label - 1),
      ),
    );
    return { x, labels: tf.tensor1d(labels, 'int32') };
  });
}

describe('sampling', () => {
  test('top-k keeps the k largest, ties to the lower index', () => {
    expect(Array.from(topKMask([0.1, 0.5, 0.5, -1], 2))).toEqual([0, 1, 1, 0]);
  });
  test('logistic noise is seeded and has the logistic variance π²/3', () => {
    const a = perturbLogits(new Float32Array(20000), createRng(1));
    const b = perturbLogits(new Float32Array(20000), createRng(1));
    expect(Array.from(a)).toEqual(Array.from(b));
    const variance = a.reduce((s, v) => s + v * v, 0) / a.length;
    expect(variance).toBeGreaterThan(3.1);
    expect(variance).toBeLessThan(3.45);
  });
});

describe('budget', () => {
  test('k = floor(layers · 6 · keptRatio); too small or too large budgets throw', () => {
    const net = tinyNet();
    expect(repnasBudget(net, 0.34).budget).toBe(Math.floor(5 * 6 * 0.34));
    // Without identity: the stem (3 → 4 channels) and the strided stage2 and stage3 blocks.
    expect(() => repnasBudget(net, 0.34, 2)).toThrow(
      /@automl-ts\/rep-blocks\/repnasSearch: budget 2 is smaller than the 3 layers without an identity branch/,
    );
    expect(() => repnasBudget(net, 0.34, 31)).toThrow(
      /budget 31 is larger than all 30 searchable branches \(5 layers x 6\)/,
    );
    expect(() => repnasBudget(createRepNet({ size: TINY, form: 'dbb' }), 0.34)).toThrow(
      /expected 6 \(build it with form 'odbb'\)/,
    );
  });

  test('searchedLayerBranches rebuilds the searched architecture; a wrong layer count throws', () => {
    const net = tinyNet();
    const kept = [['conv_1x1'], ['conv_kxk'], ['conv_1xk', 'conv_kx1'], ['conv_1x1_kxk'], []];
    const branches = searchedLayerBranches(net, kept);
    expect(branches[1]).toEqual([
      ['conv_kxk', 'conv_kxk'],
      ['identity', 'identity'],
    ]);
    expect(branches[3]).toEqual([['conv_1x1_kxk', 'conv_kxk']]);
    expect(branches[4]).toEqual([['identity', 'identity']]);
    const fresh = createRepNet({ size: TINY, form: 'odbb', numClasses: 3, layerBranches: branches });
    expect(repBlocksOf(fresh).map((b) => b.branches().length)).toEqual([1, 2, 2, 1, 1]);
    expect(() => createRepNet({ size: TINY, form: 'odbb', layerBranches: [['conv_kxk']] })).toThrow(
      /layerBranches has 1 entries, the network has 5 blocks/,
    );
  });

  test('bad options name the value', async () => {
    await expect(repnasSearch({ net: tinyNet(), batchAt }, { totalSteps: 0 })).rejects.toThrow(
      /totalSteps must be an integer >= 1, got 0/,
    );
    await expect(
      repnasSearch({ net: tinyNet(), batchAt }, { totalSteps: 10, keptRatio: 1.5 }),
    ).rejects.toThrow(/keptRatio must be in \(0, 1\], got 1.5/);
    await expect(
      repnasSearch(
        { net: tinyNet(), batchAt },
        { totalSteps: 10, warmupFraction: 0.5, searchEndFraction: 0.2 },
      ),
    ).rejects.toThrow(/searchEndFraction 0.2 must be >= warmupFraction 0.5/);
  });
});

describe('search', () => {
  test('phases follow the fractions; no tensor growth over 300 steps; deployable result', async () => {
    const net = tinyNet(1);
    const phases: RepnasStepEvent['phase'][] = [];
    // Optimizer slots appear when a parameter first gets a gradient (momentum, Adam's m and v);
    // anything beyond one slot per parameter and α's two would be a leak. After the fix point
    // every kept branch has its slots and the count must stay flat.
    const slotBound = net.namedParameters().size + 2;
    let atStep10 = 0;
    let atStep110 = 0;
    const result = await repnasSearch(
      {
        net,
        batchAt,
        onStep: (event) => {
          phases.push(event.phase);
          const count = tf.memory().numTensors;
          if (event.step === 10) atStep10 = count;
          if (event.step > 10) expect(count - atStep10).toBeLessThanOrEqual(slotBound);
          if (event.step === 110) atStep110 = count;
          if (event.step > 110) expect(count).toBe(atStep110);
        },
      },
      { totalSteps: 300, seed: 3, alphaLearningRate: 0.05 },
    );
    expect(phases.indexOf('search')).toBe(30);
    expect(phases.indexOf('fixed')).toBe(99);
    expect(phases.filter((p) => p === 'warmup')).toHaveLength(30);
    expect(result.kept.flat()).toHaveLength(result.budget);
    expect(result.alpha.flat().some((a) => a !== 0)).toBe(true);
    const deployed = deploySearched(net, result.kept);
    const searched = extractSearched(net, result.kept);
    const x = batchAt(999).x;
    const a = deployed.apply(x);
    const b = searched.apply(x);
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeLessThan(1e-4);
  });

  test('a search killed mid-way resumes from its checkpoint to the same mask, α and weights', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'repnas-'));
    try {
      const options = { totalSteps: 40, seed: 5, alphaLearningRate: 0.05, checkpointEvery: 7 };
      const straight = tinyNet(2);
      const full = await repnasSearch({ net: straight, batchAt }, options);
      const killed = tinyNet(2);
      const first = await repnasSearch(
        { net: killed, batchAt },
        { ...options, checkpointDir: dir, stopAfterStep: 18 },
      );
      expect(first.finished).toBe(false);
      killed.dispose();
      const resumedNet = tinyNet(2);
      const resumed = await repnasSearch({ net: resumedNet, batchAt }, { ...options, checkpointDir: dir });
      expect(resumed.finished).toBe(true);
      expect(resumed.kept).toEqual(full.kept);
      expect(resumed.alpha).toEqual(full.alpha);
      const want = straight.namedVariables();
      for (const [name, variable] of resumedNet.namedVariables()) {
        expect(Array.from(variable.dataSync()), name).toEqual(Array.from(want.get(name)!.dataSync()));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
