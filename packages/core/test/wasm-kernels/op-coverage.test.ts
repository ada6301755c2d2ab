// Coverage: forward and backward (gradients w.r.t. inputs and parameters) of every op the
// project's models use, on wasm against cpu. Error = max |wasm - cpu| / max(1, |cpu|).

import { createRng, initBackend } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, test } from 'vitest';
import { computeOn, expectAllClose, randomValues } from '../helpers/tensors.js';

const TOLERANCE = 1e-5;

interface OpCase {
  readonly op: string;
  /** Shapes of the differentiable inputs (activations and parameters). */
  readonly shapes: readonly (readonly number[])[];
  /** Forward pass: the op's output (projected to a scalar for the backward pass). */
  readonly forward: (inputs: tf.Tensor[]) => tf.Tensor;
}

const x4 = [2, 6, 6, 4] as const;

function relu6(x: tf.Tensor): tf.Tensor {
  return tf.relu6(x);
}

function hardSwish(x: tf.Tensor): tf.Tensor {
  return tf.div(tf.mul(x, tf.relu6(tf.add(x, 3))), 6);
}

/** Batch norm in training mode: batch statistics from tf.moments. */
function batchNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.batchNorm(x, mean, variance, beta as tf.Tensor1D, gamma as tf.Tensor1D, 1e-3);
}

/** Fixed one-hot labels for the losses. */
function labels(batch: number, classes: number): tf.Tensor2D {
  return tf.oneHot(
    tf.tensor1d(
      Array.from({ length: batch }, (_, i) => (i * 7) % classes),
      'int32',
    ),
    classes,
  ) as tf.Tensor2D;
}

/** Knowledge-distillation loss: KL(teacher ‖ student) of temperature-softened softmaxes, × T². */
function distillation(student: tf.Tensor, teacher: tf.Tensor, temperature = 4): tf.Tensor {
  const target = tf.softmax(tf.div(teacher, temperature));
  const logStudent = tf.logSoftmax(tf.div(student, temperature));
  const kl = tf.sum(tf.mul(target, tf.sub(tf.log(target), logStudent)), -1);
  return tf.mul(tf.mean(kl), temperature * temperature);
}

const CASES: readonly OpCase[] = [
  {
    op: 'conv2d + bias',
    shapes: [x4, [3, 3, 4, 5], [5]],
    forward: ([x, w, b]) => tf.add(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'), b as tf.Tensor),
  },
  {
    op: 'conv2d stride 2',
    shapes: [x4, [3, 3, 4, 3]],
    forward: ([x, w]) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'),
  },
  {
    op: 'depthwiseConv2d',
    shapes: [x4, [3, 3, 4, 1]],
    forward: ([x, w]) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'),
  },
  {
    op: 'depthwiseConv2d stride 2',
    shapes: [x4, [3, 3, 4, 1]],
    forward: ([x, w]) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'),
  },
  {
    op: 'separableConv2d',
    shapes: [x4, [3, 3, 4, 1], [1, 1, 4, 6]],
    forward: ([x, dw, pw]) =>
      tf.separableConv2d(x as tf.Tensor4D, dw as tf.Tensor4D, pw as tf.Tensor4D, 1, 'same'),
  },
  {
    op: 'batchNorm (moments)',
    shapes: [x4, [4], [4]],
    forward: ([x, gamma, beta]) => batchNorm(x as tf.Tensor, gamma as tf.Tensor, beta as tf.Tensor),
  },
  {
    op: 'moments',
    shapes: [x4],
    forward: ([x]) => tf.concat(Object.values(tf.moments(x as tf.Tensor, [0, 1, 2]))),
  },
  { op: 'relu', shapes: [x4], forward: ([x]) => tf.relu(x as tf.Tensor) },
  { op: 'relu6', shapes: [x4], forward: ([x]) => relu6(tf.mul(x as tf.Tensor, 8)) },
  { op: 'hard-swish', shapes: [x4], forward: ([x]) => hardSwish(tf.mul(x as tf.Tensor, 5)) },
  { op: 'sigmoid', shapes: [x4], forward: ([x]) => tf.sigmoid(x as tf.Tensor) },
  { op: 'maxPool', shapes: [x4], forward: ([x]) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid') },
  {
    op: 'maxPool 3x3 stride 2 same',
    shapes: [x4],
    forward: ([x]) => tf.maxPool(x as tf.Tensor4D, 3, 2, 'same'),
  },
  { op: 'avgPool', shapes: [x4], forward: ([x]) => tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid') },
  { op: 'global average pool', shapes: [x4], forward: ([x]) => tf.mean(x as tf.Tensor, [1, 2]) },
  { op: 'global max pool', shapes: [x4], forward: ([x]) => tf.max(x as tf.Tensor, [1, 2]) },
  {
    op: 'dense (matMul + bias)',
    shapes: [[3, 7], [7, 5], [5]],
    forward: ([x, w, b]) => tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b as tf.Tensor),
  },
  {
    op: 'softmax cross-entropy',
    shapes: [[4, 6]],
    forward: ([logits]) => tf.losses.softmaxCrossEntropy(labels(4, 6), logits as tf.Tensor2D),
  },
  {
    op: 'KL distillation loss',
    shapes: [
      [4, 6],
      [4, 6],
    ],
    forward: ([student, teacher]) => distillation(student as tf.Tensor, teacher as tf.Tensor),
  },
  {
    op: 'concat',
    shapes: [x4, [2, 6, 6, 3]],
    forward: ([a, b]) => tf.concat([a as tf.Tensor, b as tf.Tensor], 3),
  },
  { op: 'slice', shapes: [x4], forward: ([x]) => tf.slice(x as tf.Tensor, [0, 1, 2, 1], [2, 4, 3, 2]) },
  {
    op: 'pad',
    shapes: [x4],
    forward: ([x]) =>
      tf.pad(x as tf.Tensor, [
        [0, 0],
        [1, 2],
        [2, 1],
        [0, 0],
      ]),
  },
  {
    op: 'gather',
    shapes: [[6, 5]],
    forward: ([table]) => tf.gather(table as tf.Tensor, tf.tensor1d([5, 0, 2, 5, 5, 1], 'int32')),
  },
  {
    op: 'gather (channels, axis 3)',
    shapes: [x4],
    forward: ([x]) => tf.gather(x as tf.Tensor, tf.tensor1d([3, 1, 1], 'int32'), 3),
  },
  {
    op: 'where',
    shapes: [x4, x4],
    // The condition is data, not a function of the inputs (comparisons have no gradient).
    forward: ([a, b]) =>
      tf.where(tf.greater(tf.sin(tf.range(0, 288).reshape([...x4])), 0), a as tf.Tensor, b as tf.Tensor),
  },
  {
    op: 'channel mask (mul by a 0/1 vector)',
    shapes: [x4],
    forward: ([x]) => tf.mul(x as tf.Tensor, tf.tensor1d([1, 0, 1, 1])),
  },
];

beforeAll(async () => {
  expect((await initBackend({ prefer: 'wasm' })).name).toBe('wasm');
});

test.each(CASES)('$op: forward and gradients on wasm match cpu', async ({ op, shapes, forward }) => {
  const rng = createRng(op);
  const data = shapes.map((shape) => randomValues(rng, tf.util.sizeFromShape([...shape])));
  const run = () => {
    const inputs = shapes.map((shape, i) => tf.tensor(data[i] as Float32Array, [...shape]));
    const output = forward(inputs);
    const weights = tf.linspace(-1, 1, output.size).reshape(output.shape);
    const grads = tf.grads((...args: tf.Tensor[]) => tf.sum(tf.mul(forward(args), weights)))(inputs);
    return [output, ...grads];
  };
  const [wasm] = await computeOn('wasm', [run]);
  const [cpu] = await computeOn('cpu', [run]);
  expect(wasm?.length).toBe(shapes.length + 1);
  expectAllClose(wasm, cpu, TOLERANCE, (i) => `${op} ${i === 0 ? 'forward' : `grad ${i - 1}`}`);
});
