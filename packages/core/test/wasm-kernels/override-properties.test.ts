// Property tests for the fast paths the pack puts in front of wasm kernels (MaxPoolGrad replaced;
// BatchMatMul, Sum, Mean, Tile, FusedBatchNorm, LessEqual, Identity, Cast overridden): random
// calls, many of them outside the fast path, against the cpu backend.
// Error = max |wasm - cpu| / max(1, |cpu|) (see maxRelativeError).

import { createRng, initBackend, type Rng } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { computeOn, expectTensorsClose, randomValues, type Snapshot } from '../helpers/tensors.js';

const CASES = 200;
const TOLERANCE = 1e-5;

interface Case {
  readonly label: string;
  readonly run: () => tf.Tensor;
}

/** Runs every case on wasm and cpu and compares; `exact` requires bitwise-equal values. */
async function compare(cases: readonly Case[], exact = false): Promise<void> {
  const labelled = cases.map((c) => () => {
    try {
      return c.run();
    } catch (error) {
      throw new Error(`${c.label}: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
  });
  const wasm = await computeOn('wasm', labelled);
  const cpu = await computeOn('cpu', labelled);
  cases.forEach((c, i) => {
    const actual = wasm[i]?.[0] as Snapshot;
    const expected = cpu[i]?.[0] as Snapshot;
    if (exact) {
      expect([...actual.shape], c.label).toEqual([...expected.shape]);
      expect(Array.from(actual.values), c.label).toEqual(Array.from(expected.values));
    } else {
      expectTensorsClose(actual, expected, TOLERANCE, c.label);
    }
  });
}

const REDUCTIONS = { sum: tf.sum, mean: tf.mean } as const;

function randomShape(rng: Rng, rank: number, max = 5): number[] {
  return Array.from({ length: rank }, () => rng.int(1, max));
}

/** Values with many exact ties (ReLU zeros, repeated levels), to pin down which max gets the gradient. */
function tiedValues(rng: Rng, size: number): Float32Array {
  return Float32Array.from({ length: size }, () => (rng.bernoulli(0.4) ? 0 : rng.int(-2, 3)));
}

function runKernel(name: string, inputs: tf.NamedTensorMap, attrs: object): tf.Tensor {
  return tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
}

beforeAll(async () => {
  expect((await initBackend({ prefer: 'wasm' })).name).toBe('wasm');
});

describe('wasm fast paths match the cpu backend on random calls', () => {
  test(`MaxPoolGrad (${CASES} cases, ties included)`, async () => {
    const rng = createRng('MaxPoolGrad');
    const cases = Array.from({ length: CASES }, (): Case => {
      for (;;) {
        const xShape = [rng.int(1, 3), rng.int(1, 9), rng.int(1, 9), rng.int(1, 4)] as [
          number,
          number,
          number,
          number,
        ];
        const filterSize: [number, number] = [rng.int(1, 3), rng.int(1, 3)];
        const strides: [number, number] = [rng.int(1, 3), rng.int(1, 3)];
        // Numeric pads only for square windows and strides: for others TF.js computes the output
        // width from the height parameters, and wasm's own MaxPool then writes past its output.
        const square = filterSize[0] === filterSize[1] && strides[0] === strides[1];
        const pad = square
          ? rng.choice(['same', 'valid', 0, 1] as const)
          : rng.choice(['same', 'valid'] as const);
        let outShape: number[];
        try {
          outShape = tf.backend_util.computePool2DInfo(xShape, filterSize, strides, 1, pad).outShape;
        } catch {
          continue;
        }
        if (outShape.some((d) => d < 1)) continue;
        const size = tf.util.sizeFromShape(xShape);
        const x = rng.bernoulli(0.5) ? tiedValues(rng, size) : randomValues(rng, size);
        const dy = randomValues(rng, tf.util.sizeFromShape(outShape));
        return {
          label: JSON.stringify({ xShape, filterSize, strides, pad }),
          run: () => {
            const input = tf.tensor4d(x, xShape);
            const output = tf.maxPool(input, filterSize, strides, pad);
            return runKernel(
              'MaxPoolGrad',
              { dy: tf.tensor(dy, outShape), input, output },
              { filterSize, strides, pad },
            );
          },
        };
      }
    });
    await compare(cases);
  });

  test(`BatchMatMul (${CASES} cases, transposes, batches)`, async () => {
    const rng = createRng('BatchMatMul');
    const cases = Array.from({ length: CASES }, (): Case => {
      const [m, k, n] = [rng.int(1, 9), rng.int(1, 9), rng.int(1, 9)];
      const transposeA = rng.bernoulli(0.5);
      const transposeB = rng.bernoulli(0.5);
      const batch = rng.choice([[], [], [1], [rng.int(2, 3)]]);
      const aShape = [...batch, ...(transposeA ? [k, m] : [m, k])];
      const bShape = [...batch, ...(transposeB ? [n, k] : [k, n])];
      const a = randomValues(rng, tf.util.sizeFromShape(aShape));
      const b = randomValues(rng, tf.util.sizeFromShape(bShape));
      return {
        label: JSON.stringify({ aShape, bShape, transposeA, transposeB }),
        run: () => tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), transposeA, transposeB),
      };
    });
    await compare(cases);
  });

  test.each(['sum', 'mean'] as const)(`%s (${CASES} cases, leading, trailing and mixed axes)`, async (op) => {
    const rng = createRng(`reduce-${op}`);
    const cases = Array.from({ length: CASES }, (): Case => {
      const shape = randomShape(rng, rng.int(1, 4), 6);
      const rank = shape.length;
      const kind = rng.int(0, 2);
      const count = rng.int(1, rank);
      const axis =
        kind === 0
          ? Array.from({ length: count }, (_, i) => i)
          : kind === 1
            ? Array.from({ length: count }, (_, i) => rank - 1 - i)
            : rng.sample(
                Array.from({ length: rank }, (_, i) => i),
                count,
              );
      const keepDims = rng.bernoulli(0.3);
      const x = randomValues(rng, tf.util.sizeFromShape(shape), 10);
      return {
        label: JSON.stringify({ shape, axis, keepDims }),
        run: () => REDUCTIONS[op](tf.tensor(x, shape), axis, keepDims),
      };
    });
    await compare(cases);
  });

  test(`Tile (${CASES} cases)`, async () => {
    const rng = createRng('Tile');
    const cases = Array.from({ length: CASES }, (): Case => {
      const rank = rng.int(1, 4);
      // Half the cases have leading ones (the whole input repeats back to back: the fast path).
      const lead = rng.bernoulli(0.5) ? rng.int(0, rank - 1) : 0;
      const shape = randomShape(rng, rank, 4).map((d, i) => (i < lead ? 1 : d));
      const reps = randomShape(rng, rank, 3).map((r, i) => (lead > 0 && i > lead ? 1 : r));
      const x = randomValues(rng, tf.util.sizeFromShape(shape));
      return { label: JSON.stringify({ shape, reps }), run: () => tf.tile(tf.tensor(x, shape), reps) };
    });
    await compare(cases, true);
  });

  test(`FusedBatchNorm (${CASES} cases)`, async () => {
    const rng = createRng('FusedBatchNorm');
    const cases = Array.from({ length: CASES }, (): Case => {
      const shape = randomShape(rng, rng.int(2, 4));
      const channels = shape[shape.length - 1] as number;
      // tf.batchNorm wants all statistics of one rank: per channel ([C] or [1]) or of x's shape.
      const full = rng.bernoulli(0.1);
      const stat = () => (full ? shape : [rng.bernoulli(0.2) ? 1 : channels]);
      const [meanShape, varianceShape, offsetShape, scaleShape] = [stat(), stat(), stat(), stat()];
      const x = randomValues(rng, tf.util.sizeFromShape(shape), 4);
      const mean = randomValues(rng, tf.util.sizeFromShape(meanShape));
      const variance = randomValues(rng, tf.util.sizeFromShape(varianceShape)).map(Math.abs);
      const offset = rng.bernoulli(0.8) ? randomValues(rng, tf.util.sizeFromShape(offsetShape)) : undefined;
      const scale = rng.bernoulli(0.8) ? randomValues(rng, tf.util.sizeFromShape(scaleShape)) : undefined;
      return {
        label: JSON.stringify({
          shape,
          meanShape,
          varianceShape,
          offset: offset !== undefined,
          scale: scale !== undefined,
        }),
        run: () =>
          tf.batchNorm(
            tf.tensor(x, shape),
            tf.tensor(mean, meanShape),
            tf.tensor(variance, varianceShape),
            offset === undefined ? undefined : tf.tensor(offset, offsetShape),
            scale === undefined ? undefined : tf.tensor(scale, scaleShape),
            1e-3,
          ),
      };
    });
    await compare(cases);
  });

  test(`LessEqual (${CASES} cases, scalars and broadcasts, NaN)`, async () => {
    const rng = createRng('LessEqual');
    const cases = Array.from({ length: CASES }, (): Case => {
      const shape = randomShape(rng, rng.int(1, 4));
      const bShape = rng.bernoulli(0.6) ? [] : rng.bernoulli(0.5) ? [1] : [shape[shape.length - 1] as number];
      const a = tiedValues(rng, tf.util.sizeFromShape(shape)).map((v) =>
        rng.bernoulli(0.05) ? Number.NaN : v,
      );
      const b = tiedValues(rng, tf.util.sizeFromShape(bShape));
      return {
        label: JSON.stringify({ shape, bShape }),
        run: () => tf.lessEqual(tf.tensor(a, shape), tf.tensor(b, bShape)),
      };
    });
    await compare(cases, true);
  });

  test(`Identity and Cast (${CASES} cases) share data that outlives the source`, async () => {
    const rng = createRng('Identity');
    const cases = Array.from({ length: CASES }, (): Case => {
      const shape = randomShape(rng, rng.int(0, 3));
      const dtype = rng.choice(['float32', 'int32', 'bool'] as const);
      const to = rng.choice(['float32', 'int32', 'bool', dtype] as const);
      const values = Array.from({ length: tf.util.sizeFromShape(shape) }, () => rng.int(-3, 3));
      const clone = rng.bernoulli(0.5);
      return {
        label: JSON.stringify({ shape, dtype, to, clone }),
        run: () => {
          const source = tf.tensor(values, shape, dtype);
          const out = clone ? tf.clone(source) : tf.cast(source, to);
          source.dispose();
          return out;
        },
      };
    });
    await compare(cases, true);
  });
});
