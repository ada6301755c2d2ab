import {
  Conv2d,
  createRng,
  initBackend,
  type Rng,
  registerDilatedConvolutionGradients,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';

const BACKENDS = ['cpu', 'wasm'] as const;

function uniform(rng: Rng, shape: number[]): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, () => rng.uniform(-1, 1)),
    shape,
  );
}

function dot(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.sum(tf.mul(a, b)).dataSync()[0] as number);
}

interface Case {
  readonly kind: 'conv2d' | 'depthwise';
  readonly batch: number;
  readonly size: readonly [number, number];
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly pad: 'same' | 'valid';
}

/** Seeded random configurations, plus the DARTS dil_conv shapes (3×3 and 5×5, rate 2). */
function cases(): Case[] {
  const fixed: Case[] = [
    {
      kind: 'depthwise',
      batch: 2,
      size: [9, 9],
      inChannels: 3,
      outChannels: 3,
      kernel: [3, 3],
      dilation: [2, 2],
      pad: 'same',
    },
    {
      kind: 'depthwise',
      batch: 2,
      size: [11, 11],
      inChannels: 2,
      outChannels: 2,
      kernel: [5, 5],
      dilation: [2, 2],
      pad: 'same',
    },
    {
      kind: 'conv2d',
      batch: 2,
      size: [9, 9],
      inChannels: 3,
      outChannels: 4,
      kernel: [3, 3],
      dilation: [2, 2],
      pad: 'same',
    },
    {
      kind: 'conv2d',
      batch: 1,
      size: [10, 8],
      inChannels: 2,
      outChannels: 3,
      kernel: [3, 3],
      dilation: [1, 1],
      pad: 'same',
    },
  ];
  const rng = createRng('dilated-cases');
  for (let i = 0; i < 8; i++) {
    const kind = i % 2 === 0 ? 'conv2d' : 'depthwise';
    const kernel: [number, number] = [rng.int(1, 3) * 2 - 1, rng.int(1, 3) * 2 - 1];
    const dilation: [number, number] = [rng.int(1, 3), rng.int(1, 3)];
    const pad = rng.uniform(0, 1) < 0.5 ? 'same' : 'valid';
    const minimum = (k: number, d: number) => (k - 1) * d + 1;
    const size: [number, number] = [
      minimum(kernel[0], dilation[0]) + rng.int(0, 4),
      minimum(kernel[1], dilation[1]) + rng.int(0, 4),
    ];
    const inChannels = rng.int(1, 3);
    fixed.push({
      kind,
      batch: rng.int(1, 2),
      size,
      inChannels,
      outChannels: kind === 'depthwise' ? inChannels * rng.int(1, 2) : rng.int(1, 4),
      kernel,
      dilation,
      pad,
    });
  }
  return fixed;
}

function convolve(c: Case, x: tf.Tensor, w: tf.Tensor): tf.Tensor {
  const dilation = c.dilation as [number, number];
  return c.kind === 'conv2d'
    ? tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, c.pad, 'NHWC', dilation)
    : tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, c.pad, 'NHWC', dilation);
}

function shapesOf(c: Case): { x: number[]; w: number[] } {
  const w =
    c.kind === 'conv2d'
      ? [c.kernel[0], c.kernel[1], c.inChannels, c.outChannels]
      : [c.kernel[0], c.kernel[1], c.inChannels, c.outChannels / c.inChannels];
  return { x: [c.batch, c.size[0], c.size[1], c.inChannels], w };
}

const label = (c: Case) =>
  `${c.kind} ${c.kernel.join('×')} dilation ${c.dilation.join(',')} ${c.pad} on ${c.size.join('×')}×${c.inChannels} → ${c.outChannels}`;

describe.each(BACKENDS)('dilated convolution gradients on %s', (backend) => {
  test('a dilated depthwise Conv2d layer is differentiable; registering again changes nothing', async () => {
    await initBackend({ prefer: backend });
    registerDilatedConvolutionGradients();
    expect(registerDilatedConvolutionGradients()).toEqual([]);
    const layer = new Conv2d({
      inChannels: 2,
      outChannels: 2,
      kernelSize: 3,
      dilation: 2,
      groups: 2,
      useBias: false,
    });
    const x = tf.ones([1, 7, 7, 2]);
    const g = tf.grad((input: tf.Tensor) => tf.sum(layer.apply(input)) as tf.Scalar)(x);
    expect(g.shape).toEqual([1, 7, 7, 2]);
    tf.dispose([x, g]);
    layer.dispose();
  });

  // L(x, W) = ⟨conv(x, W), R⟩ is linear in x and in W, so central differences are exact up to
  // float32 rounding: any wrong tap, offset or padding shows up as an O(1) relative error.
  test.each(cases().map((c) => [label(c), c] as const))(
    '%s: ⟨∇L, v⟩ equals central differences',
    async (_name, c) => {
      await initBackend({ prefer: backend });
      registerDilatedConvolutionGradients();
      tf.tidy(() => {
        const rng = createRng(label(c));
        const shapes = shapesOf(c);
        const x = uniform(rng, shapes.x);
        const w = uniform(rng, shapes.w);
        const r = uniform(rng, convolve(c, x, w).shape);
        const loss = (xi: tf.Tensor, wi: tf.Tensor) => tf.sum(tf.mul(convolve(c, xi, wi), r)) as tf.Scalar;
        const [gx, gw] = tf.grads(loss)([x, w]) as [tf.Tensor, tf.Tensor];
        expect(gx.shape).toEqual(shapes.x);
        expect(gw.shape).toEqual(shapes.w);
        const eps = 0.5;
        for (const [wrt, gradient] of [
          ['x', gx],
          ['w', gw],
        ] as const) {
          const v = uniform(rng, wrt === 'x' ? shapes.x : shapes.w);
          const shifted = (sign: number) =>
            wrt === 'x'
              ? loss(tf.add(x, tf.mul(v, sign * eps)), w).dataSync()[0]!
              : loss(x, tf.add(w, tf.mul(v, sign * eps))).dataSync()[0]!;
          const fd = (shifted(1) - shifted(-1)) / (2 * eps);
          const analytic = dot(gradient, v);
          expect(
            Math.abs(analytic - fd) / Math.max(1, Math.abs(fd)),
            `${wrt}: ${analytic} vs ${fd}`,
          ).toBeLessThan(1e-4);
        }
      });
    },
  );
});
