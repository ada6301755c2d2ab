import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distillationLoss, featureDistillationLoss, initBackend, type Module } from '@automl-ts/core';
import { splitStages, trainStagewise } from '@automl-ts/stagewise-pruning';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { disposeBatches, randomBatches, snapshot, tinySupernet, tinyTeacher } from './fixtures.js';

let teacher: Module;
const batches = randomBatches(3, 4, 1);
beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
  teacher = tinyTeacher();
});
afterAll(() => {
  disposeBatches(batches);
  teacher.dispose();
});

describe('splitStages', () => {
  test('resolution stages by default; one stage; an explicit split', () => {
    const net = tinySupernet(teacher);
    expect(splitStages(net).map((s) => s.layers)).toEqual([
      ['stem', 'stage1'],
      ['stage2'],
      ['stage3', 'pool', 'fc'],
    ]);
    expect(splitStages(net, 'single').map((s) => s.layers)).toEqual([
      ['stem', 'stage1', 'stage2', 'stage3', 'pool', 'fc'],
    ]);
    const custom = splitStages(net, [
      ['stem', 'stage1', 'stage2'],
      ['stage3', 'pool', 'fc'],
    ]);
    expect(custom.map((s) => s.last)).toEqual([false, true]);
    net.dispose();
  });

  test('a split that does not match the network names it and lists the layers', () => {
    const net = tinySupernet(teacher);
    expect(() =>
      splitStages(net, [
        ['stem', 'stage2'],
        ['stage1', 'stage3', 'pool', 'fc'],
      ]),
    ).toThrow(
      '@automl-ts/stagewise-pruning/splitStages: split [["stem","stage2"],["stage1","stage3","pool","fc"]] does not match the network: the stages must name every top-level layer exactly once, in order; its top-level layers are stem, stage1, stage2, stage3, pool, fc',
    );
    expect(() => splitStages(net, [['stem', 'stage1', 'stage2', 'stage3', 'pool', 'fc'], []])).toThrow(
      /a stage is empty/,
    );
    net.dispose();
  });
});

describe('trainStagewise', () => {
  test('each stage matches the teacher stage output from the teacher stage input (first k channels), summed over stages', async () => {
    const net = tinySupernet(teacher);
    const stages = splitStages(net);
    const archs = [net.largestArchitecture(), net.smallestArchitecture()];
    // Reference: the teacher's boundary features, then every stage of the student on them.
    const x = (batches[0] as { x: tf.Tensor }).x;
    const expected = archs.map((arch) =>
      tf.tidy(() => {
        const features: tf.Tensor[] = [];
        let t = x;
        for (const stage of stages) {
          for (const name of stage.layers) t = (teacher.children().get(name) as Module).apply(t);
          features.push(t);
        }
        let total = 0;
        let width = 3;
        for (const stage of stages) {
          const source = stage.index === 0 ? x : (features[stage.index - 1] as tf.Tensor);
          let y = tf.slice(source, [0, 0, 0, 0], [-1, -1, -1, width]);
          for (const name of stage.layers)
            y = (net.children().get(name) as Module).apply(y, { arch, training: true });
          const target = features[stage.index] as tf.Tensor;
          if (stage.last) {
            total += distillationLoss(y, target).dataSync()[0] as number;
          } else {
            width = y.shape[3] as number;
            total += featureDistillationLoss(
              y,
              tf.slice(target, [0, 0, 0, 0], [-1, -1, -1, width]),
            ).dataSync()[0] as number;
          }
        }
        return total;
      }),
    );
    const progress: number[][] = [];
    await trainStagewise(net, teacher, () => batches.slice(0, 1), {
      iterations: 1,
      randomSubnets: 0,
      learningRate: 0,
      onProgress: (event) => progress.push([...event.losses]),
    });
    expect(progress).toHaveLength(1);
    expect(progress[0]?.[0]).toBeCloseTo(expected[0] as number, 4);
    expect(progress[0]?.[1]).toBeCloseTo(expected[1] as number, 4);
    expect(progress[0]?.[1]).toBeGreaterThan(progress[0]?.[0] as number);
    net.dispose();
  });

  test('training lowers the distillation loss of the tiny subnet', async () => {
    const net = tinySupernet(teacher);
    const tiny: number[] = [];
    await trainStagewise(net, teacher, () => batches, {
      iterations: 30,
      learningRate: 0.05,
      randomSubnets: 1,
      onProgress: (event) => tiny.push(event.losses[1] as number),
    });
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    expect(mean(tiny.slice(-6))).toBeLessThan(mean(tiny.slice(0, 6)));
    net.dispose();
  });

  test('a killed training resumes from its checkpoint to the same weights as an uninterrupted run', async () => {
    const root = await mkdtemp(join(tmpdir(), 'swp-'));
    try {
      const options = { iterations: 6, checkpointEvery: 2, seed: 4, randomSubnets: 1, learningRate: 0.05 };
      const straight = tinySupernet(teacher);
      await trainStagewise(straight, teacher, (epoch) => (epoch % 2 === 0 ? batches : batches.slice(1)), {
        ...options,
        checkpointDir: join(root, 'a'),
      });
      const killed = tinySupernet(teacher);
      await expect(
        trainStagewise(killed, teacher, (epoch) => (epoch % 2 === 0 ? batches : batches.slice(1)), {
          ...options,
          checkpointDir: join(root, 'b'),
          onProgress: (event) => {
            if (event.iteration === 5) throw new Error('killed');
          },
        }),
      ).rejects.toThrow('killed');
      killed.dispose();
      const resumed = tinySupernet(teacher);
      const result = await trainStagewise(
        resumed,
        teacher,
        (epoch) => (epoch % 2 === 0 ? batches : batches.slice(1)),
        {
          ...options,
          checkpointDir: join(root, 'b'),
        },
      );
      expect(result.resumed).toBe(true);
      expect(result.iterations).toBe(6);
      expect(snapshot(resumed)).toEqual(snapshot(straight));
      straight.dispose();
      resumed.dispose();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  test('bad options are refused with the value named', async () => {
    const net = tinySupernet(teacher);
    await expect(trainStagewise(net, teacher, () => batches, { iterations: 0 })).rejects.toThrow(
      '@automl-ts/stagewise-pruning/trainStagewise: iterations must be an integer >= 1, got 0',
    );
    await expect(trainStagewise(net, teacher, () => batches, { randomSubnets: -1 })).rejects.toThrow(
      'randomSubnets must be an integer >= 0, got -1',
    );
    await expect(
      trainStagewise(net, { children: () => new Map() } as unknown as Module, () => batches, {
        iterations: 1,
      }),
    ).rejects.toThrow(/the teacher has no top-level layer "stem"/);
    net.dispose();
  });
});
