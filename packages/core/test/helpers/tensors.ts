// Numeric test helpers shared across packages: tolerance comparisons, running the same
// computation on several TF.js backends, seeded random data.

import type { Rng } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';

/** Values of a tensor copied out of the backend, so they outlive backend switches. */
export interface Snapshot {
  readonly shape: readonly number[];
  readonly values: Float32Array | Int32Array | Uint8Array;
}

/** Something comparable: a tensor, a snapshot, or plain numbers (shape then not checked). */
export type Comparable = tf.Tensor | Snapshot | ArrayLike<number>;

/** Copies the values and shape of a tensor. */
export function snapshot(tensor: tf.Tensor): Snapshot {
  return { shape: [...tensor.shape], values: tensor.dataSync() as Float32Array | Int32Array | Uint8Array };
}

function valuesOf(x: Comparable): { shape: readonly number[] | undefined; values: ArrayLike<number> } {
  if (x instanceof tf.Tensor) return { shape: x.shape, values: x.dataSync() as ArrayLike<number> };
  if ('values' in x && 'shape' in x) return { shape: x.shape, values: x.values };
  return { shape: undefined, values: x as ArrayLike<number> };
}

/** The largest elementwise error and where it is. */
export interface RelativeError {
  readonly error: number;
  readonly index: number;
  readonly actual: number;
  readonly expected: number;
}

/**
 * Largest elementwise relative error `|a - b| / max(1, |b|)` (`b` the reference): relative for
 * values above 1 in magnitude, absolute below, so values near zero do not blow it up. Two NaNs
 * compare equal, as do equal infinities; a NaN against a number is an infinite error.
 */
export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): RelativeError {
  if (actual.length !== expected.length) {
    throw new Error(`maxRelativeError: ${actual.length} values against ${expected.length}`);
  }
  let worst: RelativeError = { error: 0, index: -1, actual: Number.NaN, expected: Number.NaN };
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const b = expected[i] as number;
    let error: number;
    if (Number.isNaN(a) || Number.isNaN(b)) error = Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
    else if (a === b) error = 0;
    else error = Math.abs(a - b) / Math.max(1, Math.abs(b));
    if (Number.isNaN(error)) error = Infinity;
    if (error > worst.error) worst = { error, index: i, actual: a, expected: b };
  }
  return worst;
}

/**
 * Asserts equal shapes and a max relative error ({@link maxRelativeError}) below `tolerance`.
 * `label` prefixes the failure message (e.g. the configuration being tested).
 */
export function expectTensorsClose(
  actual: Comparable,
  expected: Comparable,
  tolerance = 1e-5,
  label = '',
): RelativeError {
  const a = valuesOf(actual);
  const b = valuesOf(expected);
  const prefix = label === '' ? '' : `${label}: `;
  if (a.shape !== undefined && b.shape !== undefined) {
    expect([...a.shape], `${prefix}shape`).toEqual([...b.shape]);
  }
  const worst = maxRelativeError(a.values, b.values);
  expect(
    worst.error,
    `${prefix}max relative error ${worst.error} at ${worst.index} (got ${worst.actual}, expected ${worst.expected})`,
  ).toBeLessThan(tolerance);
  return worst;
}

/**
 * {@link expectTensorsClose} over two equally long lists; `labelOf(i)` names entry `i` in failures.
 */
export function expectAllClose(
  actual: readonly Comparable[] | undefined,
  expected: readonly Comparable[] | undefined,
  tolerance = 1e-5,
  labelOf: (index: number) => string = (index) => `output ${index}`,
): void {
  expect(actual?.length, 'number of outputs').toBe(expected?.length);
  for (const [index, value] of (actual ?? []).entries()) {
    expectTensorsClose(value, expected?.[index] as Comparable, tolerance, labelOf(index));
  }
}

/**
 * Runs each computation on `backend` (switching to it and back) and snapshots what it returns.
 * Build input tensors inside the computations, from plain data, so they live on that backend.
 */
export async function computeOn(
  backend: string,
  computations: readonly (() => tf.Tensor | tf.Tensor[])[],
): Promise<Snapshot[][]> {
  const previous = tf.getBackend();
  if (!(await tf.setBackend(backend)))
    throw new Error(`computeOn: backend "${backend}" failed to initialise`);
  // The cpu backend is the reference here, chosen on purpose: no "install tfjs-node" banner.
  const active = tf.backend() as { firstUse?: unknown };
  if (active.firstUse === true) active.firstUse = false;
  try {
    return computations.map((compute) => {
      const out = tf.tidy(compute);
      const tensors = Array.isArray(out) ? out : [out];
      const snapshots = tensors.map(snapshot);
      tf.dispose(tensors);
      return snapshots;
    });
  } finally {
    await tf.setBackend(previous);
  }
}

/** `size` values uniform in `[-scale, scale)`. */
export function randomValues(rng: Rng, size: number, scale = 1): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rng.uniform(-scale, scale);
  return out;
}
