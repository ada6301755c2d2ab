import {
  BatchNorm,
  Conv2d,
  categorical,
  Dense,
  DynamicBatchNorm,
  DynamicConv2d,
  DynamicLinear,
  extractSubnet,
  initBackend,
  recalibrateBatchNorm,
  type TraceEvent,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { relativeError } from './helpers.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

const kernelChoice = categorical('k', [3, 5, 7]);
const widthChoice = categorical('w', [2, 4, 6]);

function conv(options: Partial<ConstructorParameters<typeof DynamicConv2d>[0]> = {}): DynamicConv2d {
  return new DynamicConv2d({
    maxInChannels: 4,
    maxOutChannels: 6,
    kernelSizes: [3, 5, 7],
    kernelSize: kernelChoice,
    outChannels: widthChoice,
    useBias: true,
    seed: 1,
    ...options,
  });
}

describe('DynamicConv2d', () => {
  test.each([
    [3, 2, 3],
    [5, 4, 4],
    [7, 6, 2],
  ])('kernel %i, %i outputs, %i inputs: the first filters, centre-cropped', (k, w, inChannels) => {
    const layer = conv();
    tf.tidy(() => layer.variable('bias').assign(tf.range(0, 6).div(10)));
    const x = tf.randomNormal([2, 6, 6, inChannels], 0, 1, 'float32', 3);
    const start = (7 - k) / 2;
    const kernel = tf.slice(
      layer.variable('kernel'),
      [start, start, 0, 0],
      [k, k, inChannels, w],
    ) as tf.Tensor4D;
    const expected = tf.add(
      tf.conv2d(x as tf.Tensor4D, kernel, 1, 'same'),
      tf.slice(layer.variable('bias'), 0, w),
    );
    const actual = layer.apply(x, { arch: { k, w } });
    expect(relativeError(actual, expected)).toBeLessThan(1e-6);
    tf.dispose([x, kernel, expected, actual]);
    layer.dispose();
  });

  test('kernel transforms: identity at initialisation, then M·crop one size step at a time (OFA)', () => {
    const layer = conv({ transformKernels: true });
    expect([...layer.namedParameters().keys()]).toEqual(['kernel', 'bias', 'transform7to5', 'transform5to3']);
    const x = tf.randomNormal([1, 5, 5, 4], 0, 1, 'float32', 4);
    const plain = conv();
    const a = layer.apply(x, { arch: { k: 3, w: 6 } });
    const b = plain.apply(x, { arch: { k: 3, w: 6 } });
    expect(relativeError(a, b)).toBeLessThan(1e-6);
    tf.tidy(() => {
      layer.variable('transform7to5').assign(tf.randomNormal([25, 25], 0, 0.3, 'float32', 5));
      layer.variable('transform5to3').assign(tf.randomNormal([9, 9], 0, 0.3, 'float32', 6));
    });
    const expected = tf.tidy(() => {
      const full = layer.variable('kernel');
      const crop5 = tf.reshape(tf.slice(full, [1, 1, 0, 0], [5, 5, 4, 6]), [25, 24]);
      const k5 = tf.reshape(tf.matMul(layer.variable('transform7to5'), crop5), [5, 5, 4, 6]);
      const crop3 = tf.reshape(tf.slice(k5, [1, 1, 0, 0], [3, 3, 4, 6]), [9, 24]);
      const k3 = tf.reshape(tf.matMul(layer.variable('transform5to3'), crop3), [3, 3, 4, 6]) as tf.Tensor4D;
      return tf.add(tf.conv2d(x as tf.Tensor4D, k3, 1, 'same'), layer.variable('bias'));
    });
    const actual = layer.apply(x, { arch: { k: 3, w: 6 } });
    expect(relativeError(actual, expected)).toBeLessThan(1e-5);
    tf.dispose([x, a, b, expected, actual]);
    layer.dispose();
    plain.dispose();
  });

  test('depthwise: width follows the input; extraction gives a depthwise Conv2d', () => {
    const layer = new DynamicConv2d({
      maxInChannels: 6,
      maxOutChannels: 6,
      depthwise: true,
      kernelSizes: [3, 5],
      kernelSize: categorical('k', [3, 5]),
      strides: 2,
      seed: 2,
    });
    const x = tf.randomNormal([2, 7, 7, 4], 0, 1, 'float32', 3);
    const filter = tf.reshape(
      tf.slice(layer.variable('kernel'), [1, 1, 0, 0], [3, 3, 1, 4]),
      [3, 3, 4, 1],
    ) as tf.Tensor4D;
    const expected = tf.depthwiseConv2d(x as tf.Tensor4D, filter, 2, 'same');
    const actual = layer.apply(x, { arch: { k: 3 } });
    expect(actual.shape).toEqual([2, 4, 4, 4]);
    expect(relativeError(actual, expected)).toBeLessThan(1e-6);
    const extracted = extractSubnet(layer, { k: 3 }, [7, 7, 4]) as Conv2d;
    expect(extracted).toBeInstanceOf(Conv2d);
    expect(extracted.getConfig()).toMatchObject({
      inChannels: 4,
      outChannels: 4,
      groups: 4,
      kernelSize: [3, 3],
      strides: [2, 2],
    });
    const fromExtracted = extracted.apply(x);
    expect(relativeError(fromExtracted, expected)).toBeLessThan(1e-6);
    tf.dispose([x, filter, expected, actual, fromExtracted]);
    layer.dispose();
    extracted.dispose();
  });

  test('gradients reach only the active slice; fast weights (params) override the kernel', () => {
    const layer = conv();
    const x = tf.randomNormal([1, 4, 4, 3], 0, 1, 'float32', 8);
    const kernel = layer.variable('kernel');
    const { grads } = tf.variableGrads(
      () => tf.sum(layer.apply(x, { arch: { k: 3, w: 2 }, training: true })) as tf.Scalar,
      [kernel],
    );
    const grad = grads[kernel.name] as tf.Tensor;
    const inside = tf.slice(grad, [2, 2, 0, 0], [3, 3, 3, 2]);
    expect(tf.sum(tf.abs(inside)).dataSync()[0]).toBeGreaterThan(0);
    expect(tf.sum(tf.abs(grad)).dataSync()[0]).toBeCloseTo(tf.sum(tf.abs(inside)).dataSync()[0] as number, 4);
    const fast = tf.mul(kernel, 2);
    const withFast = layer.apply(x, { arch: { k: 3, w: 2 }, params: { kernel: fast } });
    const doubled = tf.tidy(() =>
      tf.mul(tf.sub(layer.apply(x, { arch: { k: 3, w: 2 } }), tf.slice(layer.variable('bias'), 0, 2)), 2),
    );
    expect(relativeError(tf.sub(withFast, tf.slice(layer.variable('bias'), 0, 2)), doubled)).toBeLessThan(
      1e-6,
    );
    tf.dispose([x, grad, inside, fast, withFast, doubled]);
    layer.dispose();
  });

  test('traces the active configuration', () => {
    const layer = conv();
    const events: TraceEvent[] = [];
    const x = tf.zeros([1, 4, 4, 3]);
    layer.apply(x, { arch: { k: 5, w: 4 }, trace: { record: (e) => events.push(e) } }).dispose();
    expect(events.map((e) => [e.op, e.attrs])).toEqual([
      [
        'conv2d',
        {
          kernelSize: [5, 5],
          strides: [1, 1],
          padding: 'same',
          dilation: [1, 1],
          groups: 1,
          inChannels: 3,
          outChannels: 4,
          useBias: true,
        },
      ],
    ]);
    x.dispose();
    layer.dispose();
  });

  test('errors name the layer, the choice and the allowed values', () => {
    const layer = conv();
    const x = tf.zeros([1, 4, 4, 3]);
    expect(() => layer.apply(x)).toThrow(
      '@automl-ts/core/DynamicConv2d.forward: kernelSize reads choice "k" but the architecture is missing; pass apply(x, { arch })',
    );
    expect(() => layer.apply(x, { arch: { k: 5 } })).toThrow(
      'outChannels reads choice "w" but the architecture has no "w"',
    );
    expect(() => layer.apply(x, { arch: { k: 4, w: 2 } })).toThrow('kernelSize 4 is not one of 3, 5, 7');
    expect(() => layer.apply(x, { arch: { k: 3, w: 8 } })).toThrow(
      'outChannels (choice "w") is 8; expected an integer in [1, 6]',
    );
    expect(() => layer.apply(tf.zeros([1, 4, 4, 5]), { arch: { k: 3, w: 2 } })).toThrow(
      'input has 5 channels; this layer takes 1 to 4',
    );
    expect(() => conv({ kernelSizes: [3, 4] })).toThrow(
      'kernelSizes must be distinct odd integers >= 1, got [3,4]',
    );
    expect(() => conv({ outChannels: categorical('w', [2, 8]) })).toThrow(
      '@automl-ts/core/DynamicConv2d: outChannels (choice "w") allows 8; expected integers in [1, 6]',
    );
    expect(
      () =>
        new DynamicConv2d({
          maxInChannels: 4,
          maxOutChannels: 4,
          depthwise: true,
          kernelSizes: [3],
          outChannels: 2,
        }),
    ).toThrow('a depthwise conv takes its width from its input; do not give outChannels');
    x.dispose();
    layer.dispose();
  });
});

describe('DynamicBatchNorm', () => {
  test('training normalises the active channels and updates only their running statistics', () => {
    const bn = new DynamicBatchNorm({ maxChannels: 6, momentum: 0.5 });
    const x = tf.add(tf.randomNormal([8, 3, 3, 4], 0, 2, 'float32', 1), 3);
    const y = bn.apply(x, { training: true });
    const { mean, variance } = tf.moments(y, [0, 1, 2]);
    expect(Array.from(mean.dataSync()).every((m) => Math.abs(m) < 1e-5)).toBe(true);
    expect(Array.from(variance.dataSync()).every((v) => Math.abs(v - 1) < 1e-3)).toBe(true);
    const runningMean = Array.from(bn.variable('runningMean').dataSync());
    expect(runningMean.slice(0, 4).every((m) => m > 1)).toBe(true);
    expect(runningMean.slice(4)).toEqual([0, 0]);
    expect(Array.from(bn.variable('runningVar').dataSync()).slice(4)).toEqual([1, 1]);
    expect(bn.batchesTracked).toBe(1);
    bn.resetRunningStats();
    expect(Array.from(bn.variable('runningMean').dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
    tf.dispose([x, y, mean, variance]);
    bn.dispose();
  });

  test('recalibrateBatchNorm re-estimates the statistics of the active width only', async () => {
    const bn = new DynamicBatchNorm({ maxChannels: 6 });
    const x = tf.add(tf.randomNormal([16, 2, 2, 4], 0, 1, 'float32', 7), 2);
    await recalibrateBatchNorm(bn, [x]);
    const { mean } = tf.moments(x, [0, 1, 2]);
    const running = Array.from(bn.variable('runningMean').dataSync());
    Array.from(mean.dataSync()).forEach((m, i) => {
      expect(running[i]).toBeCloseTo(m, 5);
    });
    expect(running.slice(4)).toEqual([0, 0]);
    expect(bn.momentum).toBe(0.1);
    tf.dispose([x, mean]);
    bn.dispose();
  });

  test('inference equals the extracted BatchNorm with the sliced parameters and statistics', () => {
    const bn = new DynamicBatchNorm({ maxChannels: 6 });
    tf.tidy(() => {
      bn.variable('gamma').assign(tf.randomUniform([6], 0.5, 1.5, 'float32', 1));
      bn.variable('beta').assign(tf.randomNormal([6], 0, 1, 'float32', 2));
      bn.variable('runningMean').assign(tf.randomNormal([6], 0, 1, 'float32', 3));
      bn.variable('runningVar').assign(tf.randomUniform([6], 0.5, 2, 'float32', 4));
    });
    const x = tf.randomNormal([2, 3, 3, 5], 0, 1, 'float32', 5);
    const extracted = extractSubnet(bn, {}, [3, 3, 5]) as BatchNorm;
    expect(extracted).toBeInstanceOf(BatchNorm);
    expect(extracted.channels).toBe(5);
    const a = bn.apply(x);
    const b = extracted.apply(x);
    expect(relativeError(b, a)).toBe(0);
    tf.dispose([x, a, b]);
    bn.dispose();
    extracted.dispose();
  });
});

describe('DynamicLinear', () => {
  test('reads the first input units and produces the first output units; extracts to Dense', () => {
    const fc = new DynamicLinear({
      maxInUnits: 8,
      maxOutUnits: 6,
      outUnits: categorical('units', [3, 6]),
      seed: 3,
    });
    tf.tidy(() => fc.variable('bias').assign(tf.range(0, 6)));
    const x = tf.randomNormal([2, 5], 0, 1, 'float32', 1);
    const expected = tf.add(
      tf.matMul(x, tf.slice(fc.variable('kernel'), [0, 0], [5, 3])),
      tf.tensor1d([0, 1, 2]),
    );
    const actual = fc.apply(x, { arch: { units: 3 } });
    expect(relativeError(actual, expected)).toBeLessThan(1e-6);
    const dense = extractSubnet(fc, { units: 3 }, [5]) as Dense;
    expect(dense).toBeInstanceOf(Dense);
    expect(dense.getConfig()).toEqual({ inUnits: 5, outUnits: 3, useBias: true });
    expect(fc.searchChoices()).toEqual([categorical('units', [3, 6])]);
    tf.dispose([x, expected, actual]);
    fc.dispose();
    dense.dispose();
  });
});
