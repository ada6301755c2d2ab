// He et al., "Delving Deep into Rectifiers", 2015, §2.2 (He-normal); Glorot & Bengio, "Understanding the difficulty of training deep feedforward neural networks", 2010, eq. 16 (Glorot-uniform).
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../random/rng.js';
import { seedFrom } from './layer-utils.js';

/** How a weight tensor is initialised. */
export type WeightInit = 'heNormal' | 'glorotUniform';

/**
 * A weight tensor drawn from `init`: He-normal N(0, 2 / fanIn) or Glorot-uniform
 * U(±√(6 / (fanIn + fanOut))). A seed or rng makes it reproducible; without one TF.js's global
 * generator is used.
 */
export function initWeight(
  shape: readonly number[],
  init: WeightInit,
  fanIn: number,
  fanOut: number,
  seed: number | string | Rng | undefined,
): tf.Tensor {
  const tfSeed = seedFrom(seed);
  if (init === 'heNormal')
    return tf.randomNormal(shape as number[], 0, Math.sqrt(2 / fanIn), 'float32', tfSeed);
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return tf.randomUniform(shape as number[], -limit, limit, 'float32', tfSeed);
}
