import { createModel, createSupernet, type Module, toLayersModel } from '@automl-ts/core';
import { adapt, createMetaLearner, listMetaLearners, MetaSGD, metaStep } from '@automl-ts/meta-learning';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { BACKENDS, imageTasks, useBackend, variableValues } from './helpers.js';

const WAYS = 3;
const SIZE = 16;

function conv4(): Module {
  return createModel('conv4', { inputSize: SIZE, inChannels: 1, numClasses: WAYS, channels: 4, seed: 0 });
}

function allFinite(t: tf.Tensor): boolean {
  return tf.tidy(() => tf.all(tf.isFinite(t)).dataSync()[0] === 1);
}

describe.each(BACKENDS)('every registered learner on conv4 (%s)', (backend) => {
  test.each(listMetaLearners().map((name) => [name]))(
    '%s: meta-step, adapt, predict, export',
    async (name) => {
      await useBackend(backend);
      const module = conv4();
      const learner = createMetaLearner(
        name,
        module,
        name === 'reptile' || name === 'protonet' ? {} : { innerLr: 0.1 },
      );
      const source = imageTasks({ ways: WAYS, shots: 1, queries: 2, size: SIZE }, 1);
      const tasks = [source.sample(), source.sample()];

      const { gradients, loss, accuracy } = learner.metaGradients(tasks);
      expect(Number.isFinite(loss)).toBe(true);
      expect(accuracy).toBeGreaterThanOrEqual(0);
      expect(accuracy).toBeLessThanOrEqual(1);
      const parameters = learner.metaParameters();
      expect([...gradients.keys()].sort()).toEqual([...parameters.keys()].sort());
      for (const [key, gradient] of gradients) {
        expect(gradient.shape, key).toEqual(parameters.get(key)?.shape);
        expect(allFinite(gradient), key).toBe(true);
      }
      tf.dispose([...gradients.values()]);

      const optimizer = learner.createOptimizer();
      const before = variableValues(module);
      metaStep(learner, tasks, optimizer);
      const after = variableValues(module);
      expect([...after].some(([key, values]) => values.some((v, i) => v !== before.get(key)?.[i]))).toBe(
        true,
      );

      // Adaptation never writes the meta-parameters.
      const adapted = adapt(learner, tasks[0]!.support);
      expect(variableValues(module)).toEqual(after);
      const logits = adapted.predict(tasks[0]!.query.x);
      expect(logits.shape).toEqual([WAYS * 2, WAYS]);
      expect(allFinite(logits)).toBe(true);

      // Export: a standalone module, then a stock TF.js LayersModel computing the same.
      const exported = await adapted.toModule();
      const inference = exported.apply(tasks[0]!.query.x);
      const layersModel = toLayersModel(exported, { inputShape: [SIZE, SIZE, 1] });
      const viaLayers = layersModel.predict(tasks[0]!.query.x) as tf.Tensor;
      const gap = tf.tidy(() => tf.max(tf.abs(tf.sub(viaLayers, inference))).dataSync()[0] as number);
      expect(gap).toBeLessThan(1e-4);
      if (name === 'protonet') {
        // The exported linear head drops −‖q‖², a per-query constant: same softmax as predict.
        const spread = tf.tidy(() => {
          const difference = tf.sub(logits, inference);
          return tf.max(tf.sub(tf.max(difference, 1), tf.min(difference, 1))).dataSync()[0] as number;
        });
        expect(spread).toBeLessThan(1e-3);
      } else {
        const saved = exported.namedParameters();
        for (const [key, value] of adapted.params) {
          const gapToAdapted = tf.tidy(
            () => tf.max(tf.abs(tf.sub(saved.get(key) as tf.Tensor, value))).dataSync()[0] as number,
          );
          expect(gapToAdapted, key).toBe(0);
        }
      }

      layersModel.dispose();
      tf.dispose([logits, inference, viaLayers]);
      exported.dispose();
      adapted.dispose();
      optimizer.dispose();
      learner.dispose();
      for (const task of tasks) task.dispose();
      module.dispose();
    },
  );
});

describe('supernets (AT-NAS): the architecture passes through, second order works for every candidate op', () => {
  const ops = [
    'conv3x3',
    'conv5x5',
    'sep_conv3x3',
    'mbconv3_e3',
    'mbconv5_e6',
    'skip',
    'max_pool3x3',
    'avg_pool3x3',
  ];
  const archs = [
    {
      'block0.op': 'conv3x3',
      'block1.op': 'sep_conv3x3',
      'block2.op': 'max_pool3x3',
      'block3.op': 'mbconv3_e3',
    },
    { 'block0.op': 'conv5x5', 'block1.op': 'avg_pool3x3', 'block2.op': 'mbconv5_e6', 'block3.op': 'skip' },
  ];
  test.each(archs.map((arch, i) => [i, arch] as const))('architecture %i on wasm', async (_i, arch) => {
    await useBackend('wasm');
    const supernet = createSupernet('conv4-cells', {
      inputSize: SIZE,
      numClasses: WAYS,
      channels: 4,
      ops,
      seed: 0,
    });
    const learner = createMetaLearner('maml', supernet, { innerLr: 0.1, arch });
    const source = imageTasks({ ways: WAYS, shots: 1, queries: 2, size: SIZE }, 2);
    const task = source.sample();
    const { gradients, loss } = learner.metaGradients([task]);
    expect(Number.isFinite(loss)).toBe(true);
    for (const gradient of gradients.values()) expect(allFinite(gradient)).toBe(true);
    // Only the chosen ops take part: other candidates get no gradient.
    const used = Object.values(arch);
    for (const key of gradients.keys()) {
      const op = /block\d\.op\.([^.]+)\./.exec(key)?.[1];
      if (op !== undefined) expect(used, key).toContain(op);
    }
    expect(gradients.size).toBeLessThan(learner.metaParameters().size);
    tf.dispose([...gradients.values()]);
    task.dispose();
    supernet.dispose();
  });
});

test('Meta-SGD learns its inner learning rates', async () => {
  await useBackend('cpu');
  const module = conv4();
  const learner = new MetaSGD(module, { innerLr: 0.05 });
  const initial = tf.tidy(
    () => tf.mean(learner.learningRates().get('fc.kernel') as tf.Tensor).dataSync()[0] as number,
  );
  const optimizer = learner.createOptimizer();
  const source = imageTasks({ ways: WAYS, shots: 1, queries: 2, size: SIZE }, 4);
  for (let i = 0; i < 3; i++) {
    const tasks = [source.sample()];
    metaStep(learner, tasks, optimizer);
    tasks[0]?.dispose();
  }
  const learned = learner.learningRates().get('fc.kernel') as tf.Tensor;
  expect(tf.tidy(() => tf.mean(tf.abs(tf.sub(learned, initial))).dataSync()[0] as number)).toBeGreaterThan(0);
  expect([...learner.metaParameters().keys()].filter((key) => key.startsWith('innerLr/'))).toHaveLength(
    module.namedParameters().size,
  );
  optimizer.dispose();
  learner.dispose();
  module.dispose();
});
