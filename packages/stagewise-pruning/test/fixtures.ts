import {
  type Batch,
  createResNetCifar,
  type Module,
  type Supernet,
  toChannelSupernet,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';

/** A tiny trained-looking ResNet-8 teacher (random weights, non-trivial BN statistics) on 8×8×3 inputs. */
export function tinyTeacher(seed = 1): Module {
  const model = createResNetCifar({ depth: 8, width: 4, numClasses: 3, inputSize: 8, seed });
  tf.tidy(() => {
    let i = 0;
    for (const [name, variable] of model.namedVariables()) {
      i += 1;
      if (name.endsWith('runningVar'))
        variable.assign(tf.randomUniform(variable.shape, 0.5, 1.5, 'float32', seed + i));
      else if (name.endsWith('runningMean') || name.endsWith('beta'))
        variable.assign(tf.randomNormal(variable.shape, 0, 0.2, 'float32', seed + i));
    }
  });
  return model;
}

/** The teacher's channel supernet with a coarse width list. */
export function tinySupernet(teacher: Module): Supernet {
  return toChannelSupernet(teacher, { inputShape: [8, 8, 3], widthRatios: [0.25, 0.5, 0.75, 1] });
}

/** `count` batches of `size` random images with labels in [0, 3), the same for the same seed. */
export function randomBatches(count: number, size: number, seed: number): Batch[] {
  return Array.from({ length: count }, (_, i) => ({
    x: tf.randomNormal([size, 8, 8, 3], 0, 1, 'float32', seed * 1000 + i),
    y: tf.tensor1d(
      Array.from({ length: size }, (_, k) => (seed + i + k) % 3),
      'int32',
    ),
  }));
}

/** Copies of every variable's values, by name. */
export function snapshot(module: Module): Record<string, number[]> {
  return Object.fromEntries([...module.namedVariables()].map(([n, v]) => [n, [...v.dataSync()]]));
}

export function disposeBatches(batches: readonly Batch[]): void {
  for (const b of batches) tf.dispose([b.x, b.y]);
}
