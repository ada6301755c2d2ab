// Small fixtures for the AT-NAS tests: seeded synthetic few-shot tasks and a tiny DARTS-op supernet.
import { createRng, createSupernet, initBackend, type Rng, type Supernet } from '@automl-ts/core';
import type { SampledTask, TaskSource } from '@automl-ts/meta-learning';
import * as tf from '@tensorflow/tfjs';

/** Switches to `backend` (wasm with core's training kernels). */
export async function useBackend(backend: 'cpu' | 'wasm'): Promise<void> {
  await initBackend({ prefer: backend });
}

/** N-way K-shot tasks on `[size, size, 1]` images: each class a random prototype, examples noisy copies. */
export function imageTasks(
  options: { ways: number; shots: number; queries: number; size: number },
  seed: number | Rng = 0,
): TaskSource {
  const rng = typeof seed === 'number' ? createRng(seed) : seed;
  const { ways, shots, queries, size } = options;
  return {
    sample(): SampledTask {
      const prototypes = Array.from({ length: ways }, () =>
        Array.from({ length: size * size }, () => rng.uniform(-1, 1)),
      );
      const draw = (perClass: number) => {
        const values: number[] = [];
        const labels: number[] = [];
        for (let c = 0; c < ways; c++) {
          for (let k = 0; k < perClass; k++) {
            for (const p of prototypes[c] as number[]) values.push(p + 0.3 * rng.normal());
            labels.push(c);
          }
        }
        return { x: tf.tensor4d(values, [ways * perClass, size, size, 1]), y: tf.tensor1d(labels, 'int32') };
      };
      const support = draw(shots);
      const query = draw(queries);
      return { support, query, dispose: () => tf.dispose([support.x, support.y, query.x, query.y]) };
    },
  };
}

/** A 2-block conv4-cells supernet over four DARTS ops (4² = 16 architectures). */
export function tinySupernet(
  options: { size?: number; ways?: number; channels?: number; seed?: number } = {},
): Supernet {
  return createSupernet('conv4-cells', {
    inputSize: options.size ?? 8,
    numClasses: options.ways ?? 3,
    channels: options.channels ?? 3,
    blocks: 2,
    ops: ['darts_sep_conv3x3', 'dil_conv3x3', 'max_pool3x3', 'skip'],
    seed: options.seed ?? 0,
  });
}
