// Small fixtures shared by the meta-learning tests: seeded synthetic tasks and tiny networks.

import {
  Activation,
  BatchNorm,
  Conv2d,
  createRng,
  Dense,
  Flatten,
  GlobalAvgPool,
  initBackend,
  MaxPool2d,
  type Module,
  type Rng,
  Sequential,
} from '@automl-ts/core';
import type { SampledTask, TaskSource } from '@automl-ts/meta-learning';
import * as tf from '@tensorflow/tfjs';

/** Backends the numeric tests run on. */
export const BACKENDS = ['cpu', 'wasm'] as const;

/** Switches to `backend` (wasm with core's training kernels). */
export async function useBackend(backend: (typeof BACKENDS)[number]): Promise<void> {
  await initBackend({ prefer: backend });
}

/** `shape`-shaped uniform values in [-scale, scale) from `rng`. */
export function uniform(rng: Rng, shape: readonly number[], scale = 1): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, () => rng.uniform(-scale, scale)),
    [...shape],
  );
}

/**
 * A seeded source of N-way K-shot classification tasks on `[size, size, channels]` images: each
 * class is a random prototype image, examples are noisy copies of it.
 */
export function imageTasks(
  options: { ways: number; shots: number; queries: number; size: number; channels?: number; noise?: number },
  seed: number | Rng = 0,
): TaskSource {
  const rng = typeof seed === 'number' ? createRng(seed) : seed;
  const { ways, shots, queries, size } = options;
  const channels = options.channels ?? 1;
  const noise = options.noise ?? 0.3;
  const pixels = size * size * channels;
  return {
    sample(): SampledTask {
      const prototypes = Array.from({ length: ways }, () =>
        Array.from({ length: pixels }, () => rng.uniform(-1, 1)),
      );
      const draw = (perClass: number) => {
        const values: number[] = [];
        const labels: number[] = [];
        for (let c = 0; c < ways; c++) {
          for (let k = 0; k < perClass; k++) {
            for (const p of prototypes[c] as number[]) values.push(p + noise * rng.normal());
            labels.push(c);
          }
        }
        return {
          x: tf.tensor4d(values, [ways * perClass, size, size, channels]),
          y: tf.tensor1d(labels, 'int32'),
        };
      };
      const support = draw(shots);
      const query = draw(queries);
      return { support, query, dispose: () => tf.dispose([support.x, support.y, query.x, query.y]) };
    },
  };
}

/** conv3×3 → BN → ReLU → 2×2 max pool → flatten → fc: the conv4 block in miniature. */
export function tinyConvNet(options: {
  size: number;
  channels?: number;
  filters?: number;
  classes: number;
  seed?: number;
}): Sequential {
  const rng = createRng(options.seed ?? 0);
  const filters = options.filters ?? 3;
  const half = Math.floor(options.size / 2);
  return new Sequential([
    [
      'block1',
      new Sequential([
        [
          'conv',
          new Conv2d({ inChannels: options.channels ?? 1, outChannels: filters, kernelSize: 3, seed: rng }),
        ],
        ['bn', new BatchNorm({ channels: filters })],
        ['relu', new Activation('relu')],
        ['pool', new MaxPool2d({ poolSize: 2 })],
      ]),
    ],
    ['flatten', new Flatten()],
    ['fc', new Dense({ inUnits: half * half * filters, outUnits: options.classes, seed: rng })],
  ]);
}

/** A MobileNet-style block: depthwise 3×3 (stride 2) → BN → ReLU6 → pointwise → BN → global average pool → fc. */
export function tinyDepthwiseNet(options: {
  size: number;
  channels: number;
  classes: number;
  seed?: number;
}): Sequential {
  const rng = createRng(options.seed ?? 0);
  const c = options.channels;
  return new Sequential([
    [
      'dw',
      new Conv2d({
        inChannels: c,
        outChannels: c,
        kernelSize: 3,
        groups: c,
        strides: 2,
        useBias: false,
        seed: rng,
      }),
    ],
    ['dwBn', new BatchNorm({ channels: c })],
    ['dwAct', new Activation('relu6')],
    ['pw', new Conv2d({ inChannels: c, outChannels: 2 * c, kernelSize: 1, useBias: false, seed: rng })],
    ['pwBn', new BatchNorm({ channels: 2 * c })],
    ['pool', new GlobalAvgPool()],
    ['fc', new Dense({ inUnits: 2 * c, outUnits: options.classes, seed: rng })],
  ]);
}

/** Values of every variable of a module, by name (copied out). */
export function variableValues(module: Module): Map<string, Float32Array> {
  return new Map([...module.namedVariables()].map(([name, v]) => [name, v.dataSync() as Float32Array]));
}
