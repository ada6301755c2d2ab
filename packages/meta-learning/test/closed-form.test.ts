// Meta-gradients of linear regression, where every algorithm has a closed form: with
// L(w) = mean((Xw − y)²), ∇L(w) = (2/n)·Xᵀ(Xw − y) and Hessian H = (2/n)·XᵀX.

import { createRng, Dense, type Module, type Rng, Sequential } from '@automl-ts/core';
import { ANIL, MAML, MetaSGD, Reptile, type Task } from '@automl-ts/meta-learning';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend } from './helpers.js';

type Matrix = number[][];
type Vector = number[];

const matVec = (m: Matrix, v: Vector): Vector =>
  m.map((row) => row.reduce((s, a, j) => s + a * (v[j] as number), 0));
const transpose = (m: Matrix): Matrix => (m[0] as Vector).map((_, j) => m.map((row) => row[j] as number));
const sub = (a: Vector, b: Vector): Vector => a.map((v, i) => v - (b[i] as number));
const scale = (a: Vector, s: number): Vector => a.map((v) => v * s);
const hadamard = (a: Vector, b: Vector): Vector => a.map((v, i) => v * (b[i] as number));

/** ∇ of mean((Xw − y)²). */
const gradient = (x: Matrix, y: Vector, w: Vector): Vector =>
  scale(matVec(transpose(x), sub(matVec(x, w), y)), 2 / x.length);
/** H·v for the same loss. */
const hessianTimes = (x: Matrix, v: Vector): Vector =>
  scale(matVec(transpose(x), matVec(x, v)), 2 / x.length);

function randomMatrix(rng: Rng, rows: number, cols: number): Matrix {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.uniform(-1, 1)));
}

interface RegressionTask {
  readonly xs: Matrix;
  readonly ys: Vector;
  readonly xq: Matrix;
  readonly yq: Vector;
  readonly task: Task;
}

function regressionTask(rng: Rng, features: number): RegressionTask {
  const xs = randomMatrix(rng, 6, features);
  const xq = randomMatrix(rng, 5, features);
  const truth = Array.from({ length: features }, () => rng.uniform(-2, 2));
  const ys = matVec(xs, truth).map((v) => v + 0.1 * rng.normal());
  const yq = matVec(xq, truth).map((v) => v + 0.1 * rng.normal());
  return {
    xs,
    ys,
    xq,
    yq,
    task: {
      support: { x: tf.tensor2d(xs), y: tf.tensor2d(ys, [ys.length, 1]) },
      query: { x: tf.tensor2d(xq), y: tf.tensor2d(yq, [yq.length, 1]) },
    },
  };
}

function linearModel(weights: Vector): Sequential {
  const kernel = tf.tensor2d(weights, [weights.length, 1]);
  const model = new Sequential([
    ['out', new Dense({ inUnits: weights.length, outUnits: 1, useBias: false }, { kernel })],
  ]);
  kernel.dispose();
  return model;
}

function expectClose(actual: tf.Tensor | undefined, expected: Vector, label: string): void {
  expect(actual?.size, label).toBe(expected.length);
  const values = Array.from((actual as tf.Tensor).dataSync());
  const worst = Math.max(
    ...values.map(
      (v, i) => Math.abs(v - (expected[i] as number)) / Math.max(1, Math.abs(expected[i] as number)),
    ),
  );
  expect(
    worst,
    `${label}: got [${values.map((v) => v.toFixed(5))}], expected [${expected.map((v) => v.toFixed(5))}]`,
  ).toBeLessThan(2e-5);
}

const rng = createRng(3);
const W: Vector = [0.5, -0.3, 0.8];
let data: RegressionTask;

beforeAll(async () => {
  await useBackend('cpu');
  data = regressionTask(rng, 3);
});

describe('MAML on linear regression', () => {
  const alpha = 0.1;
  test.each([1, 2])('second order, %i inner steps: (I − αH_s)^k ∇L_q(φ_k)', (steps) => {
    const model = linearModel(W);
    const { gradients } = new MAML(model, { loss: 'mse', innerLr: alpha, innerSteps: steps }).metaGradients([
      data.task,
    ]);
    let phi = W;
    for (let s = 0; s < steps; s++) phi = sub(phi, scale(gradient(data.xs, data.ys, phi), alpha));
    let expected = gradient(data.xq, data.yq, phi);
    for (let s = 0; s < steps; s++) expected = sub(expected, scale(hessianTimes(data.xs, expected), alpha));
    expectClose(gradients.get('out.kernel'), expected, 'meta-gradient');
    tf.dispose([...gradients.values()]);
    model.dispose();
  });

  test.each([1, 2])('first order, %i inner steps: ∇L_q(φ_k)', (steps) => {
    const model = linearModel(W);
    const { gradients } = new MAML(model, {
      loss: 'mse',
      innerLr: alpha,
      innerSteps: steps,
      firstOrder: true,
    }).metaGradients([data.task]);
    let phi = W;
    for (let s = 0; s < steps; s++) phi = sub(phi, scale(gradient(data.xs, data.ys, phi), alpha));
    expectClose(gradients.get('out.kernel'), gradient(data.xq, data.yq, phi), 'meta-gradient');
    tf.dispose([...gradients.values()]);
    model.dispose();
  });

  test('the meta-batch gradient is the mean of the task gradients', () => {
    const model = linearModel(W);
    const maml = new MAML(model, { loss: 'mse', innerLr: alpha });
    const other = regressionTask(rng, 3);
    const both = maml.metaGradients([data.task, other.task]).gradients.get('out.kernel') as tf.Tensor;
    const first = maml.metaGradients([data.task]).gradients.get('out.kernel') as tf.Tensor;
    const second = maml.metaGradients([other.task]).gradients.get('out.kernel') as tf.Tensor;
    const mean = Array.from(tf.div(tf.add(first, second), 2).dataSync());
    expectClose(both, mean, 'meta-batch mean');
    model.dispose();
  });
});

describe('Meta-SGD on linear regression (one inner step, φ = w − a ⊙ ∇L_s(w))', () => {
  const a: Vector = [0.05, 0.2, 0.1];

  function metaSgd(model: Module, firstOrder: boolean): MetaSGD {
    const learner = new MetaSGD(model, { loss: 'mse', innerLr: 0.1, firstOrder });
    (learner.learningRates().get('out.kernel') as tf.Variable).assign(tf.tensor2d(a, [3, 1]));
    return learner;
  }

  test.each([false, true])('firstOrder %s', (firstOrder) => {
    const model = linearModel(W);
    const learner = metaSgd(model, firstOrder);
    const { gradients } = learner.metaGradients([data.task]);
    const gs = gradient(data.xs, data.ys, W);
    const phi = sub(W, hadamard(a, gs));
    const gq = gradient(data.xq, data.yq, phi);
    const expectedW = firstOrder ? gq : sub(gq, hessianTimes(data.xs, hadamard(a, gq)));
    expectClose(gradients.get('out.kernel'), expectedW, 'dL/dw');
    expectClose(gradients.get('innerLr/out.kernel'), scale(hadamard(gs, gq), -1), 'dL/da');
    tf.dispose([...gradients.values()]);
    learner.dispose();
    model.dispose();
  });
});

describe('Reptile on linear regression', () => {
  test('SGD inner loop: the meta-gradient is w − φ_k', () => {
    const model = linearModel(W);
    const learner = new Reptile(model, { loss: 'mse', innerLr: 0.1, innerSteps: 3, innerOptimizer: 'sgd' });
    const { gradients } = learner.metaGradients([data.task]);
    let phi = W;
    for (let s = 0; s < 3; s++) phi = sub(phi, scale(gradient(data.xs, data.ys, phi), 0.1));
    expectClose(gradients.get('out.kernel'), sub(W, phi), 'meta-gradient');
    tf.dispose([...gradients.values()]);
    model.dispose();
  });

  test('inner minibatches: consecutive slices of the support set, wrapping around', () => {
    const model = linearModel(W);
    const learner = new Reptile(model, {
      loss: 'mse',
      innerLr: 0.1,
      innerSteps: 3,
      innerOptimizer: 'sgd',
      innerBatchSize: 4,
    });
    const { gradients } = learner.metaGradients([data.task]);
    // 6 examples in batches of 4: [0 1 2 3], [4 5 0 1], then the first again.
    const rows = (indices: number[]) => indices.map((i) => data.xs[i] as Vector);
    const targets = (indices: number[]) => indices.map((i) => data.ys[i] as number);
    const batches = [
      [0, 1, 2, 3],
      [4, 5, 0, 1],
      [0, 1, 2, 3],
    ];
    let phi = W;
    for (const batch of batches) phi = sub(phi, scale(gradient(rows(batch), targets(batch), phi), 0.1));
    expectClose(gradients.get('out.kernel'), sub(W, phi), 'meta-gradient');
    tf.dispose([...gradients.values()]);
    model.dispose();
  });

  test('inner minibatches of a classification task interleave the classes', () => {
    // Labels 0 0 1 1 2 2 in batches of 3: [0 2 4] then [1 3 5], one example of each class per batch.
    const x = tf.tensor2d([
      [1, 0],
      [0.5, 0.2],
      [0, 1],
      [0.1, 0.7],
      [-1, -1],
      [-0.6, -0.9],
    ]);
    const y = tf.tensor1d([0, 0, 1, 1, 2, 2], 'int32');
    const kernel = [0.2, -0.1, 0.05, 0.3, -0.2, 0.1];
    const model = new Sequential([
      [
        'out',
        new Dense({ inUnits: 2, outUnits: 3, useBias: false }, { kernel: tf.tensor2d(kernel, [2, 3]) }),
      ],
    ]);
    const learner = new Reptile(model, {
      innerLr: 0.5,
      innerSteps: 2,
      innerOptimizer: 'sgd',
      innerBatchSize: 3,
    });
    const task: Task = { support: { x, y }, query: { x, y } };
    const { gradients } = learner.metaGradients([task]);
    const step = (w: tf.Tensor2D, indices: number[]) =>
      tf.tidy(() => {
        const index = tf.tensor1d(indices, 'int32');
        const xb = tf.gather(x, index) as tf.Tensor2D;
        const yb = tf.oneHot(tf.gather(y, index) as tf.Tensor1D, 3);
        const g = tf.grad((v: tf.Tensor) =>
          tf.losses.softmaxCrossEntropy(yb, tf.matMul(xb, v as tf.Tensor2D)),
        )(w);
        return tf.sub(w, tf.mul(g, 0.5)) as tf.Tensor2D;
      });
    const w0 = tf.tensor2d(kernel, [2, 3]);
    const w1 = step(w0, [0, 2, 4]);
    const w2 = step(w1, [1, 3, 5]);
    const expected = Array.from(tf.sub(w0, w2).dataSync());
    const actual = Array.from((gradients.get('out.kernel') as tf.Tensor).dataSync());
    for (const [i, v] of actual.entries()) expect(v).toBeCloseTo(expected[i] as number, 5);
    tf.dispose([x, y, w0, w1, w2, ...gradients.values()]);
    model.dispose();
  });

  test('Adam inner loop (β1 = 0): steps g/(√v̂ + ε)', () => {
    const model = linearModel(W);
    const learner = new Reptile(model, { loss: 'mse', innerLr: 0.01, innerSteps: 2, innerOptimizer: 'adam' });
    const { gradients } = learner.metaGradients([data.task]);
    let phi = W;
    let v = W.map(() => 0);
    for (let t = 1; t <= 2; t++) {
      const g = gradient(data.xs, data.ys, phi);
      v = v.map((vi, i) => 0.999 * vi + 0.001 * (g[i] as number) ** 2);
      phi = phi.map(
        (p, i) => p - (0.01 * (g[i] as number)) / (Math.sqrt((v[i] as number) / (1 - 0.999 ** t)) + 1e-8),
      );
    }
    expectClose(gradients.get('out.kernel'), sub(W, phi), 'meta-gradient');
    tf.dispose([...gradients.values()]);
    model.dispose();
  });
});

describe('ANIL on a linear body and head (features F = XB, head h)', () => {
  const B: Matrix = [
    [0.4, -0.2],
    [0.1, 0.5],
    [-0.3, 0.2],
  ];
  const h: Vector = [0.7, -0.4];
  const alpha = 0.2;

  function bodyAndHead(): Sequential {
    const body = tf.tensor2d(B);
    const head = tf.tensor2d(h, [2, 1]);
    const model = new Sequential([
      ['body', new Dense({ inUnits: 3, outUnits: 2, useBias: false }, { kernel: body })],
      ['head', new Dense({ inUnits: 2, outUnits: 1, useBias: false }, { kernel: head })],
    ]);
    tf.dispose([body, head]);
    return model;
  }

  const features = (x: Matrix): Matrix =>
    x.map((row) => transpose(B).map((column) => column.reduce((s, b, j) => s + b * (row[j] as number), 0)));

  test('adapts only the head and matches the closed form (first and second order for the head)', () => {
    const fs = features(data.xs);
    const fq = features(data.xq);
    const adaptedHead = sub(h, scale(gradient(fs, data.ys, h), alpha));
    const gqHead = gradient(fq, data.yq, adaptedHead);
    const residual = sub(matVec(fq, adaptedHead), data.yq);
    // dL/dB through the query features only (first order): (2/n)·X_qᵀ r h'ᵀ.
    const firstOrderBody = data.xq[0]?.map((_, i) =>
      adaptedHead.map(
        (hj) =>
          (2 / data.xq.length) *
          data.xq.reduce((s, row, n) => s + (row[i] as number) * (residual[n] as number) * hj, 0),
      ),
    ) as Matrix;
    for (const firstOrder of [true, false]) {
      const model = bodyAndHead();
      const anil = new ANIL(model, { loss: 'mse', innerLr: alpha, firstOrder });
      const adapted = anil.adapt(data.task.support);
      expect([...adapted.params.keys()]).toEqual(['head.kernel']);
      adapted.dispose();
      const { gradients } = anil.metaGradients([data.task]);
      const expectedHead = firstOrder ? gqHead : sub(gqHead, scale(hessianTimes(fs, gqHead), alpha));
      expectClose(gradients.get('head.kernel'), expectedHead, `dL/dh (firstOrder ${firstOrder})`);
      if (firstOrder) expectClose(gradients.get('body.kernel'), firstOrderBody.flat(), 'dL/dB (first order)');
      tf.dispose([...gradients.values()]);
      model.dispose();
    }
  });
});
