import { createRng, initBackend } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';

interface RunResult {
  losses: number[];
  weights: Float32Array[];
}

/** 20 SGD steps of a small CNN whose weights and data come only from `seed`. */
function trainTwentySteps(seed: number): RunResult {
  const rng = createRng(seed);
  const init = (shape: number[], std: number) =>
    tf.variable(tf.randomNormal(shape, 0, std, 'float32', rng.seed()));
  const params = {
    conv: init([3, 3, 3, 8], 0.3),
    depthwise: init([3, 3, 8, 1], 0.3),
    dense: init([4 * 4 * 8, 5], 0.1),
    bias: tf.variable(tf.zeros([5])),
  };
  const x = tf.randomUniform([6, 8, 8, 3], 0, 1, 'float32', rng.seed());
  const labels = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: 6 }, () => rng.int(0, 4)),
      'int32',
    ),
    5,
  );
  const optimizer = tf.train.sgd(0.05);
  const losses: number[] = [];
  for (let step = 0; step < 20; step++) {
    const loss = optimizer.minimize(
      () =>
        tf.tidy(() => {
          let h = tf.relu(tf.conv2d(x as tf.Tensor4D, params.conv as tf.Tensor4D, 1, 'same'));
          h = tf.relu6(tf.depthwiseConv2d(h, params.depthwise as tf.Tensor4D, 2, 'same'));
          const logits = tf.add(tf.matMul(tf.reshape(h, [6, -1]), params.dense), params.bias);
          return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
        }),
      true,
    );
    losses.push(loss!.dataSync()[0]!);
    loss!.dispose();
  }
  const weights = Object.values(params).map((v) => v.dataSync() as Float32Array);
  for (const v of Object.values(params)) v.dispose();
  optimizer.dispose();
  tf.dispose([x, labels]);
  return { losses, weights };
}

describe.each(['cpu', 'wasm'] as const)('reproducibility on %s', (backend) => {
  test('same seed → bit-identical weights and losses after 20 training steps', async () => {
    await initBackend({ prefer: backend });
    const a = trainTwentySteps(123);
    const b = trainTwentySteps(123);
    expect(a.losses).toEqual(b.losses);
    expect(a.weights.length).toBe(b.weights.length);
    for (let i = 0; i < a.weights.length; i++) {
      expect(Buffer.from(a.weights[i]!.buffer).equals(Buffer.from(b.weights[i]!.buffer))).toBe(true);
    }
    // The run really learns and really depends on the seed.
    expect(a.losses[19]!).toBeLessThan(a.losses[0]!);
    expect(trainTwentySteps(124).losses).not.toEqual(a.losses);
  });
});
