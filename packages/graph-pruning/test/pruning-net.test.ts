import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng, initBackend, toChannelSupernet } from '@automl-ts/core';
import {
  evaluateSubnet,
  PruningNet,
  sampleWidths,
  trainPruningNet,
  widthVector,
} from '@automl-ts/graph-pruning';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  batches,
  INPUT_SHAPE,
  microBatches,
  microPruningNet,
  tinyPruningNet,
  tinyTeacher,
} from './fixtures.js';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
});

describe('PruningNet', () => {
  test('generates full-shape kernels that the supernet crops to any sampled width', () => {
    const net = tinyPruningNet();
    const rng = createRng(1);
    for (let i = 0; i < 3; i++) {
      const arch = sampleWidths(net.choices, rng);
      const params = net.generate(arch);
      for (const name of net.generatedNames()) {
        expect(params[name]?.shape).toEqual(net.supernet.namedParameters().get(name)?.shape);
      }
      const x = tf.randomNormal([2, ...INPUT_SHAPE], 0, 1, 'float32', i + 1);
      const logits = net.applySubnet(x, arch);
      expect(logits.shape).toEqual([2, 3]);
      expect(Array.from(logits.dataSync()).every(Number.isFinite)).toBe(true);
      tf.dispose([x, logits, ...Object.values(params)]);
    }
  });

  test('different width vectors give different generated weights (the encoding reaches the generator)', () => {
    const net = tinyPruningNet();
    const small = net.supernet.smallestArchitecture();
    const large = net.supernet.largestArchitecture();
    expect(widthVector(net.choices, large).every((v) => v === 1)).toBe(true);
    const [a, b] = [net.generate(small), net.generate(large)];
    const name = net.generatedNames()[0] as string;
    const diff = tf.tidy(
      () => tf.max(tf.abs(tf.sub(a[name] as tf.Tensor, b[name] as tf.Tensor))).dataSync()[0] as number,
    );
    expect(diff).toBeGreaterThan(0);
    tf.dispose([...Object.values(a), ...Object.values(b)]);
  });

  test('training lowers the loss on a fixed batch and reaches aggregator and generators', async () => {
    const net = tinyPruningNet();
    const data = batches(1);
    const before = new Map([...net.trainableParameters()].map(([n, v]) => [n, v.dataSync().slice()]));
    const { losses } = await trainPruningNet(net, () => data[0] as never, {
      steps: 40,
      learningRate: 1e-2,
      seed: 0,
    });
    expect(losses).toHaveLength(40);
    const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
    expect(mean(losses.slice(-10))).toBeLessThan(mean(losses.slice(0, 10)));
    const changed = (prefix: string) =>
      [...net.trainableParameters()].some(
        ([n, v]) =>
          n.startsWith(prefix) && v.dataSync().some((x, i) => x !== (before.get(n) as Float32Array)[i]),
      );
    expect(changed('aggregator.')).toBe(true);
    expect(changed('generators.')).toBe(true);
    expect(net.generatedNames().every((n) => !net.trainableParameters().has(n))).toBe(true);
  });

  test('same seed, same losses (two PruningNets built and trained the same way)', async () => {
    const run = async () => {
      const data = batches(1);
      const { losses } = await trainPruningNet(tinyPruningNet(), () => data[0] as never, {
        steps: 8,
        learningRate: 1e-2,
        seed: 3,
      });
      return losses;
    };
    expect(await run()).toEqual(await run());
  });

  test('evaluateSubnet recalibrates BN with the generated weights and scores per example', async () => {
    const net = tinyPruningNet();
    const [calibration, validation] = [batches(2, 4, 1), batches(2, 4, 2)];
    const arch = net.supernet.smallestArchitecture();
    const first = await evaluateSubnet(net, arch, { calibration, validation });
    const again = await evaluateSubnet(net, arch, { calibration, validation });
    expect(first.correct).toHaveLength(8);
    expect(first.accuracy).toBe(again.accuracy);
    expect(first.correct).toEqual(again.correct);
  });

  test('no tensor growth over 500 training steps', { timeout: 900_000 }, async () => {
    const net = microPruningNet();
    const data = microBatches(2);
    await trainPruningNet(net, (s) => data[s % 2] as never, { steps: 5 });
    const before = tf.memory().numTensors;
    await trainPruningNet(net, (s) => data[s % 2] as never, { steps: 500 });
    expect(tf.memory().numTensors).toBe(before);
  });

  test('a killed training run resumed from its checkpoint ends with the same weights', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gp-train-'));
    try {
      const data = batches(3);
      const feed = (s: number) => data[s % 3] as never;
      const straight = tinyPruningNet();
      await trainPruningNet(straight, feed, { steps: 12, seed: 3 });
      const killed = tinyPruningNet();
      await trainPruningNet(killed, feed, { steps: 7, seed: 3, checkpointDir: dir, checkpointEvery: 7 });
      const resumed = tinyPruningNet();
      const result = await trainPruningNet(resumed, feed, {
        steps: 12,
        seed: 3,
        checkpointDir: dir,
        checkpointEvery: 7,
      });
      expect(result.resumedFrom).toBe(7);
      for (const [name, variable] of straight.namedVariables()) {
        expect(Array.from(resumed.namedVariables().get(name)?.dataSync() ?? []), name).toEqual(
          Array.from(variable.dataSync()),
        );
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('bad input: a network with no prunable layer, bad options', () => {
    const teacher = tinyTeacher();
    const frozen = toChannelSupernet(teacher, { inputShape: INPUT_SHAPE, widthRatios: [1] });
    expect(() => new PruningNet(frozen, { inputShape: INPUT_SHAPE })).toThrow(
      /@automl-ts\/graph-pruning\/PruningNet: the network has no prunable layer/,
    );
    expect(() => new PruningNet(frozen, { inputShape: INPUT_SHAPE, gcnSizes: [] })).toThrow(
      '@automl-ts/graph-pruning/PruningNet: options.gcnSizes must be a non-empty list of positive integers, got []',
    );
  });
});
