import { createRng } from '@automl-ts/core';
import {
  adapt,
  createMetaLearner,
  createSinusoidTasks,
  evaluate,
  listMetaLearners,
  MAML,
  metaStep,
  metaTrain,
  sinusoidMlp,
} from '@automl-ts/meta-learning';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { imageTasks, tinyConvNet, useBackend } from './helpers.js';

describe('no tensor growth', () => {
  test('500 second-order MAML meta-iterations on a small dense net', async () => {
    await useBackend('cpu');
    const module = sinusoidMlp({ hidden: [8, 8], seed: 0 });
    const maml = new MAML(module, { loss: 'mse', innerLr: 0.01, innerSteps: 2 });
    const optimizer = maml.createOptimizer();
    const source = createSinusoidTasks({ shots: 5, queries: 5, seed: createRng(0) });
    const counts: number[] = [];
    for (let i = 0; i < 500; i++) {
      const tasks = [source.sample(), source.sample()];
      metaStep(maml, tasks, optimizer);
      for (const task of tasks) task.dispose();
      counts.push(tf.memory().numTensors);
    }
    // The optimizer's slots appear at the first step; nothing grows after it.
    expect(new Set(counts.slice(1)).size).toBe(1);
    optimizer.dispose();
    module.dispose();
  });

  test.each(listMetaLearners().map((name) => [name]))(
    '%s: meta-steps, adapt, evaluate, export',
    async (name) => {
      await useBackend('wasm');
      const module = tinyConvNet({ size: 8, filters: 3, classes: 3, seed: 0 });
      const learner = createMetaLearner(
        name,
        module,
        name === 'reptile' || name === 'protonet' ? {} : { innerLr: 0.1 },
      );
      const optimizer = learner.createOptimizer();
      const source = imageTasks({ ways: 3, shots: 2, queries: 2, size: 8 }, 0);
      const cycle = async () => {
        const tasks = [source.sample(), source.sample()];
        metaStep(learner, tasks, optimizer);
        const adapted = adapt(learner, tasks[0]!.support, { steps: 2 });
        tf.dispose(adapted.predict(tasks[0]!.query.x));
        (await adapted.toModule()).dispose();
        adapted.dispose();
        evaluate(learner, source, { tasks: 2 });
        for (const task of tasks) task.dispose();
      };
      await cycle();
      const baseline = tf.memory().numTensors;
      for (let i = 0; i < 15; i++) await cycle();
      expect(tf.memory().numTensors).toBe(baseline);
      optimizer.dispose();
      learner.dispose();
      module.dispose();
    },
  );

  test('metaTrain frees everything but the module', async () => {
    await useBackend('cpu');
    const module = sinusoidMlp({ hidden: [8], seed: 0 });
    const before = tf.memory().numTensors;
    await metaTrain(new MAML(module, { loss: 'mse' }), (rng) => createSinusoidTasks({ seed: rng }), {
      iterations: 20,
      evaluation: { tasks: (rng) => createSinusoidTasks({ seed: rng }), every: 10, count: 3 },
    });
    expect(tf.memory().numTensors).toBe(before);
    module.dispose();
  });
});
