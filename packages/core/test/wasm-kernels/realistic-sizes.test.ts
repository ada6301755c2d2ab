// The convolution-gradient kernels at the sizes training runs them: batch × H × W far past the
// chunk of positions the filter gradients accumulate per matrix product (8,192 today, see
// phase-grid.ts), so that several chunks are summed, against the cpu backend.
//
// Tolerance. Each gradient entry is an inner product s = Σ_k a_k·b_k of L terms (L = N·Ho·Wo for a
// filter gradient, Kh·Kw·Cout, or Kh·Kw·M for depthwise, for an input gradient). The cpu backend
// sums in float64 and rounds once (checked below against a float64 sum of our own), so it is the
// exact value to float32 rounding. wasm sums in float32 (XNNPACK products, in chunks whose partial
// sums are added in float64). For float32 sums in any order, the probabilistic bound of Higham &
// Mary ("A new approach to probabilistic rounding error analysis", SIAM J. Sci. Comput. 2019,
// Theorem 3.1) is |ŝ − s| ≤ λ·√L·u·Σ_k |a_k·b_k| with probability ≥ 1 − 2L·exp(−λ²(1 − u)²/2),
// u = 2⁻²⁴. λ = 7 makes that ≥ 1 − 2e-6 per entry at L = 31,360. The test allows that plus two
// roundings of the result (2u·|s|); Σ|a·b| is the cpu kernel run on |a| and |b|. The bound holds
// whatever the chunk size and summation order, and it is tight enough to catch a wrong tap, a
// dropped chunk or a misplaced row: those are off by about |s| ≈ Σ|a·b|/√L, 1/(λ·u·L) ≈ 65 times
// the bound at L = 31,360 (and more at smaller L). Each case also records the worst error over the
// bound that the kernels showed when the test was written (`measured`) and fails at ten times it,
// so that an accuracy regression (a longer float32 accumulation, a worse summation of partials)
// is caught long before the bound is reached: the filter gradients sit three orders of magnitude
// below the bound (their partial sums are added in float64), the short input-gradient sums within
// one to two.

import { createRng, initBackend } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { computeOn, randomValues, type Snapshot } from '../helpers/tensors.js';

const UNIT_ROUNDOFF = 2 ** -24;
const LAMBDA = 7;

type Shape4 = [number, number, number, number];

interface GradientCase {
  readonly kernel:
    | 'Conv2DBackpropFilter'
    | 'Conv2DBackpropInput'
    | 'DepthwiseConv2dNativeBackpropFilter'
    | 'DepthwiseConv2dNativeBackpropInput';
  readonly xShape: Shape4;
  /** `[kh, kw, in, out]`, or `[kh, kw, in, multiplier]` for depthwise. */
  readonly filterShape: Shape4;
  readonly strides: number;
  readonly pad: 'same' | 'valid';
  /** The worst error over the bound when the test was written (seeded data, so reproducible). */
  readonly measured: number;
}

const CASES: readonly GradientCase[] = [
  // The size of issue 18's measurement: 31,360 positions, four chunks.
  {
    kernel: 'Conv2DBackpropFilter',
    xShape: [40, 28, 28, 3],
    filterShape: [3, 3, 3, 8],
    strides: 1,
    pad: 'same',
    measured: 5.7e-4,
  },
  // A downsampling conv, 48 · 16 · 16 = 12,288 positions.
  {
    kernel: 'Conv2DBackpropFilter',
    xShape: [48, 32, 32, 4],
    filterShape: [3, 3, 4, 8],
    strides: 2,
    pad: 'same',
    measured: 1.7e-3,
  },
  // The 1×1 path (dW = xᵀ·dy), 15,680 positions.
  {
    kernel: 'Conv2DBackpropFilter',
    xShape: [20, 28, 28, 16],
    filterShape: [1, 1, 16, 16],
    strides: 1,
    pad: 'valid',
    measured: 1.6e-3,
  },
  // 5×5 'valid': 96 · 12 · 12 = 13,824 positions.
  {
    kernel: 'Conv2DBackpropFilter',
    xShape: [96, 16, 16, 2],
    filterShape: [5, 5, 2, 4],
    strides: 1,
    pad: 'valid',
    measured: 1.3e-3,
  },
  {
    kernel: 'DepthwiseConv2dNativeBackpropFilter',
    xShape: [40, 28, 28, 8],
    filterShape: [3, 3, 8, 1],
    strides: 1,
    pad: 'same',
    measured: 3e-5,
  },
  {
    kernel: 'DepthwiseConv2dNativeBackpropFilter',
    xShape: [64, 32, 32, 16],
    filterShape: [3, 3, 16, 2],
    strides: 2,
    pad: 'same',
    measured: 4.4e-5,
  },
  // MobileNetV2's late stages at CIFAR size: the small-output path (one depthwise convolution with
  // dy as the filter, float32 sums over the batch), well within the bound but not float64-summed.
  {
    kernel: 'DepthwiseConv2dNativeBackpropFilter',
    xShape: [64, 8, 8, 192],
    filterShape: [3, 3, 192, 1],
    strides: 2,
    pad: 'same',
    measured: 1.2e-3,
  },
  {
    kernel: 'DepthwiseConv2dNativeBackpropFilter',
    xShape: [64, 2, 2, 576],
    filterShape: [3, 3, 576, 1],
    strides: 1,
    pad: 'same',
    measured: 8.4e-3,
  },
  {
    kernel: 'Conv2DBackpropInput',
    xShape: [40, 28, 28, 8],
    filterShape: [3, 3, 8, 16],
    strides: 1,
    pad: 'same',
    measured: 5.1e-2,
  },
  {
    kernel: 'Conv2DBackpropInput',
    xShape: [64, 32, 32, 16],
    filterShape: [3, 3, 16, 32],
    strides: 2,
    pad: 'same',
    measured: 3.7e-2,
  },
  {
    kernel: 'DepthwiseConv2dNativeBackpropInput',
    xShape: [40, 28, 28, 8],
    filterShape: [3, 3, 8, 2],
    strides: 1,
    pad: 'same',
    measured: 9.8e-2,
  },
  {
    kernel: 'DepthwiseConv2dNativeBackpropInput',
    xShape: [64, 32, 32, 16],
    filterShape: [5, 5, 16, 1],
    strides: 2,
    pad: 'same',
    measured: 1.2e-1,
  },
];

const isDepthwise = (c: GradientCase) => c.kernel.startsWith('Depthwise');
const isFilterGradient = (c: GradientCase) => c.kernel.endsWith('Filter');

function outShape(c: GradientCase): Shape4 {
  return tf.backend_util.computeConv2DInfo(
    c.xShape,
    c.filterShape,
    c.strides,
    1,
    c.pad,
    undefined,
    isDepthwise(c),
  ).outShape as Shape4;
}

/** Terms of each entry's sum: positions for a filter gradient, taps × output channels per input channel for an input gradient. */
function sumLength(c: GradientCase): number {
  const [batch, height, width] = outShape(c);
  const [kh, kw, , fourth] = c.filterShape;
  return isFilterGradient(c) ? batch * height * width : kh * kw * fourth;
}

interface Operands {
  readonly x: Float32Array;
  readonly dy: Float32Array;
  readonly filter: Float32Array;
}

function operands(c: GradientCase, index: number): Operands {
  const rng = createRng(`realistic/${c.kernel}/${index}`);
  return {
    x: randomValues(rng, tf.util.sizeFromShape(c.xShape)),
    dy: randomValues(rng, tf.util.sizeFromShape(outShape(c))),
    filter: randomValues(rng, tf.util.sizeFromShape(c.filterShape)),
  };
}

function absolute(values: Float32Array): Float32Array {
  return values.map(Math.abs);
}

function run(c: GradientCase, data: Operands): () => tf.Tensor {
  return () => {
    const dy = tf.tensor4d(data.dy, outShape(c));
    const common = {
      strides: c.strides,
      pad: c.pad,
      ...(isDepthwise(c) ? { dilations: 1 } : { dataFormat: 'NHWC' }),
    };
    const inputs: tf.NamedTensorMap = isFilterGradient(c)
      ? { x: tf.tensor4d(data.x, c.xShape), dy }
      : { dy, filter: tf.tensor4d(data.filter, c.filterShape) };
    const attrs = isFilterGradient(c)
      ? { ...common, filterShape: c.filterShape }
      : { ...common, inputShape: c.xShape };
    return tf.engine().runKernel(c.kernel, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  };
}

/** The largest |wasm − cpu| / bound over the entries. */
function worstOverBound(wasm: Snapshot, cpu: Snapshot, absSums: Snapshot, length: number): number {
  let worst = 0;
  for (let i = 0; i < cpu.values.length; i++) {
    const exact = cpu.values[i] as number;
    const error = Math.abs((wasm.values[i] as number) - exact);
    const magnitude = absSums.values[i] as number;
    const bound =
      LAMBDA * Math.sqrt(length) * UNIT_ROUNDOFF * magnitude + 2 * UNIT_ROUNDOFF * Math.abs(exact);
    if (error > 0) worst = Math.max(worst, error / bound);
  }
  return worst;
}

beforeAll(async () => {
  const info = await initBackend({ prefer: 'wasm' });
  expect(info.name).toBe('wasm');
});

describe('wasm convolution gradients at realistic sizes, within the float32 accumulation bound', () => {
  test.each(
    CASES.map(
      (c, i) =>
        [
          `${c.kernel} x ${JSON.stringify(c.xShape)} filter ${JSON.stringify(c.filterShape)} stride ${c.strides} ${c.pad}`,
          c,
          i,
        ] as const,
    ),
  )('%s', async (_label, c, index) => {
    const data = operands(c, index);
    const abs = { x: absolute(data.x), dy: absolute(data.dy), filter: absolute(data.filter) };
    const [wasm] = (await computeOn('wasm', [run(c, data)]))[0] as Snapshot[];
    const [cpu, absSums] = (await computeOn('cpu', [run(c, data), run(c, abs)])).map(
      (s) => s[0],
    ) as Snapshot[];
    expect([...(wasm as Snapshot).shape]).toEqual([...(cpu as Snapshot).shape]);
    const length = sumLength(c);
    const worstOfBound = worstOverBound(wasm as Snapshot, cpu as Snapshot, absSums as Snapshot, length);
    expect(worstOfBound, `worst error over the bound λ·√L·u·Σ|a·b| (L = ${length})`).toBeLessThan(1);
    expect(worstOfBound, 'worst error over the bound, against 10× what the kernel showed').toBeLessThan(
      Math.min(1, 10 * c.measured),
    );
  });

  test('the cpu reference is the float64 sum rounded once (Conv2DBackpropFilter, 40×28×28×3 → 8)', async () => {
    const c = CASES[0] as GradientCase;
    const data = operands(c, 0);
    const [cpu] = (await computeOn('cpu', [run(c, data)]))[0] as Snapshot[];
    const [batch, height, width, channels] = c.xShape;
    const [kh, kw, , filters] = c.filterShape;
    const [, outHeight, outWidth] = outShape(c);
    const exact = new Float64Array(kh * kw * channels * filters);
    const magnitude = new Float64Array(exact.length);
    for (let n = 0; n < batch; n++)
      for (let ho = 0; ho < outHeight; ho++)
        for (let wo = 0; wo < outWidth; wo++)
          for (let i = 0; i < kh; i++)
            for (let j = 0; j < kw; j++) {
              const h = ho + i - 1; // 'same' padding of a 3×3 kernel at stride 1: one row and column
              const w = wo + j - 1;
              if (h < 0 || h >= height || w < 0 || w >= width) continue;
              for (let ci = 0; ci < channels; ci++) {
                const xv = data.x[((n * height + h) * width + w) * channels + ci] as number;
                for (let co = 0; co < filters; co++) {
                  const product =
                    xv * (data.dy[((n * outHeight + ho) * outWidth + wo) * filters + co] as number);
                  const k = ((i * kw + j) * channels + ci) * filters + co;
                  exact[k] = (exact[k] as number) + product;
                  magnitude[k] = (magnitude[k] as number) + Math.abs(product);
                }
              }
            }
    exact.forEach((value, k) => {
      // One float32 rounding of the value, and float64 rounding of the sum (negligible).
      const error = Math.abs(((cpu as Snapshot).values[k] as number) - value);
      expect(error).toBeLessThanOrEqual(UNIT_ROUNDOFF * Math.abs(value) + 1e-12 * (magnitude[k] as number));
    });
  });
});
