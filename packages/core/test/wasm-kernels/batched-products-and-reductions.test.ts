// Property tests for the wasm fast paths of batched/transposed BatchMatMul (one operand shared by
// the batch, equal batches of large items) and of Sum/Mean over middle runs of axes: random calls
// aimed at those paths, and at their edges, against the cpu backend. Gradients through the paths
// (a GCN-shaped loss) are compared too.
import { createRng, initBackend, type Rng } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { computeOn, expectTensorsClose, randomValues, type Snapshot } from '../helpers/tensors.js';

const CASES = 120;
const TOLERANCE = 1e-5;

/** `x / max(1, max |reference|)`: errors relative to the tensor's scale (gradients sum many products). */
function scaled(x: Snapshot, reference: Snapshot): Snapshot {
  const scale = Math.max(1, ...Array.from(reference.values, Math.abs));
  return { shape: x.shape, values: Float32Array.from(x.values, (v) => v / scale) };
}

async function compare(
  runs: ReadonlyArray<{ label: string; run: () => tf.Tensor | tf.Tensor[] }>,
  relativeToScale = false,
): Promise<void> {
  const fns = runs.map((r) => () => r.run());
  const wasm = await computeOn('wasm', fns);
  const cpu = await computeOn('cpu', fns);
  runs.forEach((r, i) => {
    const actual = wasm[i] as Snapshot[];
    const expected = cpu[i] as Snapshot[];
    expect(actual.length, r.label).toBe(expected.length);
    actual.forEach((a, j) => {
      const e = expected[j] as Snapshot;
      const [x, y] = relativeToScale ? [scaled(a, e), scaled(e, e)] : [a, e];
      expectTensorsClose(x, y, TOLERANCE, `${r.label} #${j}`);
    });
  });
}

function matrixShape(transposed: boolean, rows: number, cols: number): number[] {
  return transposed ? [cols, rows] : [rows, cols];
}

function productCase(rng: Rng) {
  const kind = rng.choice(['shared-b', 'shared-a', 'equal-large', 'equal-small'] as const);
  const large = kind === 'equal-large';
  const [m, k, p] = large
    ? [rng.int(24, 48), rng.int(24, 48), rng.int(24, 48)]
    : [rng.int(1, 12), rng.int(1, 12), rng.int(1, 12)];
  const transposeA = rng.bernoulli(0.5);
  const transposeB = rng.bernoulli(0.5);
  const batch = rng.choice([[rng.int(2, 5)], [rng.int(1, 3), rng.int(2, 3)]]);
  const single = rng.choice([[], [1]]);
  const aBatch = kind === 'shared-a' ? single : batch;
  const bBatch = kind === 'shared-b' ? single : batch;
  const aShape = [...aBatch, ...matrixShape(transposeA, m, k)];
  const bShape = [...bBatch, ...matrixShape(transposeB, k, p)];
  const a = randomValues(rng, tf.util.sizeFromShape(aShape));
  const b = randomValues(rng, tf.util.sizeFromShape(bShape));
  return {
    label: JSON.stringify({ kind, aShape, bShape, transposeA, transposeB }),
    run: () => tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), transposeA, transposeB),
  };
}

beforeAll(async () => {
  expect((await initBackend({ prefer: 'wasm' })).name).toBe('wasm');
});

describe('batched and transposed BatchMatMul on wasm match cpu', () => {
  test(`${CASES} random products (shared operand, equal batches, transposes)`, async () => {
    const rng = createRng('batched-products');
    await compare(Array.from({ length: CASES }, () => productCase(rng)));
  });

  // TF.js's BatchMatMul gradient does not reduce broadcast batch axes, so a batch of distinct
  // graphs is what differentiates through batched products: Â_g·X_g·W for each graph g.
  test('gradients of a batched graph convolution Â_g·X_g·W (every transposed product)', async () => {
    const rng = createRng('gcn-gradients');
    const cases = Array.from({ length: 20 }, () => {
      const large = rng.bernoulli(0.5);
      const [graphs, nodes, inF, outF] = large
        ? [rng.int(2, 4), rng.int(24, 40), rng.int(24, 40), rng.int(24, 40)]
        : [rng.int(1, 6), rng.int(2, 12), rng.int(1, 12), rng.int(1, 12)];
      const adjacency = randomValues(rng, graphs * nodes * nodes);
      const x = randomValues(rng, graphs * nodes * inF);
      const w = randomValues(rng, inF * outF);
      return {
        label: JSON.stringify({ graphs, nodes, inF, outF }),
        run: () => {
          const f = (as: tf.Tensor, xs: tf.Tensor, ws: tf.Tensor) => {
            const projected = tf.matMul(xs.reshape([graphs * nodes, inF]), ws).reshape([graphs, nodes, outF]);
            return tf.sum(tf.square(tf.matMul(as, projected)));
          };
          return tf.grads(f)([
            tf.tensor(adjacency, [graphs, nodes, nodes]),
            tf.tensor(x, [graphs, nodes, inF]),
            tf.tensor(w, [inF, outF]),
          ]);
        },
      };
    });
    await compare(cases, true);
  });
});

describe('Sum and Mean over middle axes on wasm match cpu', () => {
  test.each(['sum', 'mean'] as const)(`%s: ${CASES} random contiguous runs`, async (name) => {
    const reduce = name === 'sum' ? tf.sum : tf.mean;
    const rng = createRng(`middle-${name}`);
    const cases = Array.from({ length: CASES }, () => {
      const rank = rng.int(2, 5);
      const shape = Array.from({ length: rank }, () => rng.int(1, 7));
      const first = rng.int(0, rank - 2);
      const end = rng.int(first + 1, rank - 1);
      const axis = Array.from({ length: end - first }, (_, i) => first + i);
      const keepDims = rng.bernoulli(0.3);
      const x = randomValues(rng, tf.util.sizeFromShape(shape), 10);
      return {
        label: JSON.stringify({ shape, axis, keepDims }),
        run: () => reduce(tf.tensor(x, shape), axis, keepDims),
      };
    });
    await compare(cases);
  });
});
