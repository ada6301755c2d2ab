import { Adam, createModel, createSupernet, type Module, toLayersModel } from '@automl-ts/core';
import { adapt, createMetaLearner, listMetaLearners, MetaSGD, metaStep } from '@automl-ts/meta-learning';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import {
  BACKENDS,
  imageTasks,
  metaGradientErrors,
  tinyConvNet,
  useBackend,
  variableValues,
} from './helpers.js';

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

describe.each(BACKENDS)(
  'second-order MAML on a supernet: meta-gradient against finite differences (%s)',
  (backend) => {
    // avg_pool3x3 relies on core's corrected AvgPoolGrad ('same' padding; TF.js 4.22's is wrong).
    const ops = ['conv3x3', 'sep_conv3x3', 'max_pool3x3', 'avg_pool3x3', 'skip'];
    const archs = [
      { 'block0.op': 'conv3x3', 'block1.op': 'sep_conv3x3' },
      { 'block0.op': 'sep_conv3x3', 'block1.op': 'max_pool3x3' },
      { 'block0.op': 'conv3x3', 'block1.op': 'avg_pool3x3' },
    ];
    test.each(archs.map((arch, i) => [i, arch] as const))('architecture %i', async (_i, arch) => {
      await useBackend(backend);
      const supernet = createSupernet('conv4-cells', {
        inputSize: 4,
        numClasses: 2,
        channels: 2,
        blocks: 2,
        ops,
        seed: 3,
      });
      const task = imageTasks({ ways: 2, shots: 1, queries: 2, size: 4 }, 5).sample();
      const secondOrder = createMetaLearner('maml', supernet, { innerLr: 0.4, innerSteps: 1, arch });
      const firstOrder = createMetaLearner('maml', supernet, {
        innerLr: 0.4,
        innerSteps: 1,
        firstOrder: true,
        arch,
      });
      const exact = secondOrder.metaGradients([task]).gradients;
      const approximate = firstOrder.metaGradients([task]).gradients;
      expect(exact.size).toBeLessThan(secondOrder.metaParameters().size);
      const errors = metaGradientErrors(secondOrder, task, exact, approximate);
      console.info(
        `${backend} supernet ${JSON.stringify(arch)}: relative error, second order ${errors.map((e) => e.exact.toExponential(1)).join(', ')}; first order ${errors.map((e) => e.approximate.toExponential(1)).join(', ')}`,
      );
      for (const [d, error] of errors.entries()) expect(error.exact, `direction ${d}`).toBeLessThan(1e-2);
      expect(errors[0]?.approximate).toBeGreaterThan(10 * (errors[0]?.exact ?? 0));
      tf.dispose([...exact.values(), ...approximate.values()]);
      task.dispose();
      supernet.dispose();
    });
  },
);

test('Meta-SGD: the learned inner rates adapt better than the fixed rates they started from', async () => {
  await useBackend('cpu');
  const module = tinyConvNet({ size: 8, filters: 4, classes: WAYS, seed: 0 });
  const innerLr = 0.05;
  const learner = new MetaSGD(module, { innerLr });
  const optimizer = learner.createOptimizer();
  // A larger outer step than the paper's 1e-3 so that 40 meta-steps move the rates measurably.
  optimizer.learningRate = 0.01;
  const source = imageTasks({ ways: WAYS, shots: 1, queries: 3, size: 8 }, 4);
  for (let i = 0; i < 40; i++) {
    const tasks = [source.sample(), source.sample()];
    metaStep(learner, tasks, optimizer);
    for (const task of tasks) task.dispose();
  }
  expect([...learner.metaParameters().keys()].filter((key) => key.startsWith('innerLr/'))).toHaveLength(
    module.namedParameters().size,
  );
  // Same meta-parameters θ, same held-out tasks: post-adaptation query loss with the learned
  // rates against the fixed rate they were initialised to.
  const heldOut = imageTasks({ ways: WAYS, shots: 1, queries: 3, size: 8 }, 99);
  const tasks = Array.from({ length: 20 }, () => heldOut.sample());
  const postAdaptationLoss = () =>
    tasks.reduce((sum, task) => {
      const adapted = learner.adapt(task.support);
      const value = tf.tidy(
        () => learner.loss.fn(adapted.predict(task.query.x), task.query.y).dataSync()[0] as number,
      );
      adapted.dispose();
      return sum + value / tasks.length;
    }, 0);
  const learnedLoss = postAdaptationLoss();
  const learned = [...learner.learningRates()].map(([name, lr]) => [name, tf.clone(lr)] as const);
  for (const lr of learner.learningRates().values()) tf.tidy(() => lr.assign(tf.fill(lr.shape, innerLr)));
  const fixedLoss = postAdaptationLoss();
  const moved = learned.reduce(
    (max, [, lr]) =>
      Math.max(
        max,
        tf.tidy(() => tf.max(tf.abs(tf.sub(lr, innerLr))).dataSync()[0] as number),
      ),
    0,
  );
  console.info(
    `Meta-SGD post-adaptation query loss: learned rates ${learnedLoss.toFixed(4)}, fixed ${fixedLoss.toFixed(4)}; rates moved up to ${moved.toExponential(2)}`,
  );
  expect(moved).toBeGreaterThan(1e-3);
  expect(learnedLoss).toBeLessThan(fixedLoss);
  tf.dispose(learned.map(([, lr]) => lr));
  for (const task of tasks) task.dispose();
  optimizer.dispose();
  learner.dispose();
  module.dispose();
});

test('Reptile on a supernet: candidates no task used get no meta-gradient and do not move under Adam', async () => {
  await useBackend('cpu');
  const supernet = createSupernet('conv4-cells', {
    inputSize: 8,
    numClasses: WAYS,
    channels: 3,
    blocks: 2,
    ops: ['conv3x3', 'sep_conv3x3', 'skip'],
    seed: 0,
  });
  const learner = createMetaLearner('reptile', supernet, { innerSteps: 2 });
  const optimizer = new Adam(learner.metaParameters(), { learningRate: 0.01 });
  const source = imageTasks({ ways: WAYS, shots: 1, queries: 2, size: 8 }, 3);
  const first = { 'block0.op': 'conv3x3', 'block1.op': 'conv3x3' };
  const second = { 'block0.op': 'sep_conv3x3', 'block1.op': 'skip' };
  const step = (arch: Record<string, string>) => {
    const task = { ...source.sample(), arch };
    const { gradients } = learner.metaGradients([task]);
    const names = [...gradients.keys()];
    tf.dispose([...gradients.values()]);
    metaStep(learner, [task], optimizer);
    task.dispose();
    return names;
  };
  step(first); // the conv3x3 candidates now have Adam moments
  const before = variableValues(supernet);
  const trained = step(second);
  const after = variableValues(supernet);
  expect(trained.some((name) => name.includes('.conv3x3.'))).toBe(false);
  expect(trained.some((name) => name.includes('.sep_conv3x3.'))).toBe(true);
  for (const name of learner.metaParameters().keys()) {
    const moved = after.get(name)?.some((v, i) => v !== before.get(name)?.[i]);
    expect(moved, name).toBe(name.startsWith('head.') || name.includes('block0.op.sep_conv3x3.'));
  }
  optimizer.dispose();
  learner.dispose();
  supernet.dispose();
});
