// Gradient-level tests: tf.grads / tf.variableGrads through the ops whose gradients the wasm
// training kernels implement, on wasm against cpu. Error = max |wasm - cpu| / max(1, |cpu|).

import { createRng, initBackend } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { computeOn, expectAllClose, randomValues } from '../helpers/tensors.js';

const TOLERANCE = 1e-5;

interface GradCase {
  readonly name: string;
  readonly shapes: readonly (readonly number[])[];
  /** A scalar of the inputs; gradients are taken w.r.t. every input. */
  readonly loss: (inputs: tf.Tensor[]) => tf.Scalar;
}

/** A scalar that depends on every element of `y` with a different weight. */
function project(y: tf.Tensor): tf.Scalar {
  const weights = tf.linspace(-1, 1, y.size).reshape(y.shape);
  return tf.sum(tf.mul(y, weights));
}

const CASES: readonly GradCase[] = [
  {
    name: 'conv2d 3x3 same stride 1',
    shapes: [
      [2, 7, 6, 3],
      [3, 3, 3, 4],
    ],
    loss: ([x, w]) => project(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')),
  },
  {
    name: 'conv2d 3x3 valid strides [2, 3]',
    shapes: [
      [2, 9, 10, 2],
      [3, 3, 2, 5],
    ],
    loss: ([x, w]) => project(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, [2, 3], 'valid')),
  },
  {
    name: 'conv2d 1x1 (pointwise) stride 2 explicit padding',
    shapes: [
      [1, 5, 5, 4],
      [1, 1, 4, 6],
    ],
    loss: ([x, w]) =>
      project(
        tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, [
          [0, 0],
          [1, 0],
          [0, 1],
          [0, 0],
        ]),
      ),
  },
  {
    name: 'conv2d 5x5 same stride 2, batch 1',
    shapes: [
      [1, 8, 7, 3],
      [5, 5, 3, 2],
    ],
    loss: ([x, w]) => project(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same')),
  },
  {
    name: 'conv2dTranspose stride 2',
    shapes: [
      [2, 3, 4, 5],
      [3, 3, 2, 5],
    ],
    loss: ([x, w]) =>
      project(tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [2, 6, 7, 2], 2, 'same')),
  },
  {
    name: 'depthwiseConv2d 3x3 same stride 1',
    shapes: [
      [2, 6, 6, 4],
      [3, 3, 4, 1],
    ],
    loss: ([x, w]) => project(tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')),
  },
  {
    name: 'depthwiseConv2d multiplier 2 stride 2 valid',
    shapes: [
      [2, 9, 8, 3],
      [3, 3, 3, 2],
    ],
    loss: ([x, w]) => project(tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'valid')),
  },
  {
    name: 'separableConv2d',
    shapes: [
      [2, 7, 7, 3],
      [3, 3, 3, 2],
      [1, 1, 6, 4],
    ],
    loss: ([x, dw, pw]) =>
      project(tf.separableConv2d(x as tf.Tensor4D, dw as tf.Tensor4D, pw as tf.Tensor4D, 1, 'same')),
  },
  {
    name: 'fused conv2d + bias + relu (tf.fused.conv2d)',
    shapes: [[2, 6, 6, 3], [3, 3, 3, 4], [4]],
    loss: ([x, w, b]) =>
      project(
        tf.fused.conv2d({
          x: x as tf.Tensor4D,
          filter: w as tf.Tensor4D,
          bias: b,
          strides: 1,
          pad: 'same',
          activation: 'relu',
        }),
      ),
  },
];

beforeAll(async () => {
  expect((await initBackend({ prefer: 'wasm' })).name).toBe('wasm');
});

describe('gradients on wasm match cpu', () => {
  test.each(CASES)('$name', async ({ name, shapes, loss }) => {
    const rng = createRng(name);
    const data = shapes.map((shape) => randomValues(rng, tf.util.sizeFromShape([...shape])));
    const run = () => {
      const inputs = shapes.map((shape, i) => tf.tensor(data[i] as Float32Array, [...shape]));
      const { value, grads } = tf.valueAndGrads((...args: tf.Tensor[]) => loss(args))(inputs);
      return [value, ...grads];
    };
    const [wasm] = await computeOn('wasm', [run]);
    const [cpu] = await computeOn('cpu', [run]);
    expect(wasm?.length).toBe(shapes.length + 1);
    expectAllClose(wasm, cpu, TOLERANCE, (i) => `${name} ${i === 0 ? 'value' : `grad ${i - 1}`}`);
  });

  test('tf.variableGrads of an embedding lookup (gather) accumulates repeated ids', async () => {
    const rng = createRng('gather');
    const table = randomValues(rng, 10 * 4);
    const ids = [3, 1, 3, 0, 9, 3, 1];
    const run = () => {
      const embeddings = tf.variable(tf.tensor2d(table, [10, 4]));
      const { value, grads } = tf.variableGrads(
        () => project(tf.gather(embeddings, tf.tensor1d(ids, 'int32'))),
        [embeddings],
      );
      embeddings.dispose();
      return [value, grads[embeddings.name] as tf.Tensor];
    };
    const [wasm] = await computeOn('wasm', [run]);
    const [cpu] = await computeOn('cpu', [run]);
    expectAllClose(wasm, cpu, TOLERANCE, (i) => `gather ${i === 0 ? 'value' : 'gradient'}`);
    // Row 3 is looked up three times; rows never looked up get zero gradient.
    const grad = wasm?.[1]?.values as Float32Array;
    expect(Array.from(grad.slice(2 * 4, 3 * 4))).toEqual([0, 0, 0, 0]);
  });
});
