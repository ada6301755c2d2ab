import { createModel, createSupernet, crossEntropy, initBackend, namedGradients } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

describe('namedGradients', () => {
  test('keys the gradients of tf.variableGrads by the parameter names, values unchanged', () => {
    const model = createModel('conv4', { inputSize: 16, inChannels: 1, channels: 4, numClasses: 3, seed: 1 });
    const x = tf.randomNormal([6, 16, 16, 1], 0, 1, 'float32', 2);
    const y = tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32');
    const parameters = model.namedParameters();
    const loss = () => crossEntropy(model.apply(x, { training: true }), y) as tf.Scalar;
    const before = tf.memory().numTensors;
    const { value, gradients } = namedGradients(loss, parameters);
    // Only the loss and one gradient per parameter survive.
    expect(tf.memory().numTensors).toBe(before + 1 + parameters.size);
    expect([...gradients.keys()].sort()).toEqual([...parameters.keys()].sort());
    const reference = tf.variableGrads(loss, [...parameters.values()]);
    for (const [name, variable] of parameters) {
      const gradient = gradients.get(name) as tf.Tensor;
      expect(gradient.shape).toEqual(variable.shape);
      expect(gradient.dataSync()).toEqual((reference.grads[variable.name] as tf.Tensor).dataSync());
    }
    expect(value.dataSync()[0]).toBeCloseTo(reference.value.dataSync()[0] as number, 6);
    tf.dispose([value, ...gradients.values(), reference.value, ...Object.values(reference.grads)]);
    tf.dispose([x, y]);
    model.dispose();
  });

  test("a supernet's unused candidates get no entry", () => {
    const net = createSupernet('conv4-cells', {
      inputSize: 8,
      channels: 4,
      blocks: 2,
      numClasses: 3,
      ops: ['conv3x3', 'conv5x5'],
    });
    const arch = Object.fromEntries(net.searchSpace.names.map((name) => [name, 'conv3x3']));
    const x = tf.randomNormal([4, 8, 8, 1], 0, 1, 'float32', 3);
    const y = tf.tensor1d([0, 1, 2, 0], 'int32');
    const parameters = net.namedParameters();
    const { value, gradients } = namedGradients(
      () => crossEntropy(net.apply(x, { training: true, arch }), y) as tf.Scalar,
      parameters,
    );
    const names = [...gradients.keys()];
    expect(names.length).toBeGreaterThan(0);
    expect(names.length).toBeLessThan(parameters.size);
    expect(names.some((name) => name.includes('conv5x5'))).toBe(false);
    expect(names.some((name) => name.includes('conv3x3'))).toBe(true);
    tf.dispose([value, ...gradients.values(), x, y]);
    net.dispose();
  });

  // Inputs are built inside the test (after beforeAll chose the backend), not when the table is read.
  test.each<[string, () => unknown, () => unknown, RegExp]>([
    [
      'an empty parameter map',
      () => tf.scalar(1),
      () => new Map(),
      /^@automl-ts\/core\/namedGradients: parameters must be a non-empty Map of name → tf.Variable/,
    ],
    [
      'a tensor that is not a variable',
      () => tf.scalar(1),
      () => new Map([['w', tf.ones([2])]]),
      /^@automl-ts\/core\/namedGradients: parameters\["w"\] is not a tf.Variable/,
    ],
    [
      'a loss that is not a scalar',
      () => tf.ones([2]),
      () => new Map([['w', tf.variable(tf.ones([2]))]]),
      /^@automl-ts\/core\/namedGradients: loss\(\) must return a scalar tensor/,
    ],
  ])('%s throws a clear error', (_name, loss, parameters, message) => {
    const map = parameters() as ReadonlyMap<string, tf.Variable>;
    expect(() => namedGradients(loss as () => tf.Scalar, map)).toThrow(message);
    tf.dispose([...map.values()]);
  });
});
