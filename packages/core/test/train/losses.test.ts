import {
  clipByGlobalNorm,
  cosineSchedule,
  crossEntropy,
  distillationLoss,
  globalNorm,
  initBackend,
  stopGradient,
  topKAccuracy,
  topKCorrect,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

const logSoftmax = (row: number[]): number[] => {
  const max = Math.max(...row);
  const logSum = Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0)) + max;
  return row.map((v) => v - logSum);
};

const LOGITS = [
  [2, 1, 0.5],
  [0.1, 3, -1],
];

describe('crossEntropy', () => {
  test.each<[string, number]>([
    ['no smoothing', 0],
    ['label smoothing 0.1', 0.1],
  ])('integer labels, %s, match the formula', (_name, eps) => {
    const labels = [0, 2];
    const expected =
      -LOGITS.reduce((sum, row, n) => {
        const lp = logSoftmax(row);
        return sum + lp.reduce((s, v, k) => s + ((k === labels[n] ? 1 - eps : 0) + eps / 3) * v, 0);
      }, 0) / 2;
    const logits = tf.tensor2d(LOGITS);
    const y = tf.tensor1d(labels, 'int32');
    const loss = crossEntropy(logits, y, { labelSmoothing: eps });
    expect(loss.dataSync()[0]).toBeCloseTo(expected, 5);
    const oneHot = tf.oneHot(y, 3);
    const fromOneHot = crossEntropy(logits, oneHot, { labelSmoothing: eps });
    expect(fromOneHot.dataSync()[0]).toBeCloseTo(expected, 5);
    tf.dispose([logits, y, loss, oneHot, fromOneHot]);
  });

  test('rejects labels that match neither form, naming both shapes', () => {
    const logits = tf.zeros([2, 3]);
    const labels = tf.zeros([3]);
    expect(() => crossEntropy(logits, labels)).toThrow(
      '@automl-ts/core/crossEntropy: labels must be class indices [2] or distributions [2, 3] for logits [2,3], got shape [3]',
    );
    expect(() => crossEntropy(logits, tf.zeros([2]), { labelSmoothing: 1 })).toThrow(
      /labelSmoothing must be a number in \[0, 1\), got 1/,
    );
    tf.dispose([logits, labels]);
  });
});

describe('distillationLoss', () => {
  test('is T² · KL(teacher ‖ student) at temperature T', () => {
    const student = [
      [1, 0, -1],
      [0.5, 0.5, 2],
    ];
    const teacher = [
      [3, 0.2, -2],
      [0, 1, 1],
    ];
    const T = 4;
    const expected =
      (T *
        T *
        teacher.reduce((sum, row, n) => {
          const pt = logSoftmax(row.map((v) => v / T));
          const ps = logSoftmax((student[n] as number[]).map((v) => v / T));
          return sum + pt.reduce((s, v, k) => s + Math.exp(v) * (v - (ps[k] as number)), 0);
        }, 0)) /
      2;
    const s = tf.tensor2d(student);
    const t = tf.tensor2d(teacher);
    const loss = distillationLoss(s, t, { temperature: T });
    expect(loss.dataSync()[0]).toBeCloseTo(expected, 5);
    const same = distillationLoss(t, t, { temperature: T });
    expect(Math.abs(same.dataSync()[0] as number)).toBeLessThan(1e-6);
    tf.dispose([s, t, loss, same]);
  });

  test('no gradient reaches the teacher; the student gets one', () => {
    const s = tf.tensor2d([[1, 0, -1]]);
    const t = tf.tensor2d([[0, 2, 0]]);
    const [ds, dt] = tf.grads((a: tf.Tensor, b: tf.Tensor) => distillationLoss(a, b, { temperature: 2 }))([
      s,
      t,
    ]);
    expect(tf.max(tf.abs(dt as tf.Tensor)).dataSync()[0]).toBe(0);
    expect(tf.max(tf.abs(ds as tf.Tensor)).dataSync()[0]).toBeGreaterThan(0);
    const dx = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(stopGradient(x), x)))(s);
    expect([...dx.dataSync()]).toEqual([1, 0, -1]);
    tf.dispose([s, t, ds as tf.Tensor, dt as tf.Tensor, dx]);
  });

  test('rejects mismatched logits and a bad temperature', () => {
    const a = tf.zeros([2, 3]);
    const b = tf.zeros([2, 4]);
    expect(() => distillationLoss(a, b)).toThrow(/both be \[batch, classes\], got \[2,3\] and \[2,4\]/);
    expect(() => distillationLoss(a, a, { temperature: 0 })).toThrow(
      /temperature must be a finite number > 0, got 0/,
    );
    tf.dispose([a, b]);
  });
});

describe('metrics', () => {
  test('top-1 and top-5 accuracy with integer and one-hot labels', () => {
    const logits = tf.tensor2d([
      [9, 8, 7, 6, 5, 4, 3],
      [0, 1, 2, 3, 4, 5, 6],
      [1, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 1],
    ]);
    const labels = tf.tensor1d([0, 2, 6, 6], 'int32');
    expect(topKCorrect(logits, labels)).toBe(2);
    expect(topKAccuracy(logits, labels)).toBe(0.5);
    expect(topKAccuracy(logits, labels, 5)).toBe(0.75);
    const oneHot = tf.oneHot(labels, 7);
    expect(topKAccuracy(logits, oneHot)).toBe(0.5);
    expect(() => topKAccuracy(logits, labels, 8)).toThrow(
      '@automl-ts/core/topKCorrect: topK must be an integer in [1, 7], got 8',
    );
    tf.dispose([logits, labels, oneHot]);
  });
});

describe('cosineSchedule', () => {
  test('warms up linearly, then follows a half cosine to the minimum', () => {
    const schedule = cosineSchedule({
      baseLearningRate: 1,
      totalSteps: 110,
      warmupSteps: 10,
      minLearningRate: 0.1,
    });
    expect(schedule(0)).toBeCloseTo(0.1, 10);
    expect(schedule(4)).toBeCloseTo(0.5, 10);
    expect(schedule(9)).toBeCloseTo(1, 10);
    expect(schedule(10)).toBeCloseTo(1, 10);
    expect(schedule(60)).toBeCloseTo(0.55, 10);
    expect(schedule(110)).toBeCloseTo(0.1, 10);
    expect(schedule(500)).toBeCloseTo(0.1, 10);
    const steps = Array.from({ length: 100 }, (_, i) => schedule(i + 10));
    expect(steps.every((v, i) => i === 0 || v <= (steps[i - 1] as number))).toBe(true);
  });

  test('validates its options', () => {
    expect(() => cosineSchedule({ baseLearningRate: 1, totalSteps: 10, warmupSteps: 10 })).toThrow(
      '@automl-ts/core/cosineSchedule: warmupSteps must be an integer in [0, totalSteps = 10), got 10',
    );
    expect(() => cosineSchedule({ baseLearningRate: Number.NaN, totalSteps: 10 })).toThrow(
      /baseLearningRate must be a finite number >= 0, got NaN/,
    );
  });
});

describe('clipByGlobalNorm', () => {
  test('scales all gradients jointly when the norm is above the threshold', () => {
    const grads = new Map<string, tf.Tensor>([
      ['a', tf.tensor1d([3, 0])],
      ['b', tf.tensor2d([[0, 4]])],
    ]);
    expect(globalNorm(grads)).toBeCloseTo(5, 6);
    const clipped = clipByGlobalNorm(grads, 1);
    expect(clipped.norm).toBeCloseTo(5, 6);
    expect(globalNorm(clipped.gradients)).toBeCloseTo(1, 6);
    expect([...(clipped.gradients.get('a') as tf.Tensor).dataSync()]).toEqual([Math.fround(0.6), 0]);
    const unclipped = clipByGlobalNorm(grads, 10);
    expect([...(unclipped.gradients.get('b') as tf.Tensor).dataSync()]).toEqual([0, 4]);
    tf.dispose([...grads.values(), ...clipped.gradients.values(), ...unclipped.gradients.values()]);
  });
});
