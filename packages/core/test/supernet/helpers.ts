import { createRng, createSupernet, type Module, type Supernet } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';

/** Small configurations of the built-in supernets, quick on the cpu backend. */
export const SMALL_SUPERNETS = {
  'ofa-mobilenetv2': () =>
    createSupernet('ofa-mobilenetv2', {
      inputSize: 16,
      stemChannels: 8,
      firstBlockChannels: 8,
      stages: [
        { channels: 8, stride: 1 },
        { channels: 16, stride: 2 },
      ],
      lastChannels: 24,
      channelDivisor: 2,
      numClasses: 5,
      seed: 1,
    }),
  'resnet20-slim': () =>
    createSupernet('resnet20-slim', {
      inputSize: 16,
      stageChannels: [8, 12, 16],
      blocksPerStage: 2,
      numClasses: 5,
      seed: 2,
    }),
  'conv4-cells': () =>
    createSupernet('conv4-cells', { inputSize: 16, inChannels: 3, channels: 8, numClasses: 5, seed: 3 }),
} satisfies Record<string, () => Supernet>;

/**
 * Gives every batch-norm parameter and statistic, and every kernel-transform matrix, random
 * non-trivial values, so that equality tests exercise the slicing of all of them.
 */
export function randomizeState(module: Module, seed: number): void {
  const rng = createRng(seed);
  tf.tidy(() => {
    for (const [name, variable] of module.namedVariables()) {
      const local = name.slice(name.lastIndexOf('.') + 1);
      if (local === 'gamma' || local === 'runningVar') {
        variable.assign(tf.randomUniform(variable.shape, 0.5, 1.5, 'float32', rng.seed()));
      } else if (local === 'beta' || local === 'runningMean') {
        variable.assign(tf.randomNormal(variable.shape, 0, 0.2, 'float32', rng.seed()));
      } else if (local.startsWith('transform')) {
        const size = variable.shape[0] as number;
        variable.assign(tf.add(tf.eye(size), tf.randomNormal([size, size], 0, 0.1, 'float32', rng.seed())));
      }
    }
  });
}

/** max |a − b| / max |b|: the relative error of `actual` against `expected`. */
export function relativeError(actual: tf.Tensor, expected: tf.Tensor): number {
  return tf.tidy(() => {
    const scale = tf.max(tf.abs(expected)).dataSync()[0] as number;
    const diff = tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0] as number;
    return diff / Math.max(scale, 1e-12);
  });
}
