import { Dense, type Sequential } from '@automl-ts/core';
import {
  ANIL,
  adapt,
  createMetaLearner,
  evaluate,
  MAML,
  MetaSGD,
  metaTrain,
  ProtoNet,
  Reptile,
  type Task,
} from '@automl-ts/meta-learning';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { imageTasks, tinyConvNet, useBackend } from './helpers.js';

let net: Sequential;

beforeAll(async () => {
  await useBackend('cpu');
  net = tinyConvNet({ size: 4, classes: 3, seed: 0 });
});

afterAll(() => net.dispose());

/** A task from explicit labels on 4×4 images. */
function task(supportLabels: number[], queryLabels: number[]): Task {
  const set = (labels: number[]) => ({
    x: tf.zeros([labels.length, 4, 4, 1]),
    y: tf.tensor1d(labels, 'int32'),
  });
  return { support: set(supportLabels), query: set(queryLabels) };
}

describe('bad options', () => {
  test.each([
    [
      'MAML',
      () => new MAML(net, { innerLr: 0 }),
      /^@automl-ts\/meta-learning\/MAML: innerLr must be a finite number > 0, got 0$/,
    ],
    [
      'MAML',
      () => new MAML(net, { innerLr: -0.1 }),
      /^@automl-ts\/meta-learning\/MAML: innerLr must be a finite number > 0, got -0.1$/,
    ],
    ['ANIL', () => new ANIL(net, { innerLr: 0 }), /^@automl-ts\/meta-learning\/ANIL: innerLr must be/],
    [
      'MetaSGD',
      () => new MetaSGD(net, { innerLr: -1 }),
      /^@automl-ts\/meta-learning\/MetaSGD: innerLr must be/,
    ],
    [
      'Reptile',
      () => new Reptile(net, { innerLr: 0 }),
      /^@automl-ts\/meta-learning\/Reptile: innerLr must be/,
    ],
    [
      'MAML',
      () => new MAML(net, { innerSteps: 0 }),
      /^@automl-ts\/meta-learning\/MAML: innerSteps must be an integer >= 1, got 0$/,
    ],
    [
      'MAML',
      () => new MAML(net, { loss: 'hinge' as 'mse' }),
      /^@automl-ts\/meta-learning\/MAML: loss must be "crossEntropy", "mse" or a function/,
    ],
    [
      'Reptile',
      () => new Reptile(net, { innerOptimizer: 'rmsprop' as 'sgd' }),
      /^@automl-ts\/meta-learning\/Reptile: innerOptimizer must be one of "sgd", "adam"/,
    ],
    [
      'Reptile',
      () => new Reptile(net, { innerBatchSize: 0 }),
      /^@automl-ts\/meta-learning\/Reptile: innerBatchSize must be an integer >= 1, got 0$/,
    ],
    [
      'ANIL',
      () => new ANIL(net, { head: 'block1' }),
      /^@automl-ts\/meta-learning\/ANIL: head "block1" must be the last child; the children are block1, flatten, fc$/,
    ],
    [
      'ANIL',
      () => new ANIL(net, { head: 'classifier' }),
      /^@automl-ts\/meta-learning\/ANIL: no child "classifier"/,
    ],
    [
      'ANIL',
      () => new ANIL(new Dense({ inUnits: 2, outUnits: 2 })),
      /^@automl-ts\/meta-learning\/ANIL: needs a Sequential or Supernet with a body and a head as its last child, got Dense$/,
    ],
    [
      'ProtoNet',
      () => new ProtoNet(net, { head: 'nope' }),
      /^@automl-ts\/meta-learning\/ProtoNet: no child "nope"/,
    ],
    [
      'createMetaLearner',
      () => createMetaLearner('mamal', net),
      /^@automl-ts\/meta-learning\/createMetaLearner: unknown meta-learning algorithm "mamal"; registered: anil, fomaml, maml, metasgd, protonet, reptile$/,
    ],
    [
      'createMetaLearner',
      () => createMetaLearner('reptile', net, { firstOrder: true }),
      /^@automl-ts\/meta-learning\/createMetaLearner: algorithm "reptile" has no option "firstOrder"/,
    ],
  ])('%s: %s', (_where, build, message) => {
    expect(build).toThrow(message);
  });

  test("createMetaLearner passes every option of the algorithm's own constructor", () => {
    const learner = createMetaLearner('reptile', net, { innerBatchSize: 10, innerOptimizer: 'sgd' });
    expect(learner).toBeInstanceOf(Reptile);
    expect((learner as Reptile).innerBatchSize).toBe(10);
    learner.dispose();
  });
});

describe('bad tasks', () => {
  const maml = () => new MAML(net, { innerLr: 0.1, firstOrder: true });
  test.each([
    [
      'inconsistent N across the meta-batch',
      () => [task([0, 1, 2], [0, 1, 2]), task([0, 1], [0, 1])],
      /^@automl-ts\/meta-learning\/MAML\.metaGradients: inconsistent N or K across the meta-batch: task 0 is 3-way 1-shot but task 1 is 2-way 1-shot$/,
    ],
    [
      'inconsistent K across the meta-batch',
      () => [task([0, 1, 2], [0, 1, 2]), task([0, 0, 1, 1, 2, 2], [0, 1, 2])],
      /^@automl-ts\/meta-learning\/MAML\.metaGradients: inconsistent N or K across the meta-batch: task 0 is 3-way 1-shot but task 1 is 3-way 2-shot$/,
    ],
    [
      'inconsistent K within a support set',
      () => [task([0, 0, 1, 2], [0, 1, 2])],
      /^@automl-ts\/meta-learning\/MAML\.metaGradients: task 0: support set has inconsistent K: class 0 has 2 examples but class 1 has 1/,
    ],
    [
      'a query class missing from the support set',
      () => [task([0, 1], [0, 1, 2])],
      /^@automl-ts\/meta-learning\/MAML\.metaGradients: task 0: the query set has class 2 but the support set has no example of it \(support classes 0\.\.1\)$/,
    ],
    [
      'labels that skip a class',
      () => [task([0, 2], [0, 2])],
      /^@automl-ts\/meta-learning\/MAML\.metaGradients: task 0: support set has no example of class 1; labels must be 0\.\.N-1/,
    ],
    [
      'an empty meta-batch',
      () => [],
      /^@automl-ts\/meta-learning\/MAML\.metaGradients: tasks must be a non-empty array/,
    ],
  ])('%s', (_name, makeTasks, message) => {
    const tasks = makeTasks();
    expect(() => maml().metaGradients(tasks)).toThrow(message);
    for (const t of tasks) tf.dispose([t.support.x, t.support.y, t.query.x, t.query.y]);
  });

  test('every learner checks its tasks', () => {
    const bad = [task([0, 1], [0, 1, 2])];
    for (const learner of [new Reptile(net), new ANIL(net, { firstOrder: true }), new ProtoNet(net)]) {
      const name = learner.constructor.name === 'ProtoNet' ? 'ProtoNet' : learner.constructor.name;
      expect(() => learner.metaGradients(bad)).toThrow(
        new RegExp(`^@automl-ts/meta-learning/${name}\\.metaGradients: task 0: the query set has class 2`),
      );
    }
  });

  test('adapt checks the support set and the step count', () => {
    const bad = task([0, 0, 1], [0]);
    expect(() => adapt(new MAML(net), bad.support)).toThrow(
      /^@automl-ts\/meta-learning\/MAML\.adapt: support set has inconsistent K: class 0 has 2 examples but class 1 has 1/,
    );
    const good = task([0, 1], [0]);
    expect(() => adapt(new MAML(net), good.support, { steps: -1 })).toThrow(
      /^@automl-ts\/meta-learning\/MAML\.adapt: steps must be an integer >= 0, got -1$/,
    );
  });

  test('metaTrain and evaluate check their options', async () => {
    const learner = new MAML(net, { firstOrder: true });
    const source = () => imageTasks({ ways: 3, shots: 1, queries: 1, size: 4 });
    await expect(metaTrain(learner, source, { iterations: 1, metaBatchSize: 0 })).rejects.toThrow(
      /^@automl-ts\/meta-learning\/metaTrain: metaBatchSize must be an integer >= 1, got 0$/,
    );
    await expect(metaTrain(learner, source, { iterations: -1 })).rejects.toThrow(
      /^@automl-ts\/meta-learning\/metaTrain: iterations must be an integer >= 0, got -1$/,
    );
    expect(() => evaluate(learner, source(), { tasks: 0 })).toThrow(
      /^@automl-ts\/meta-learning\/evaluate: tasks must be an integer >= 1, got 0$/,
    );
  });
});
