// Property tests: every kernel of the wasm training pack, called directly with random attributes,
// against the cpu backend. Error = max |wasm - cpu| / max(1, |cpu|) (see maxRelativeError).

import { createRng, initBackend, type Rng, registerWasmTrainingKernels } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { computeOn, expectTensorsClose, randomValues, type Snapshot } from '../helpers/tensors.js';

const CASES = 240;
const TOLERANCE = 1e-5;

type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
type RoundingMode = 'floor' | 'round' | 'ceil' | undefined;

interface ConvCase {
  readonly label: string;
  readonly xShape: [number, number, number, number];
  /** Filter shape as the forward op takes it: `[kh, kw, in, out]` or `[kh, kw, in, multiplier]`. */
  readonly filterShape: [number, number, number, number];
  readonly outShape: [number, number, number, number];
  readonly strides: [number, number];
  readonly dilations: [number, number];
  readonly pad: Pad;
  readonly dimRoundingMode: RoundingMode;
  readonly x: Float32Array;
  readonly filter: Float32Array;
  readonly dy: Float32Array;
}

function randomPad(rng: Rng): { pad: Pad; dimRoundingMode: RoundingMode } {
  const kind = rng.int(0, 3);
  if (kind === 0) return { pad: 'same', dimRoundingMode: undefined };
  if (kind === 1) return { pad: 'valid', dimRoundingMode: undefined };
  if (kind === 2) {
    return {
      pad: rng.int(0, 2),
      dimRoundingMode: rng.choice([undefined, 'floor', 'round', 'ceil'] as const),
    };
  }
  return {
    pad: [
      [0, 0],
      [rng.int(0, 3), rng.int(0, 3)],
      [rng.int(0, 3), rng.int(0, 3)],
      [0, 0],
    ],
    dimRoundingMode: undefined,
  };
}

/**
 * A random convolution small enough for the cpu reference: batch 1-3, odd and even sizes up to 9,
 * filters 1-4 per axis, strides 1-3 per axis (independently) or, for depthwise, dilations 1-3
 * instead (TF.js forbids both above 1), every padding mode.
 */
function randomConvCase(rng: Rng, depthwise: boolean): ConvCase {
  for (;;) {
    const batch = rng.int(1, 3);
    const xShape: [number, number, number, number] = [batch, rng.int(1, 9), rng.int(1, 9), rng.int(1, 5)];
    const fourth = depthwise ? rng.int(1, 3) : rng.int(1, 5);
    const filterShape: [number, number, number, number] = [rng.int(1, 4), rng.int(1, 4), xShape[3], fourth];
    const dilate = depthwise && rng.bernoulli(0.35);
    const strides: [number, number] = dilate ? [1, 1] : [rng.int(1, 3), rng.int(1, 3)];
    const dilations: [number, number] = dilate ? [rng.int(1, 3), rng.int(1, 3)] : [1, 1];
    const { pad, dimRoundingMode } = randomPad(rng);
    let outShape: [number, number, number, number];
    try {
      outShape = tf.backend_util.computeConv2DInfo(
        xShape,
        filterShape,
        strides,
        dilations,
        pad,
        dimRoundingMode,
        depthwise,
      ).outShape;
    } catch {
      continue;
    }
    if (outShape.some((d) => d < 1)) continue;
    const label = JSON.stringify({ xShape, filterShape, strides, dilations, pad, dimRoundingMode });
    return {
      label,
      xShape,
      filterShape,
      outShape,
      strides,
      dilations,
      pad,
      dimRoundingMode,
      x: randomValues(rng, tf.util.sizeFromShape(xShape)),
      filter: randomValues(rng, tf.util.sizeFromShape(filterShape)),
      dy: randomValues(rng, tf.util.sizeFromShape(outShape)),
    };
  }
}

function runKernel(name: string, inputs: tf.NamedTensorMap, attrs: object): tf.Tensor {
  return tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
}

/**
 * The filter with `d - 1` zeros between taps. A dilated convolution equals the undilated one with
 * this filter (same effective size, so 'same' pads identically). The cpu backprop kernels ignore
 * dilations (tf.grad refuses them), so references for dilated cases run undilated on this filter.
 */
function dilateFilter(values: Float32Array, shape: readonly number[], dilations: [number, number]) {
  const [kh, kw, c, m] = shape as [number, number, number, number];
  const [dh, dw] = dilations;
  const eh = (kh - 1) * dh + 1;
  const ew = (kw - 1) * dw + 1;
  const out = new Float32Array(eh * ew * c * m);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      out.set(
        values.subarray((i * kw + j) * c * m, (i * kw + j + 1) * c * m),
        (i * dh * ew + j * dw) * c * m,
      );
    }
  }
  return { values: out, shape: [eh, ew, c, m] as [number, number, number, number] };
}

/** Taps `[::dh, ::dw]` of a gradient computed for the dilated filter. */
function undilateGradient(grad: Snapshot, shape: readonly number[], dilations: [number, number]): Snapshot {
  const [kh, kw, c, m] = shape as [number, number, number, number];
  const [dh, dw] = dilations;
  const ew = (kw - 1) * dw + 1;
  const out = new Float32Array(kh * kw * c * m);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const from = (i * dh * ew + j * dw) * c * m;
      out.set(grad.values.subarray(from, from + c * m) as Float32Array, (i * kw + j) * c * m);
    }
  }
  return { shape: [kh, kw, c, m], values: out };
}

async function compareOnBackends(
  cases: readonly ConvCase[],
  wasmRun: (c: ConvCase) => tf.Tensor,
  cpuRun: (c: ConvCase) => tf.Tensor,
  toReference: (c: ConvCase, cpu: Snapshot) => Snapshot = (_c, cpu) => cpu,
): Promise<number> {
  const labelled = (run: (c: ConvCase) => tf.Tensor) => (c: ConvCase) => () => {
    try {
      return run(c);
    } catch (error) {
      throw new Error(`${c.label}: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
  };
  const wasm = await computeOn('wasm', cases.map(labelled(wasmRun)));
  const cpu = await computeOn('cpu', cases.map(labelled(cpuRun)));
  let worst = 0;
  cases.forEach((c, i) => {
    const reference = toReference(c, cpu[i]?.[0] as Snapshot);
    worst = Math.max(
      worst,
      expectTensorsClose(wasm[i]?.[0] as Snapshot, reference, TOLERANCE, c.label).error,
    );
  });
  return worst;
}

beforeAll(async () => {
  const info = await initBackend({ prefer: 'wasm' });
  expect(info.name).toBe('wasm');
});

describe('wasm training kernels match the cpu backend on random configurations', () => {
  test(`Conv2DBackpropInput (${CASES} cases)`, async () => {
    const rng = createRng('Conv2DBackpropInput');
    const cases = Array.from({ length: CASES }, () => randomConvCase(rng, false));
    const run = (c: ConvCase) =>
      runKernel(
        'Conv2DBackpropInput',
        { dy: tf.tensor4d(c.dy, c.outShape), filter: tf.tensor4d(c.filter, c.filterShape) },
        {
          strides: c.strides,
          pad: c.pad,
          dataFormat: 'NHWC',
          dimRoundingMode: c.dimRoundingMode,
          inputShape: c.xShape,
        },
      );
    await compareOnBackends(cases, run, run);
  });

  test(`Conv2DBackpropFilter (${CASES} cases)`, async () => {
    const rng = createRng('Conv2DBackpropFilter');
    const cases = Array.from({ length: CASES }, () => randomConvCase(rng, false));
    const run = (c: ConvCase) =>
      runKernel(
        'Conv2DBackpropFilter',
        { x: tf.tensor4d(c.x, c.xShape), dy: tf.tensor4d(c.dy, c.outShape) },
        {
          strides: c.strides,
          pad: c.pad,
          dataFormat: 'NHWC',
          dimRoundingMode: c.dimRoundingMode,
          filterShape: c.filterShape,
        },
      );
    await compareOnBackends(cases, run, run);
  });

  test(`DepthwiseConv2dNativeBackpropInput (${CASES} cases, multipliers 1-3, dilations)`, async () => {
    const rng = createRng('DepthwiseConv2dNativeBackpropInput');
    const cases = Array.from({ length: CASES }, () => randomConvCase(rng, true));
    const attrs = (c: ConvCase, dilations: [number, number]) => ({
      strides: c.strides,
      dilations,
      pad: c.pad,
      dimRoundingMode: c.dimRoundingMode,
      inputShape: c.xShape,
    });
    await compareOnBackends(
      cases,
      (c) =>
        runKernel(
          'DepthwiseConv2dNativeBackpropInput',
          { dy: tf.tensor4d(c.dy, c.outShape), filter: tf.tensor4d(c.filter, c.filterShape) },
          attrs(c, c.dilations),
        ),
      (c) => {
        const dilated = dilateFilter(c.filter, c.filterShape, c.dilations);
        return runKernel(
          'DepthwiseConv2dNativeBackpropInput',
          { dy: tf.tensor4d(c.dy, c.outShape), filter: tf.tensor4d(dilated.values, dilated.shape) },
          attrs(c, [1, 1]),
        );
      },
    );
  });

  test(`DepthwiseConv2dNativeBackpropFilter (${CASES} cases, multipliers 1-3, dilations)`, async () => {
    const rng = createRng('DepthwiseConv2dNativeBackpropFilter');
    const cases = Array.from({ length: CASES }, () => randomConvCase(rng, true));
    const attrs = (c: ConvCase, dilations: [number, number], filterShape: number[]) => ({
      strides: c.strides,
      dilations,
      pad: c.pad,
      dimRoundingMode: c.dimRoundingMode,
      filterShape,
    });
    await compareOnBackends(
      cases,
      (c) =>
        runKernel(
          'DepthwiseConv2dNativeBackpropFilter',
          { x: tf.tensor4d(c.x, c.xShape), dy: tf.tensor4d(c.dy, c.outShape) },
          attrs(c, c.dilations, c.filterShape),
        ),
      (c) =>
        runKernel(
          'DepthwiseConv2dNativeBackpropFilter',
          { x: tf.tensor4d(c.x, c.xShape), dy: tf.tensor4d(c.dy, c.outShape) },
          attrs(c, [1, 1], dilateFilter(c.filter, c.filterShape, c.dilations).shape),
        ),
      (c, cpu) => undilateGradient(cpu, c.filterShape, c.dilations),
    );
  });

  test(`UnsortedSegmentSum (${CASES} cases, float32 and int32, out-of-range ids)`, async () => {
    const rng = createRng('UnsortedSegmentSum');
    const cases = Array.from({ length: CASES }, () => {
      // Rank-1 ids (what the gather gradient passes): the cpu kernel cannot broadcast higher ranks.
      const idsShape = [rng.int(1, 12)];
      const xShape = [...idsShape, ...Array.from({ length: rng.int(0, 2) }, () => rng.int(1, 5))];
      const numSegments = rng.int(1, 7);
      const dtype = rng.bernoulli(0.25) ? ('int32' as const) : ('float32' as const);
      const size = tf.util.sizeFromShape(xShape);
      const x =
        dtype === 'int32'
          ? Int32Array.from({ length: size }, () => rng.int(-50, 50))
          : randomValues(rng, size, 10);
      const ids = Int32Array.from({ length: tf.util.sizeFromShape(idsShape) }, () =>
        rng.int(-1, numSegments),
      );
      const label = JSON.stringify({ xShape, idsShape, numSegments, dtype });
      return { label, xShape, idsShape, numSegments, dtype, x, ids };
    });
    const run = (c: (typeof cases)[number]) => () =>
      tf.unsortedSegmentSum(tf.tensor(c.x, c.xShape), tf.tensor1d(c.ids, 'int32'), c.numSegments);
    const wasm = await computeOn('wasm', cases.map(run));
    const cpu = await computeOn('cpu', cases.map(run));
    cases.forEach((c, i) => {
      const expected = cpu[i]?.[0] as Snapshot;
      const actual = wasm[i]?.[0] as Snapshot;
      // The output keeps x's dtype, as in TensorFlow (the cpu kernel upcasts int32 to float32).
      expect(actual.values.constructor, c.label).toBe(c.dtype === 'int32' ? Int32Array : Float32Array);
      // Same float64 sums in the same order as the cpu backend: bitwise equal, not just close.
      expect(Array.from(actual.values), c.label).toEqual(Array.from(expected.values));
      expect([...actual.shape]).toEqual([...expected.shape]);
    });
  });
});

describe('wasm training kernels: errors and edge cases', () => {
  const conv = {
    x: () => tf.zeros([1, 4, 4, 2]),
    dy: () => tf.zeros([1, 4, 4, 3]),
    filter: () => tf.zeros([3, 3, 2, 3]),
  };

  test.each([
    ['Conv2DBackpropFilter', () => ({ x: conv.x(), dy: conv.dy() }), { filterShape: [3, 3, 2, 3] }],
    ['Conv2DBackpropInput', () => ({ dy: conv.dy(), filter: conv.filter() }), { inputShape: [1, 4, 4, 2] }],
  ] as const)('%s rejects NCHW with a message naming the kernel', (name, inputs, extra) => {
    tf.tidy(() => {
      expect(() =>
        runKernel(name, inputs(), { strides: 1, pad: 'same', dataFormat: 'NCHW', ...extra }),
      ).toThrow(
        `@automl-ts/core/${name}: dataFormat "NCHW" is not supported by the wasm training kernels; use "NHWC"`,
      );
    });
  });

  test('Conv2DBackpropFilter rejects a dy that does not match the convolution', () => {
    tf.tidy(() => {
      expect(() =>
        runKernel(
          'Conv2DBackpropFilter',
          { x: conv.x(), dy: tf.zeros([1, 2, 2, 3]) },
          { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 2, 3] },
        ),
      ).toThrow('@automl-ts/core/Conv2DBackpropFilter: dy has shape [1,2,2,3], expected [1,4,4,3]');
    });
  });

  test('UnsortedSegmentSum rejects segment ids that are not a prefix of x', () => {
    tf.tidy(() => {
      expect(() =>
        runKernel(
          'UnsortedSegmentSum',
          { x: tf.zeros([3, 2]), segmentIds: tf.zeros([2], 'int32') },
          { numSegments: 2 },
        ),
      ).toThrow('@automl-ts/core/UnsortedSegmentSum: segmentIds shape [2] must be a prefix of x shape [3,2]');
    });
  });

  // With NaN or ±Inf among the inputs the convolution kernels keep this contract, both ways: an
  // entry is non-finite here exactly where it is non-finite on cpu (a padding zero times Inf must
  // not make a NaN that cpu, which skips the padding, does not have), and finite entries agree.
  test.each([
    ['Conv2DBackpropInput', false, ['dy', 'filter']],
    ['Conv2DBackpropFilter', false, ['x', 'dy']],
    ['DepthwiseConv2dNativeBackpropInput', true, ['dy', 'filter']],
    ['DepthwiseConv2dNativeBackpropFilter', true, ['x', 'dy']],
  ] as const)('%s propagates NaN and Inf (60 cases)', async (name, depthwise, inputNames) => {
    const rng = createRng(`${name}/non-finite`);
    const cases = Array.from({ length: 60 }, () => {
      let c = randomConvCase(rng, depthwise);
      // The cpu reference ignores dilations in these kernels (see dilateFilter): undilated cases only.
      while (c.dilations[0] !== 1 || c.dilations[1] !== 1) c = randomConvCase(rng, depthwise);
      const poisoned = { x: c.x, dy: c.dy, filter: c.filter };
      const target = poisoned[rng.choice(inputNames)];
      for (let k = rng.int(1, 2); k > 0; k--) {
        target[rng.int(0, target.length - 1)] = rng.choice([Number.NaN, Number.POSITIVE_INFINITY, -Infinity]);
      }
      return { ...c, ...poisoned };
    });
    const run = (c: ConvCase) => () => {
      const dy = tf.tensor4d(c.dy, c.outShape);
      const common = { strides: c.strides, pad: c.pad, dimRoundingMode: c.dimRoundingMode };
      const extra = depthwise ? { dilations: 1 } : { dataFormat: 'NHWC' };
      return name.endsWith('Input')
        ? runKernel(
            name,
            { dy, filter: tf.tensor4d(c.filter, c.filterShape) },
            { ...common, ...extra, inputShape: c.xShape },
          )
        : runKernel(
            name,
            { x: tf.tensor4d(c.x, c.xShape), dy },
            { ...common, ...extra, filterShape: c.filterShape },
          );
    };
    const wasm = await computeOn('wasm', cases.map(run));
    const cpu = await computeOn('cpu', cases.map(run));
    cases.forEach((c, i) => {
      const actual = wasm[i]?.[0]?.values as Float32Array;
      const expected = cpu[i]?.[0]?.values as Float32Array;
      const finiteBoth: number[] = [];
      const finiteExpected: number[] = [];
      expected.forEach((b, k) => {
        const a = actual[k] as number;
        expect(Number.isFinite(a), `${c.label} at ${k}: cpu ${b}, wasm ${a}`).toBe(Number.isFinite(b));
        if (Number.isFinite(a) && Number.isFinite(b)) {
          finiteBoth.push(a);
          finiteExpected.push(b);
        }
      });
      expectTensorsClose(finiteBoth, finiteExpected, TOLERANCE, c.label);
    });
  });

  test('UnsortedSegmentSum takes ids of any rank that prefix x (summing their rows)', () => {
    const x = tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 3, 2]);
    const ids = tf.tensor2d([2, 0, 2, -1, 0, 3], [2, 3], 'int32');
    const out = tf.tidy(() =>
      runKernel('UnsortedSegmentSum', { x, segmentIds: ids }, { numSegments: 3 }).arraySync(),
    );
    expect(out).toEqual([
      [3 + 9, 4 + 10],
      [0, 0],
      [1 + 5, 2 + 6],
    ]);
    tf.dispose([x, ids]);
  });

  test('UnsortedSegmentSum keeps a NaN in its own segment', () => {
    const out = tf.tidy(() =>
      tf
        .unsortedSegmentSum(tf.tensor1d([1, Number.NaN, 2, 5]), tf.tensor1d([0, 1, 0, 2], 'int32'), 3)
        .arraySync(),
    );
    expect(out).toEqual([3, Number.NaN, 5]);
  });

  test('registerWasmTrainingKernels is idempotent and re-installs itself over wasm re-registrations', () => {
    const names = [
      'Conv2DBackpropFilter',
      'Conv2DBackpropInput',
      'DepthwiseConv2dNativeBackpropFilter',
      'DepthwiseConv2dNativeBackpropInput',
      'MaxPoolGrad',
      'UnsortedSegmentSum',
      'BatchMatMul',
      'Sum',
      'Mean',
      'Tile',
      'Identity',
      'Cast',
      'FusedBatchNorm',
      'LessEqual',
    ];
    const kernelFuncs = () => names.map((n) => tf.getKernel(n, 'wasm')?.kernelFunc);
    const installed = kernelFuncs();
    expect(installed.every((f) => typeof f === 'function')).toBe(true);
    registerWasmTrainingKernels();
    registerWasmTrainingKernels();
    expect(kernelFuncs()).toEqual(installed);

    // Importing @tensorflow/tfjs-backend-wasm again would put wasm's own kernels back.
    const ours = tf.getKernel('Conv2DBackpropInput', 'wasm') as tf.KernelConfig;
    const sum = tf.getKernel('Sum', 'wasm') as tf.KernelConfig;
    const stand = { ...sum, kernelFunc: sum.kernelFunc.bind(null) };
    tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
    tf.registerKernel({ ...ours, kernelFunc: ours.kernelFunc.bind(null) });
    tf.unregisterKernel('Sum', 'wasm');
    tf.registerKernel(stand);
    registerWasmTrainingKernels();
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc).toBe(ours.kernelFunc);
    const rewrapped = tf.getKernel('Sum', 'wasm')?.kernelFunc;
    expect(rewrapped).not.toBe(stand.kernelFunc);
    registerWasmTrainingKernels();
    expect(tf.getKernel('Sum', 'wasm')?.kernelFunc).toBe(rewrapped);
    expect(tf.tidy(() => tf.sum(tf.ones([4, 3]), 0).arraySync())).toEqual([4, 4, 4]);
  });
});
