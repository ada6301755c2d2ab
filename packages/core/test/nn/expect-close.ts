import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';

/** Asserts two tensors (or arrays) have the same shape and values within `tol` (absolute + relative). */
export function expectTensorsClose(
  actual: tf.Tensor | number[] | number[][],
  expected: tf.Tensor | number[] | number[][],
  tol = 1e-5,
): void {
  const a = actual instanceof tf.Tensor ? actual : tf.tensor(actual);
  const b = expected instanceof tf.Tensor ? expected : tf.tensor(expected);
  expect(a.shape).toEqual(b.shape);
  const av = a.dataSync();
  const bv = b.dataSync();
  for (let i = 0; i < av.length; i++) {
    const diff = Math.abs((av[i] as number) - (bv[i] as number));
    if (!(diff <= tol + tol * Math.abs(bv[i] as number))) {
      throw new Error(`tensors differ at flat index ${i}: ${av[i]} vs ${bv[i]} (tol ${tol})`);
    }
  }
  if (!(actual instanceof tf.Tensor)) a.dispose();
  if (!(expected instanceof tf.Tensor)) b.dispose();
}

/** A seeded random NHWC or [n, c] input. */
export function randomInput(shape: number[], seed = 1): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}
