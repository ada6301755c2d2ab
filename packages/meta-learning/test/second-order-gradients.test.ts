import {
  createRng,
  crossEntropy,
  distillationLoss,
  logSoftmax,
  type Rng,
  registerDilatedConvolutionGradients,
} from '@automl-ts/core';
import { MAML, registerSecondOrderGradients, SECOND_ORDER_GRADIENT_KERNELS } from '@automl-ts/meta-learning';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import {
  BACKENDS,
  imageTasks,
  metaGradientErrors,
  tinyConvNet,
  tinyDepthwiseNet,
  uniform,
  useBackend,
} from './helpers.js';

function dot(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.sum(tf.mul(a, b)).dataSync()[0] as number);
}

describe('registration', () => {
  test('TF.js alone cannot differentiate a gradient through conv2d', async () => {
    await useBackend('cpu');
    const x = tf.ones([1, 4, 4, 1]);
    const w = tf.ones([3, 3, 1, 1]);
    const loss = (filter: tf.Tensor) =>
      tf.sum(tf.square(tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, 'same'))) as tf.Scalar;
    expect(() => tf.grad((filter: tf.Tensor) => tf.sum(tf.grad(loss)(filter)) as tf.Scalar)(w)).toThrow(
      /Conv2DBackpropFilter/,
    );
    tf.dispose([x, w]);
  });

  test('registers each gradient once and is idempotent', () => {
    const first = registerSecondOrderGradients();
    expect(first).toEqual([...SECOND_ORDER_GRADIENT_KERNELS]);
    expect(registerSecondOrderGradients()).toEqual([]);
    for (const kernel of SECOND_ORDER_GRADIENT_KERNELS)
      expect(tf.getGradient(kernel)?.kernelName, kernel).toBe(kernel);
  });
});

/**
 * A backward kernel that is linear in one input, the others fixed: `apply(u)`. Its registered
 * gradient is the adjoint, so ⟨∇_u ⟨apply(u), v⟩, w⟩ must equal ⟨v, apply(w)⟩ for any v, w.
 */
interface LinearCase {
  readonly name: string;
  /** Builds the inputs on the current backend; returns the linear map and the shape of u. */
  build(rng: Rng): { apply: (u: tf.Tensor) => tf.Tensor; inputShape: number[] };
}

const run = (kernel: string, inputs: tf.NamedTensorMap, attrs: object) =>
  tf.engine().runKernel(kernel, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;

function convCase(strides: number, pad: 'same' | 'valid', wrt: 'x' | 'dy'): LinearCase {
  return {
    name: `Conv2DBackpropFilter w.r.t. ${wrt}, strides ${strides}, ${pad}`,
    build(rng) {
      const xShape = [2, 7, 7, 3];
      const filterShape: [number, number, number, number] = [3, 3, 3, 4];
      const x = uniform(rng, xShape);
      const dyShape = tf.tidy(
        () => tf.conv2d(x as tf.Tensor4D, tf.zeros(filterShape) as tf.Tensor4D, strides, pad).shape,
      );
      const dy = uniform(rng, dyShape);
      const attrs = { strides, pad, dataFormat: 'NHWC', filterShape };
      return wrt === 'x'
        ? { apply: (u) => run('Conv2DBackpropFilter', { x: u, dy }, attrs), inputShape: xShape }
        : { apply: (u) => run('Conv2DBackpropFilter', { x, dy: u }, attrs), inputShape: [...dyShape] };
    },
  };
}

function depthwiseCase(
  kernel: 'input' | 'filter',
  wrt: string,
  strides: number,
  pad: 'same' | 'valid',
): LinearCase {
  return {
    name: `DepthwiseConv2dNativeBackprop${kernel === 'input' ? 'Input' : 'Filter'} w.r.t. ${wrt}, strides ${strides}, ${pad}`,
    build(rng) {
      const xShape = [2, 7, 7, 3];
      const filterShape: [number, number, number, number] = [3, 3, 3, 2];
      const x = uniform(rng, xShape);
      const filter = uniform(rng, filterShape);
      const dyShape = tf.tidy(
        () => tf.depthwiseConv2d(x as tf.Tensor4D, filter as tf.Tensor4D, strides, pad).shape,
      );
      const dy = uniform(rng, dyShape);
      const common = { strides, pad, dilations: [1, 1] };
      if (kernel === 'input') {
        const attrs = { ...common, inputShape: xShape };
        return wrt === 'dy'
          ? {
              apply: (u) => run('DepthwiseConv2dNativeBackpropInput', { dy: u, filter }, attrs),
              inputShape: [...dyShape],
            }
          : {
              apply: (u) => run('DepthwiseConv2dNativeBackpropInput', { dy, filter: u }, attrs),
              inputShape: filterShape,
            };
      }
      const attrs = { ...common, filterShape };
      return wrt === 'x'
        ? {
            apply: (u) => run('DepthwiseConv2dNativeBackpropFilter', { x: u, dy }, attrs),
            inputShape: xShape,
          }
        : {
            apply: (u) => run('DepthwiseConv2dNativeBackpropFilter', { x, dy: u }, attrs),
            inputShape: [...dyShape],
          };
    },
  };
}

function poolCase(
  kind: 'max' | 'avg',
  filterSize: number,
  strides: number,
  pad: 'same' | 'valid',
  size = 7,
): LinearCase {
  return {
    name: `${kind === 'max' ? 'MaxPoolGrad' : 'AvgPoolGrad'} w.r.t. dy, ${filterSize}×${filterSize} strides ${strides}, ${pad}, ${size}×${size}`,
    build(rng) {
      const xShape = [2, size, size, 3];
      const x = uniform(rng, xShape);
      const attrs = { filterSize, strides, pad };
      if (kind === 'max') {
        const y = tf.maxPool(x as tf.Tensor4D, filterSize, strides, pad);
        return {
          apply: (u) => run('MaxPoolGrad', { dy: u, input: x, output: y }, attrs),
          inputShape: [...y.shape],
        };
      }
      const yShape = tf.tidy(() => tf.avgPool(x as tf.Tensor4D, filterSize, strides, pad).shape);
      return { apply: (u) => run('AvgPoolGrad', { dy: u, input: x }, attrs), inputShape: [...yShape] };
    },
  };
}

const LINEAR_CASES: readonly LinearCase[] = [
  convCase(1, 'same', 'x'),
  convCase(1, 'same', 'dy'),
  convCase(2, 'valid', 'x'),
  convCase(2, 'same', 'dy'),
  depthwiseCase('input', 'dy', 1, 'same'),
  depthwiseCase('input', 'filter', 2, 'same'),
  depthwiseCase('filter', 'x', 1, 'valid'),
  depthwiseCase('filter', 'dy', 2, 'same'),
  poolCase('max', 2, 2, 'valid', 8),
  poolCase('max', 2, 2, 'valid', 7),
  poolCase('max', 2, 2, 'same', 7),
  poolCase('max', 3, 2, 'same'),
  poolCase('max', 3, 1, 'valid'),
  poolCase('avg', 2, 2, 'valid'),
  poolCase('avg', 3, 2, 'same'),
  poolCase('avg', 3, 1, 'same'),
];

describe.each(BACKENDS)('adjoint identities of the registered gradients on %s', (backend) => {
  test.each(LINEAR_CASES.map((c) => [c.name, c] as const))('%s', async (_name, linearCase) => {
    await useBackend(backend);
    registerSecondOrderGradients();
    tf.tidy(() => {
      const rng = createRng(11);
      const { apply, inputShape } = linearCase.build(rng);
      const u = uniform(rng, inputShape);
      const probe = apply(u);
      const v = uniform(rng, probe.shape);
      const w = uniform(rng, inputShape);
      const adjointOfV = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(apply(input), v)) as tf.Scalar)(u);
      const left = dot(adjointOfV, w);
      const right = dot(v, apply(w));
      expect(
        Math.abs(left - right) / Math.max(1, Math.abs(right)),
        `⟨Aᵀv, w⟩ = ${left}, ⟨v, Aw⟩ = ${right}`,
      ).toBeLessThan(1e-4);
    });
  });
});

/** Hessian-vector product by nested gradients against central differences of the gradient. */
const SMOOTH_CASES: ReadonlyArray<readonly [string, (z: tf.Tensor) => tf.Tensor]> = [
  ['exp', (z) => tf.sum(tf.exp(z))],
  ['sigmoid', (z) => tf.sum(tf.square(tf.sigmoid(z)))],
  ['tanh', (z) => tf.sum(tf.pow(tf.tanh(z), 3))],
  ['softmax', (z) => tf.sum(tf.square(tf.softmax(z)))],
  ['elu', (z) => tf.sum(tf.square(tf.elu(z)))],
  ['log-softmax from primitives', (z) => tf.neg(tf.sum(tf.mul(tf.oneHot([2, 0, 1, 1], 3), logSoftmax(z))))],
  [
    "core's crossEntropy with label smoothing",
    (z) => crossEntropy(z, tf.tensor1d([2, 0, 1, 1], 'int32'), { labelSmoothing: 0.1 }),
  ],
  [
    "core's distillationLoss (T = 2)",
    (z) =>
      distillationLoss(z, tf.tensor2d([0.5, -1, 2, 1, 0, -0.5, 0.2, 0.3, -0.4, 1.5, 1, 0], [4, 3]), {
        temperature: 2,
      }),
  ],
  [
    "batchNorm (FusedBatchNorm, TF.js's own gradient) with batch moments",
    (z) => {
      const { mean, variance } = tf.moments(z, 0);
      return tf.sum(
        tf.pow(
          tf.batchNorm(z, mean, variance, tf.tensor1d([0.1, -0.2, 0.3]), tf.tensor1d([1.5, 0.5, 2]), 1e-3),
          3,
        ),
      );
    },
  ],
];

describe.each(BACKENDS)(
  'Hessian-vector products through nonlinear ops (those TF.js differentiated from their outputs, and fused batch norm) on %s',
  (backend) => {
    test.each(SMOOTH_CASES)('%s: Hessian·v matches central differences', async (_name, expression) => {
      const f = (z: tf.Tensor) => expression(z) as tf.Scalar;
      await useBackend(backend);
      registerSecondOrderGradients();
      tf.tidy(() => {
        const rng = createRng(5);
        const z = uniform(rng, [4, 3]);
        const v = uniform(rng, [4, 3]);
        const hessianV = tf.grad((point: tf.Tensor) => tf.sum(tf.mul(tf.grad(f)(point), v)) as tf.Scalar)(z);
        const eps = 1e-2;
        const gradient = tf.grad(f);
        const fd = tf.div(
          tf.sub(gradient(tf.add(z, tf.mul(v, eps))), gradient(tf.sub(z, tf.mul(v, eps)))),
          2 * eps,
        );
        const scale = Math.max(1e-3, tf.max(tf.abs(fd)).dataSync()[0] as number);
        const error = (tf.max(tf.abs(tf.sub(hessianV, fd))).dataSync()[0] as number) / scale;
        expect(error).toBeLessThan(2e-3);
      });
    });
  },
);

/**
 * The MAML meta-gradient of a tiny net against central differences of the meta-loss
 * L(θ) = L_query(θ − α∇L_support(θ)), along the gradient and two random directions. Float32 and
 * ReLU/max-pool kinks limit finite differences: the nets are tiny (so that no kink lies within ε
 * of the seeded point) and ε = 3e-3 balances truncation against rounding (~1e-7·|L|/ε).
 */
const META_CASES = [
  {
    name: 'conv 3×3 → BN → ReLU → max pool → fc',
    build: () => tinyConvNet({ size: 4, filters: 2, classes: 2, seed: 2 }),
    tasks: () => imageTasks({ ways: 2, shots: 1, queries: 2, size: 4 }, 2),
  },
  {
    name: 'depthwise 3×3 → BN → ReLU6 → pointwise → BN → global average pool → fc',
    build: () => tinyDepthwiseNet({ size: 6, channels: 3, classes: 3, seed: 1 }),
    tasks: () => imageTasks({ ways: 3, shots: 2, queries: 2, size: 6, channels: 3 }, 3),
  },
] as const;

describe.each(BACKENDS)('second-order MAML meta-gradient against finite differences on %s', (backend) => {
  test.each(META_CASES.map((c) => [c.name, c] as const))('%s', async (_name, metaCase) => {
    await useBackend(backend);
    const net = metaCase.build();
    const task = metaCase.tasks().sample();
    const secondOrder = new MAML(net, { innerLr: 0.4, innerSteps: 1 });
    const firstOrder = new MAML(net, { innerLr: 0.4, innerSteps: 1, firstOrder: true });
    const exact = secondOrder.metaGradients([task]).gradients;
    const approximate = firstOrder.metaGradients([task]).gradients;
    const errors = metaGradientErrors(secondOrder, task, exact, approximate);
    console.info(
      `${backend} ${metaCase.name}: relative error of the directional derivative, second order ${errors.map((e) => e.exact.toExponential(1)).join(', ')}; first order ${errors.map((e) => e.approximate.toExponential(1)).join(', ')}`,
    );
    // Second order within 1e-2 in every direction; first-order MAML (no curvature term) is at
    // least 10× further off along the gradient, so the check tells the two apart.
    for (const [d, error] of errors.entries()) expect(error.exact, `direction ${d}`).toBeLessThan(1e-2);
    expect(errors[0]?.approximate).toBeGreaterThan(10 * (errors[0]?.exact ?? 0));
    tf.dispose([...exact.values(), ...approximate.values()]);
    task.dispose();
    net.dispose();
  });
});

/**
 * Second order through core's dilated-convolution gradients (DARTS' dil_conv ops): Hessian·v of
 * f(x, W) = Σ tanh(conv(x, W, dilation 2))², with respect to the input and to the kernel,
 * against central differences of the gradient.
 */
describe.each(BACKENDS)('Hessian-vector products through dilated convolutions on %s', (backend) => {
  const cases = [
    ['conv2d 3×3', 'conv2d', [3, 3, 2, 3]],
    ['depthwise 3×3', 'depthwise', [3, 3, 2, 1]],
    ['depthwise 5×5', 'depthwise', [5, 5, 2, 1]],
  ] as const;
  test.each(cases)(
    '%s, dilation 2, same: Hessian·v matches central differences',
    async (_name, kind, shape) => {
      await useBackend(backend);
      registerSecondOrderGradients();
      registerDilatedConvolutionGradients();
      tf.tidy(() => {
        const rng = createRng(11);
        const x = uniform(rng, [2, 9, 9, 2]);
        const w = uniform(rng, [...shape], 0.5);
        const conv = (xi: tf.Tensor, wi: tf.Tensor) =>
          kind === 'conv2d'
            ? tf.conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, 1, 'same', 'NHWC', 2)
            : tf.depthwiseConv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, 1, 'same', 'NHWC', 2);
        for (const wrt of ['x', 'w'] as const) {
          const point = wrt === 'x' ? x : w;
          const f = (z: tf.Tensor) =>
            tf.sum(tf.square(tf.tanh(wrt === 'x' ? conv(z, w) : conv(x, z)))) as tf.Scalar;
          const v = uniform(rng, point.shape);
          const hessianV = tf.grad((z: tf.Tensor) => tf.sum(tf.mul(tf.grad(f)(z), v)) as tf.Scalar)(point);
          const eps = 1e-2;
          const gradient = tf.grad(f);
          const fd = tf.div(
            tf.sub(gradient(tf.add(point, tf.mul(v, eps))), gradient(tf.sub(point, tf.mul(v, eps)))),
            2 * eps,
          );
          const scale = Math.max(1e-3, tf.max(tf.abs(fd)).dataSync()[0] as number);
          const error = (tf.max(tf.abs(tf.sub(hessianV, fd))).dataSync()[0] as number) / scale;
          expect(error, wrt).toBeLessThan(5e-3);
        }
      });
    },
  );
});
