import { type Batch, createModel, createResNetCifar, type Module, toChannelSupernet } from '@automl-ts/core';
import { PruningNet } from '@automl-ts/graph-pruning';
import * as tf from '@tensorflow/tfjs';

export const INPUT_SHAPE = [8, 8, 3] as const;

/** A tiny ResNet-20 (width 4, 8×8 inputs, 3 classes) as the teacher. */
export function tinyTeacher(): Module {
  return createModel('resnet20', { inputSize: 8, width: 4, numClasses: 3, seed: 0 });
}

/** A PruningNet over the tiny teacher's channel supernet. */
export function tinyPruningNet(seed = 0): PruningNet {
  const supernet = toChannelSupernet(tinyTeacher(), {
    inputShape: INPUT_SHAPE,
    widthRatios: [0.25, 0.5, 0.75, 1],
  });
  return new PruningNet(supernet, { inputShape: INPUT_SHAPE, gcnSizes: [8, 4], generatorHidden: 4, seed });
}

// TF.js's randomNormal treats seed 0 as "no seed" (`seed ? seed : Math.random()`), so the seeds
// below start at 1: with 0 the first batch was different on every call and the tests were flaky.

/** Deterministic random batches. */
export function batches(count: number, size = 4, seed = 0): Batch[] {
  return Array.from({ length: count }, (_, i) => ({
    x: tf.randomNormal([size, ...INPUT_SHAPE], 0, 1, 'float32', seed * 1000 + i + 1),
    y: tf.tensor1d(
      Array.from({ length: size }, (_, j) => (i + j) % 3),
      'int32',
    ),
  }));
}

/** A ResNet-8 of width 2 on 4×4 inputs: the smallest net with residual stages, for the long loops. */
export function microPruningNet(seed = 0): PruningNet {
  const teacher = createResNetCifar({ depth: 8, width: 2, inputSize: 4, numClasses: 3, seed: 0 });
  const supernet = toChannelSupernet(teacher, { inputShape: [4, 4, 3], widthRatios: [0.5, 1] });
  return new PruningNet(supernet, { inputShape: [4, 4, 3], gcnSizes: [4, 4], generatorHidden: 2, seed });
}

/** Batches for {@link microPruningNet}. */
export function microBatches(count: number, size = 2): Batch[] {
  return Array.from({ length: count }, (_, i) => ({
    x: tf.randomNormal([size, 4, 4, 3], 0, 1, 'float32', i + 1),
    y: tf.tensor1d(
      Array.from({ length: size }, (_, j) => (i + j) % 3),
      'int32',
    ),
  }));
}
