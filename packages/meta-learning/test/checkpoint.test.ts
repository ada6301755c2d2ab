import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng } from '@automl-ts/core';
import {
  createMetaLearner,
  evaluate,
  hasMetaCheckpoint,
  loadMetaCheckpoint,
  META_CHECKPOINT_FILE,
  type MetaTrainOptions,
  metaTrain,
  saveMetaCheckpoint,
} from '@automl-ts/meta-learning';
import type * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { imageTasks, tinyConvNet, useBackend } from './helpers.js';

let root: string;

beforeAll(async () => {
  await useBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'automl-ts-meta-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const N = 3;

function learnerFor(name: string, seed: number) {
  const module = tinyConvNet({ size: 8, filters: 3, classes: 3, seed });
  const learner = createMetaLearner(
    name,
    module,
    name === 'reptile' || name === 'protonet' ? {} : { innerLr: 0.1 },
  );
  return { module, learner };
}

const tasks = (rng: ReturnType<typeof createRng>) =>
  imageTasks({ ways: 3, shots: 1, queries: 2, size: 8 }, rng);

function snapshot(variables: Map<string, tf.Variable>): Map<string, number[]> {
  return new Map([...variables].map(([name, v]) => [name, Array.from(v.dataSync())]));
}

describe('checkpoint and resume', () => {
  test.each([['maml'], ['metasgd'], ['reptile'], ['protonet']])(
    '%s: 2N iterations equal N, a restart from the checkpoint, and N more',
    async (name) => {
      const options: MetaTrainOptions = {
        iterations: 2 * N,
        metaBatchSize: 2,
        seed: 5,
        learningRateSchedule: (i) => 0.01 * (1 - i / (2 * N)),
        evaluation: { tasks, every: N, count: 2 },
      };
      const straight = learnerFor(name, 0);
      const full = await metaTrain(straight.learner, tasks, options);

      const directory = join(root, name);
      const first = learnerFor(name, 0);
      const half = await metaTrain(first.learner, tasks, {
        ...options,
        iterations: N,
        checkpoint: { directory, every: 100 },
      });
      expect(half.iteration).toBe(N);
      expect(await hasMetaCheckpoint(directory)).toBe(true);

      // A fresh process: different initial weights, everything restored from the checkpoint.
      const resumed = learnerFor(name, 42);
      const events: string[] = [];
      const rest = await metaTrain(resumed.learner, tasks, {
        ...options,
        checkpoint: { directory },
        onProgress: (event) => events.push(event.type),
      });
      expect(events[0]).toBe('resumed');
      expect(rest.iteration).toBe(2 * N);
      expect(snapshot(resumed.learner.metaVariables())).toEqual(snapshot(straight.learner.metaVariables()));
      expect(rest.history).toEqual(full.history);
      expect(rest.evaluations).toEqual(full.evaluations);
      for (const run of [straight, first, resumed]) {
        run.learner.dispose();
        run.module.dispose();
      }
    },
  );

  test('an interrupted save leaves the previous checkpoint loadable; the next save cleans up', async () => {
    const directory = join(root, 'interrupted');
    const { module, learner } = learnerFor('fomaml', 0);
    const optimizer = learner.createOptimizer();
    await saveMetaCheckpoint(directory, {
      learner,
      optimizer,
      rng: createRng(1),
      iteration: 7,
      state: { note: 'first' },
    });
    // A crash after writing a new shard but before the manifest rename.
    await writeFile(join(directory, 'tensors.0123456789abcdef.bin'), new Uint8Array([1, 2, 3]));
    await writeFile(join(directory, `.${META_CHECKPOINT_FILE}.0123456789ab.tmp`), '{"partial":');
    const loaded = await loadMetaCheckpoint(directory, { learner, optimizer });
    expect(loaded.iteration).toBe(7);
    expect(loaded.state).toEqual({ note: 'first' });
    await saveMetaCheckpoint(directory, { learner, optimizer, rng: loaded.rng, iteration: 8 });
    const shards = (await readdir(directory)).filter((entry) => entry.endsWith('.bin'));
    expect(shards).toHaveLength(1);
    expect(shards[0]).not.toBe('tensors.0123456789abcdef.bin');
    optimizer.dispose();
    module.dispose();
  });

  test('a checkpoint of another algorithm or shape is refused before anything is assigned', async () => {
    const directory = join(root, 'mismatch');
    const maml = learnerFor('maml', 0);
    const optimizer = maml.learner.createOptimizer();
    await saveMetaCheckpoint(directory, {
      learner: maml.learner,
      optimizer,
      rng: createRng(1),
      iteration: 1,
    });
    const reptile = learnerFor('reptile', 0);
    await expect(
      loadMetaCheckpoint(directory, {
        learner: reptile.learner,
        optimizer: reptile.learner.createOptimizer(),
      }),
    ).rejects.toThrow(
      /^@automl-ts\/meta-learning\/loadMetaCheckpoint: the checkpoint in ".*" is from maml, the learner is reptile$/,
    );
    const wider = createMetaLearner('maml', tinyConvNet({ size: 8, filters: 4, classes: 3, seed: 0 }));
    const before = snapshot(wider.metaVariables());
    await expect(
      loadMetaCheckpoint(directory, { learner: wider, optimizer: wider.createOptimizer() }),
    ).rejects.toThrow(
      /^@automl-ts\/meta-learning\/loadMetaCheckpoint: the checkpoint in ".*" does not fit the learner: "block1\.conv\.kernel" has shape \[3,3,1,3\], expected \[3,3,1,4\]/,
    );
    expect(snapshot(wider.metaVariables())).toEqual(before);
    await expect(
      loadMetaCheckpoint(join(root, 'absent'), { learner: maml.learner, optimizer }),
    ).rejects.toThrow(/^@automl-ts\/meta-learning\/loadMetaCheckpoint: cannot read/);
  });
});

describe('time limit', () => {
  // A controlled clock: each training task costs 1 s of wall time and 0.5 s of CPU time, each
  // evaluation task 10 s of both (as on a machine where another job takes half the CPU).
  const clocked = () => {
    const now = { wall: 0, cpu: 0 };
    const costing = (wall: number, cpu: number) => (rng: ReturnType<typeof createRng>) => {
      const source = tasks(rng);
      return {
        sample: () => {
          now.wall += wall;
          now.cpu += cpu;
          return source.sample();
        },
      };
    };
    return {
      clock: { wallSeconds: () => now.wall, cpuSeconds: () => now.cpu },
      training: costing(1, 0.5),
      evaluation: costing(10, 10),
    };
  };

  test.each([
    // CPU budget 2 s at 0.5 s a task: 4 iterations; wall budget 2 s at 1 s a task: 2.
    ['cpu', 4, { seconds: 4, cpuSeconds: 2, evaluationSeconds: 20, evaluationCpuSeconds: 20 }],
    ['wall', 2, { seconds: 2, cpuSeconds: 1, evaluationSeconds: 10, evaluationCpuSeconds: 10 }],
  ] as const)(
    'counts %s time of training only; evaluations are timed apart',
    async (budgetClock, iterations, times) => {
      const { clock, training, evaluation } = clocked();
      const run = learnerFor('fomaml', 0);
      const result = await metaTrain(run.learner, training, {
        iterations: 100,
        metaBatchSize: 1,
        timeLimitSeconds: 2,
        budgetClock,
        clock,
        evaluation: { tasks: evaluation, every: 2, count: 1, steps: 1 },
      });
      expect(result.stopped).toBe('timeLimit');
      expect(result.iteration).toBe(iterations);
      expect(result).toMatchObject(times);
      expect(result.evaluations.map((e) => e.iteration)).toEqual(
        Array.from({ length: iterations / 2 }, (_, i) => 2 * (i + 1)),
      );
      run.learner.dispose();
      run.module.dispose();
    },
  );

  test('the split of training and evaluation time survives a resume', async () => {
    const directory = join(root, 'clocked-resume');
    const { clock, training, evaluation } = clocked();
    const options: MetaTrainOptions = {
      iterations: 100,
      metaBatchSize: 1,
      clock,
      evaluation: { tasks: evaluation, every: 2, count: 1, steps: 1 },
      checkpoint: { directory, every: 100 },
    };
    const first = learnerFor('fomaml', 0);
    await metaTrain(first.learner, training, { ...options, timeLimitSeconds: 1 });
    const second = learnerFor('fomaml', 0);
    const resumed = await metaTrain(second.learner, training, { ...options, timeLimitSeconds: 2 });
    expect(resumed.iteration).toBe(4);
    expect(resumed).toMatchObject({
      seconds: 4,
      cpuSeconds: 2,
      evaluationSeconds: 20,
      evaluationCpuSeconds: 20,
    });
    for (const run of [first, second]) {
      run.learner.dispose();
      run.module.dispose();
    }
  });

  test('evaluate returns every task outcome; its mean and CI are recomputable from them', () => {
    const run = learnerFor('fomaml', 0);
    const result = evaluate(run.learner, tasks(createRng(5)), { tasks: 12, steps: 1 });
    const accuracies = result.perTask.accuracy ?? [];
    expect(accuracies).toHaveLength(12);
    expect(result.perTask.loss).toHaveLength(12);
    const mean = accuracies.reduce((a, b) => a + b, 0) / 12;
    const sd = Math.sqrt(accuracies.reduce((a, b) => a + (b - mean) ** 2, 0) / 11);
    expect(result.accuracy?.mean).toBeCloseTo(mean, 12);
    expect(result.accuracy?.ci95).toBeCloseTo((1.96 * sd) / Math.sqrt(12), 12);
    run.learner.dispose();
    run.module.dispose();
  });

  test('an unknown budgetClock is named', async () => {
    const run = learnerFor('fomaml', 0);
    await expect(
      metaTrain(run.learner, tasks, { iterations: 1, budgetClock: 'cycles' as never }),
    ).rejects.toThrow(
      "@automl-ts/meta-learning/metaTrain: budgetClock must be 'cpu' or 'wall', got \"cycles\"",
    );
    run.learner.dispose();
    run.module.dispose();
  });

  test('is a total budget: a run resumed with the same limit stops at once, a larger limit extends it', async () => {
    const directory = join(root, 'time-limit');
    // Wall time here: this test checks the total-budget rule against the real clock.
    const options: MetaTrainOptions = { iterations: 100_000, metaBatchSize: 1, seed: 3, budgetClock: 'wall' };
    const first = learnerFor('fomaml', 0);
    const started = performance.now();
    const stopped = await metaTrain(first.learner, tasks, {
      ...options,
      timeLimitSeconds: 0.3,
      checkpoint: { directory, every: 1_000 },
    });
    expect(stopped.stopped).toBe('timeLimit');
    expect(stopped.iteration).toBeGreaterThan(0);
    expect(stopped.iteration).toBeLessThan(100_000);
    expect(stopped.seconds).toBeGreaterThanOrEqual(0.3);
    expect((performance.now() - started) / 1000).toBeGreaterThanOrEqual(0.3);
    // The stop was checkpointed even though `every` was never reached.
    expect(await hasMetaCheckpoint(directory)).toBe(true);

    const again = learnerFor('fomaml', 1);
    const same = await metaTrain(again.learner, tasks, {
      ...options,
      timeLimitSeconds: 0.3,
      checkpoint: { directory },
    });
    expect(same.stopped).toBe('timeLimit');
    expect(same.iteration).toBe(stopped.iteration);

    const more = await metaTrain(again.learner, tasks, {
      ...options,
      timeLimitSeconds: stopped.seconds + 0.3,
      checkpoint: { directory },
    });
    expect(more.stopped).toBe('timeLimit');
    expect(more.iteration).toBeGreaterThan(stopped.iteration);
    expect(more.seconds).toBeGreaterThanOrEqual(stopped.seconds + 0.3);
    for (const run of [first, again]) {
      run.learner.dispose();
      run.module.dispose();
    }
  });
});
