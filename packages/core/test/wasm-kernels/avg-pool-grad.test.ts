// AvgPoolGrad of the kernel pack (wasm and cpu) against finite differences of the forward avgPool
// and, over random attributes, against an independent reference: the gradient of
// sumPool(x) / count, both built from depthwise convolutions of ones (cpu's depthwise gradients).

import { createRng, initBackend, type Rng, registerWasmTrainingKernels } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { computeOn, expectTensorsClose, randomValues } from '../helpers/tensors.js';

type Pad = 'same' | 'valid' | number;
type RoundingMode = 'floor' | 'round' | 'ceil' | undefined;

const BACKENDS = ['cpu', 'wasm'] as const;

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
  registerWasmTrainingKernels();
  await initBackend({ prefer: 'cpu' });
});

/** d/dx of Σ w ⊙ avgPool(x), by central differences. avgPool is linear, so a step of 1 is exact up to rounding. */
function finiteDifferenceGradient(
  x: Float32Array,
  shape: [number, number, number, number],
  weights: tf.Tensor,
  poolSize: [number, number],
  strides: [number, number],
  pad: Pad,
): Float32Array {
  const objective = (values: Float32Array): number =>
    tf.tidy(
      () =>
        tf
          .sum(tf.mul(tf.avgPool(tf.tensor4d(values, shape), poolSize, strides, pad), weights))
          .dataSync()[0] as number,
    );
  const grad = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const plus = Float32Array.from(x);
    const minus = Float32Array.from(x);
    plus[i] = (plus[i] as number) + 1;
    minus[i] = (minus[i] as number) - 1;
    grad[i] = (objective(plus) - objective(minus)) / 2;
  }
  return grad;
}

describe('AvgPoolGrad', () => {
  test.each(BACKENDS)('%s: the 3x3 "same" corner gradient is 1/4 + 2/6 + 1/9, not 4/9', async (backend) => {
    const [[grad] = []] = await computeOn(backend, [
      () =>
        tf.grad((x: tf.Tensor) => tf.sum(tf.avgPool(x as tf.Tensor4D, 3, 1, 'same')))(tf.ones([1, 4, 4, 1])),
    ]);
    expect(grad?.values[0]).toBeCloseTo(1 / 4 + 2 / 6 + 1 / 9, 6);
  });

  test.each(BACKENDS)(
    '%s: analytic gradient equals finite differences for every padding',
    async (backend) => {
      const rng = createRng(7);
      const cases: Array<{
        shape: [number, number, number, number];
        size: [number, number];
        strides: [number, number];
        pad: Pad;
      }> = [
        { shape: [1, 5, 6, 2], size: [3, 3], strides: [1, 1], pad: 'same' },
        { shape: [2, 7, 5, 1], size: [3, 2], strides: [2, 2], pad: 'same' },
        { shape: [1, 6, 6, 3], size: [3, 3], strides: [2, 1], pad: 'valid' },
        ...(backend === 'cpu'
          ? [
              {
                shape: [1, 5, 5, 2] as [number, number, number, number],
                size: [3, 3] as [number, number],
                strides: [2, 2] as [number, number],
                pad: 1,
              },
            ]
          : []),
      ];
      const results = await computeOn(
        backend,
        cases.map(({ shape, size, strides, pad }) => () => {
          const x = randomValues(rng, shape[0] * shape[1] * shape[2] * shape[3]);
          const out = tf.avgPool(tf.zeros(shape) as tf.Tensor4D, size, strides, pad);
          const weights = tf.tensor(randomValues(rng, out.size), out.shape);
          const analytic = tf.grad((t: tf.Tensor) =>
            tf.sum(tf.mul(tf.avgPool(t as tf.Tensor4D, size, strides, pad), weights)),
          )(tf.tensor4d(x, shape));
          const numeric = tf.tensor4d(finiteDifferenceGradient(x, shape, weights, size, strides, pad), shape);
          return [analytic, numeric];
        }),
      );
      for (const [analytic, numeric] of results) expectTensorsClose(analytic!, numeric!, 1e-4);
    },
  );

  test.each(BACKENDS)(
    '%s: 200 random attribute sets match the depthwise-convolution reference',
    async (backend) => {
      const rng = createRng(11);
      const cases = Array.from({ length: 200 }, () => randomCase(rng, backend === 'wasm'));
      const actual = await computeOn(
        backend,
        cases.map(
          (c) => () => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(avgPoolOf(c, t), c.weights())))(c.x()),
        ),
      );
      const reference = await computeOn(
        'cpu',
        cases.map(
          (c) => () => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(referencePool(c, t), c.weights())))(c.x()),
        ),
      );
      let worst = 0;
      for (const [i, [grad]] of actual.entries()) {
        const ref = reference[i]?.[0];
        expectTensorsClose(grad!, ref!, 1e-5);
        for (let k = 0; k < ref!.values.length; k++) {
          const error = Math.abs((grad!.values[k] as number) - (ref!.values[k] as number));
          worst = Math.max(worst, error / Math.max(1, Math.abs(ref!.values[k] as number)));
        }
      }
      expect(worst).toBeLessThan(1e-5);
    },
  );

  test('wasm: no tensor growth over repeated gradients', async () => {
    await tf.setBackend('wasm');
    try {
      const x = tf.randomNormal([2, 9, 9, 4], 0, 1, 'float32', 3);
      const step = () =>
        tf.tidy(() =>
          tf
            .grad((t: tf.Tensor) => tf.sum(tf.avgPool(t as tf.Tensor4D, 3, 2, 'same')))(x)
            .dataSync(),
        );
      step();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 20; i++) step();
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
    } finally {
      await tf.setBackend('cpu');
    }
  });
});

interface PoolCase {
  readonly shape: [number, number, number, number];
  readonly size: [number, number];
  readonly strides: [number, number];
  readonly pad: Pad;
  readonly rounding: RoundingMode;
  x(): tf.Tensor;
  weights(): tf.Tensor;
}

/**
 * `forwardSafeOnWasm`: only 'same'/'valid' padding and windows that fit the input, because wasm's
 * own forward AvgPool (XNNPACK) in TF.js 4.22 reads out of bounds for windows larger than the input
 * and miscomputes numeric padding (found while writing this test; `AvgPool2d`'s explicit padding
 * pads first and pools 'valid', so it never reaches those paths).
 */
function randomCase(rng: Rng, forwardSafeOnWasm: boolean): PoolCase {
  for (;;) {
    const shape: [number, number, number, number] = [
      rng.int(1, 2),
      rng.int(1, 9),
      rng.int(1, 9),
      rng.int(1, 4),
    ];
    const size: [number, number] = [rng.int(1, 4), rng.int(1, 4)];
    const strides: [number, number] = [rng.int(1, 3), rng.int(1, 3)];
    const kind = rng.int(0, forwardSafeOnWasm ? 1 : 2);
    const pad: Pad = kind === 0 ? 'same' : kind === 1 ? 'valid' : rng.int(0, 2);
    // TF.js's avgPool gradient drops dimRoundingMode (it calls avgPoolGrad without it), so only
    // the default rounding has a gradient to test.
    const rounding: RoundingMode = undefined;
    let outShape: number[];
    try {
      outShape = tf.backend_util.computePool2DInfo(shape, size, strides, 1, pad, rounding).outShape;
    } catch {
      continue;
    }
    if (outShape.some((d) => d < 1)) continue;
    if (typeof pad === 'number' && (pad >= size[0] || pad >= size[1])) continue;
    if (forwardSafeOnWasm && (size[0] > shape[1] || size[1] > shape[2])) continue;
    const x = randomValues(
      rng,
      shape.reduce((a, b) => a * b, 1),
    );
    const w = randomValues(
      rng,
      outShape.reduce((a, b) => a * b, 1),
    );
    return {
      shape,
      size,
      strides,
      pad,
      rounding,
      x: () => tf.tensor4d(x, shape),
      weights: () => tf.tensor(w, outShape),
    };
  }
}

function avgPoolOf(c: PoolCase, x: tf.Tensor): tf.Tensor {
  return tf.avgPool(x as tf.Tensor4D, c.size, c.strides, c.pad, c.rounding);
}

/** avgPool as (window sum of x) / (window count of in-bounds cells), both depthwise convs of ones. */
function referencePool(c: PoolCase, x: tf.Tensor): tf.Tensor {
  const channels = c.shape[3];
  const ones = tf.ones([c.size[0], c.size[1], channels, 1]) as tf.Tensor4D;
  const sum = tf.depthwiseConv2d(x as tf.Tensor4D, ones, c.strides, c.pad, 'NHWC', 1, c.rounding);
  const count = tf.depthwiseConv2d(
    tf.onesLike(x) as tf.Tensor4D,
    ones,
    c.strides,
    c.pad,
    'NHWC',
    1,
    c.rounding,
  );
  return tf.div(sum, count);
}
