// The benchmark networks, written with plain TF.js ops so every kernel a training step needs is
// visible, and their FLOP counts (2 × multiply-adds of convolutions and matrix products; elementwise
// ops, pooling and batch norm are not counted).
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../src/index.js';

/** One layer of a benchmark network. */
export type LayerSpec =
  | {
      kind: 'conv';
      filters: number;
      kernel: number;
      stride: number;
      bias: boolean;
      norm: boolean;
      act: Activation;
    }
  | { kind: 'depthwise'; kernel: number; stride: number; norm: boolean; act: Activation }
  | { kind: 'maxPool'; size: number }
  | { kind: 'globalAvgPool' }
  | { kind: 'flatten' }
  | { kind: 'dense'; units: number };

type Activation = 'relu' | 'relu6' | 'none';

/** A benchmark network bound to its parameters. */
export interface BenchNet {
  readonly name: string;
  readonly inputShape: [number, number, number, number];
  readonly classes: number;
  /** Logits for a batch (batch norm in training mode: batch statistics). */
  forward(x: tf.Tensor4D): tf.Tensor2D;
  readonly variables: tf.Variable[];
  /** FLOPs of one forward pass. */
  readonly forwardFlops: number;
  /** FLOPs of one training step: forward, input gradients of all but the first layer, all weight gradients. */
  readonly trainFlops: number;
  dispose(): void;
}

/** conv3x3(32)-relu, conv3x3(32)-relu, maxpool2, conv3x3(64)-relu, flatten, dense(10); 32×32×3 input. */
export const REFERENCE_NET: readonly LayerSpec[] = [
  { kind: 'conv', filters: 32, kernel: 3, stride: 1, bias: true, norm: false, act: 'relu' },
  { kind: 'conv', filters: 32, kernel: 3, stride: 1, bias: true, norm: false, act: 'relu' },
  { kind: 'maxPool', size: 2 },
  { kind: 'conv', filters: 64, kernel: 3, stride: 1, bias: true, norm: false, act: 'relu' },
  { kind: 'flatten' },
  { kind: 'dense', units: 10 },
];

function mobileBlock(stride: number, filters: number): LayerSpec[] {
  return [
    { kind: 'depthwise', kernel: 3, stride, norm: true, act: 'relu6' },
    { kind: 'conv', filters, kernel: 1, stride: 1, bias: false, norm: true, act: 'relu6' },
  ];
}

/**
 * MobileNet-style: stem conv3x3/2(16)-BN-relu6, three depthwise-separable blocks
 * (dw3x3/1 → pw32, dw3x3/2 → pw64, dw3x3/1 → pw128, each followed by BN-relu6),
 * global average pool, dense(10); 32×32×3 input.
 */
export const MOBILE_NET: readonly LayerSpec[] = [
  { kind: 'conv', filters: 16, kernel: 3, stride: 2, bias: false, norm: true, act: 'relu6' },
  ...mobileBlock(1, 32),
  ...mobileBlock(2, 64),
  ...mobileBlock(1, 128),
  { kind: 'globalAvgPool' },
  { kind: 'dense', units: 10 },
];

type Shape3 = [number, number, number];

function activate(x: tf.Tensor4D, act: Activation): tf.Tensor4D {
  if (act === 'relu') return tf.relu(x);
  if (act === 'relu6') return tf.relu6(x);
  return x;
}

function batchNorm(x: tf.Tensor4D, gamma: tf.Variable, beta: tf.Variable): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.batchNorm(x, mean, variance, beta as tf.Tensor1D, gamma as tf.Tensor1D, 1e-3) as tf.Tensor4D;
}

/** Builds `specs` for `batch` images of `imageShape` with seeded He-normal weights. */
export function buildNet(
  name: string,
  specs: readonly LayerSpec[],
  batch: number,
  imageShape: Shape3,
  seed: string,
): BenchNet {
  const rng = createRng(seed);
  const variables: tf.Variable[] = [];
  const weight = (shape: number[], fanIn: number) => {
    const v = tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', rng.seed()));
    variables.push(v);
    return v;
  };
  const constant = (shape: number[], value: number) => {
    const v = tf.variable(tf.fill(shape, value));
    variables.push(v);
    return v;
  };
  const steps: ((x: tf.Tensor) => tf.Tensor)[] = [];
  let [h, w, c] = imageShape;
  let flat = 0;
  let forwardFlops = 0;
  let trainFlops = 0;
  let first = true;
  const countMacs = (macs: number) => {
    forwardFlops += 2 * macs;
    trainFlops += 2 * macs * (first ? 2 : 3);
    first = false;
  };
  for (const spec of specs) {
    switch (spec.kind) {
      case 'conv': {
        const filter = weight([spec.kernel, spec.kernel, c, spec.filters], spec.kernel * spec.kernel * c);
        const bias = spec.bias ? constant([spec.filters], 0) : undefined;
        const norm = spec.norm ? [constant([spec.filters], 1), constant([spec.filters], 0)] : undefined;
        h = Math.ceil(h / spec.stride);
        w = Math.ceil(w / spec.stride);
        countMacs(batch * h * w * spec.kernel * spec.kernel * c * spec.filters);
        c = spec.filters;
        steps.push((x) => {
          let y = tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, spec.stride, 'same');
          if (bias !== undefined) y = tf.add(y, bias);
          if (norm !== undefined) y = batchNorm(y, norm[0] as tf.Variable, norm[1] as tf.Variable);
          return activate(y, spec.act);
        });
        break;
      }
      case 'depthwise': {
        const filter = weight([spec.kernel, spec.kernel, c, 1], spec.kernel * spec.kernel);
        const norm = spec.norm ? [constant([c], 1), constant([c], 0)] : undefined;
        h = Math.ceil(h / spec.stride);
        w = Math.ceil(w / spec.stride);
        countMacs(batch * h * w * spec.kernel * spec.kernel * c);
        steps.push((x) => {
          let y = tf.depthwiseConv2d(x as tf.Tensor4D, filter as tf.Tensor4D, spec.stride, 'same');
          if (norm !== undefined) y = batchNorm(y, norm[0] as tf.Variable, norm[1] as tf.Variable);
          return activate(y, spec.act);
        });
        break;
      }
      case 'maxPool':
        h = Math.floor(h / spec.size);
        w = Math.floor(w / spec.size);
        steps.push((x) => tf.maxPool(x as tf.Tensor4D, spec.size, spec.size, 'valid'));
        break;
      case 'globalAvgPool':
        flat = c;
        steps.push((x) => tf.mean(x, [1, 2]));
        break;
      case 'flatten':
        flat = h * w * c;
        steps.push((x) => tf.reshape(x, [batch, -1]));
        break;
      case 'dense': {
        const kernel = weight([flat, spec.units], flat);
        const bias = constant([spec.units], 0);
        countMacs(batch * flat * spec.units);
        steps.push((x) => tf.add(tf.matMul(x as tf.Tensor2D, kernel), bias));
        flat = spec.units;
        break;
      }
    }
  }
  return {
    name,
    inputShape: [batch, ...imageShape],
    classes: flat,
    forward: (x) => steps.reduce<tf.Tensor>((y, step) => step(y), x) as tf.Tensor2D,
    variables,
    forwardFlops,
    trainFlops,
    dispose: () => tf.dispose(variables),
  };
}
