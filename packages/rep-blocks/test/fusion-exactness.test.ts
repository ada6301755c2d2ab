// The contract: a fused block computes what the multi-branch block computes in inference mode.
// 240 random configurations (kernel 1/3/5/7, stride 1/2, standard/grouped/depthwise, channels,
// branch subsets, random weights, BN statistics and affine parameters, odd and even inputs) on
// cpu and wasm. Error = max |fused − block| / max(1, |block|) over all outputs (relative above 1,
// absolute below); the test prints the figure measured.

import { createRng, initBackend, type Rng } from '@automl-ts/core';
import { fuseBlock, listBranchTypes, RepBlock } from '@automl-ts/rep-blocks';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';

const CONFIGS = 240;
const TOLERANCE = 1e-5;
const TYPES = ['conv_kxk', 'conv_1x1', 'conv_1xk', 'conv_kx1', 'conv_1x1_kxk', 'conv_1x1_avg', 'identity'];

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
  await initBackend({ prefer: 'cpu' });
});

interface Config {
  kernelSize: number;
  strides: number;
  groups: number;
  inChannels: number;
  outChannels: number;
  branches: string[];
  height: number;
  width: number;
}

function randomConfig(rng: Rng): Config {
  const kernelSize = rng.choice([1, 3, 5, 7] as const);
  const strides = rng.choice([1, 2] as const);
  const kind = rng.choice(['standard', 'grouped', 'depthwise'] as const);
  let inChannels = rng.int(1, 6);
  let outChannels = rng.int(1, 6);
  let groups = 1;
  if (kind === 'grouped') {
    groups = rng.choice([2, 3] as const);
    inChannels = groups * rng.int(1, 3);
    outChannels = groups * rng.int(1, 3);
  } else if (kind === 'depthwise') {
    inChannels = rng.int(2, 6);
    groups = inChannels;
    outChannels = inChannels * rng.int(1, 2);
  }
  const eligible = TYPES.filter((t) => t !== 'identity' || (strides === 1 && inChannels === outChannels));
  const branches = eligible.filter(() => rng.next() < 0.6);
  if (branches.length === 0) branches.push(rng.choice(eligible));
  return {
    kernelSize,
    strides,
    groups,
    inChannels,
    outChannels,
    branches,
    height: rng.int(1, 12),
    width: rng.int(1, 12),
  };
}

/** Random weights, BN statistics and affine parameters in every variable of the block. */
function randomize(block: RepBlock, rng: Rng): void {
  tf.tidy(() => {
    for (const [name, variable] of block.namedVariables()) {
      const n = variable.size;
      // Kernels at a trained net's scale (uniform with variance ~1/fan-in), so outputs stay O(1).
      const scale =
        variable.rank === 4
          ? Math.sqrt(3 / ((variable.shape[0] ?? 1) * (variable.shape[1] ?? 1) * (variable.shape[2] ?? 1)))
          : 1;
      const values = Float32Array.from({ length: n }, () =>
        name.endsWith('runningVar')
          ? 0.2 + 2 * rng.next()
          : name.endsWith('gamma')
            ? 0.3 + 1.5 * rng.next()
            : scale * (2 * rng.next() - 1),
      );
      variable.assign(tf.tensor(values, variable.shape));
    }
  });
}

function maxRelativeError(actual: Float32Array, expected: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] as number;
    worst = Math.max(worst, Math.abs((actual[i] as number) - e) / Math.max(1, Math.abs(e)));
  }
  return worst;
}

describe.each(['cpu', 'wasm'])('fusion exactness on %s', (backend) => {
  test(`${CONFIGS} random configurations: max relative error < ${TOLERANCE}`, async () => {
    await tf.setBackend(backend);
    const rng = createRng(2026);
    let worst = 0;
    let worstConfig: Config | undefined;
    for (let i = 0; i < CONFIGS; i++) {
      const config = randomConfig(rng);
      const block = new RepBlock({ ...config, activation: null, seed: rng });
      randomize(block, rng);
      const fused = fuseBlock(block);
      const [error, shapesMatch] = tf.tidy(() => {
        const x = tf.randomNormal(
          [2, config.height, config.width, config.inChannels],
          0,
          1,
          'float32',
          rng.seed(),
        );
        const expected = block.apply(x);
        const actual = fused.apply(x);
        const same = actual.shape.every((d, k) => d === expected.shape[k]);
        return [
          same
            ? maxRelativeError(actual.dataSync() as Float32Array, expected.dataSync() as Float32Array)
            : Infinity,
          same,
        ];
      });
      expect(shapesMatch, JSON.stringify(config)).toBe(true);
      if (error > worst) {
        worst = error;
        worstConfig = config;
      }
      block.dispose();
      fused.dispose();
    }
    console.log(
      `fusion-exactness ${backend}: max relative error ${worst.toExponential(2)} over ${CONFIGS} configs`,
    );
    expect(worst, JSON.stringify(worstConfig)).toBeLessThan(TOLERANCE);
    await tf.setBackend('cpu');
  });
});

test('every built-in branch type is covered', () => {
  expect(listBranchTypes()).toEqual([...TYPES].sort());
});
