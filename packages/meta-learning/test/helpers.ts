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
import type { MetaLearner, SampledTask, Task, TaskSource } from '@automl-ts/meta-learning';
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

function dot(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.sum(tf.mul(a, b)).dataSync()[0] as number);
}

/**
 * Relative errors of meta-gradients against central differences of the meta-loss
 * L(θ) = L_query(adapt(θ, support)), along the `exact` gradient and two seeded random directions
 * (ε = 3e-3 along each unit direction: it balances truncation against float32 rounding,
 * ~1e-7·|L|/ε). Directions span the parameters `exact` has a gradient for (a supernet's inactive
 * candidates cannot change the loss). Returns, per direction, the error of `exact` and of
 * `approximate` (e.g. first-order MAML's gradients). Restores the parameters.
 */
export function metaGradientErrors(
  learner: MetaLearner,
  task: Task,
  exact: ReadonlyMap<string, tf.Tensor>,
  approximate: ReadonlyMap<string, tf.Tensor>,
  seed = 7,
): { exact: number; approximate: number }[] {
  const params = new Map([...learner.metaParameters()].filter(([name]) => exact.has(name)));
  const metaLoss = () => {
    const adapted = learner.adapt(task.support);
    const value = tf.tidy(
      () => learner.loss.fn(adapted.predict(task.query.x), task.query.y).dataSync()[0] as number,
    );
    adapted.dispose();
    return value;
  };
  const original = new Map([...params].map(([name, p]) => [name, tf.clone(p)]));
  const rng = createRng(seed);
  const eps = 3e-3;
  const errors: { exact: number; approximate: number }[] = [];
  for (let d = 0; d < 3; d++) {
    const direction = new Map(
      [...params].map(([name, p]) => [
        name,
        d === 0 ? tf.clone(exact.get(name) as tf.Tensor) : uniform(rng, p.shape),
      ]),
    );
    const norm = Math.sqrt([...direction.values()].reduce((sum, t) => sum + dot(t, t), 0));
    const along = (gradients: ReadonlyMap<string, tf.Tensor>) =>
      [...direction].reduce((sum, [name, t]) => {
        const g = gradients.get(name);
        return g === undefined ? sum : sum + dot(g, t);
      }, 0) / norm;
    const at = (sign: number) => {
      for (const [name, p] of params) {
        tf.tidy(() =>
          p.assign(
            tf.add(
              original.get(name) as tf.Tensor,
              tf.mul(direction.get(name) as tf.Tensor, (sign * eps) / norm),
            ),
          ),
        );
      }
      return metaLoss();
    };
    const fd = (at(1) - at(-1)) / (2 * eps);
    for (const [name, p] of params) p.assign(original.get(name) as tf.Tensor);
    const reference = Math.max(Math.abs(fd), 1e-3);
    errors.push({
      exact: Math.abs(along(exact) - fd) / reference,
      approximate: Math.abs(along(approximate) - fd) / reference,
    });
    tf.dispose([...direction.values()]);
  }
  tf.dispose([...original.values()]);
  return errors;
}
