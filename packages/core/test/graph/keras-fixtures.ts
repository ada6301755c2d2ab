import type { Rng } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';

type S = tf.SymbolicTensor;

/** Applies a layer to symbolic tensors. */
export const call = (layer: tf.layers.Layer, input: S | S[]): S => layer.apply(input) as S;

/** Gives every weight random values (BN variances positive), so that no channel is trivially zero. */
export function randomizeWeights(model: tf.LayersModel, seed: number): void {
  let s = seed;
  for (const layer of model.layers) {
    const values = layer.getWeights().map((w, i) => {
      s += 1;
      const name = layer.weights[i]?.originalName ?? '';
      return name.endsWith('moving_variance')
        ? tf.randomUniform(w.shape, 0.5, 1.5, 'float32', s)
        : tf.randomNormal(w.shape, 0, 0.5, 'float32', s);
    });
    if (values.length > 0) layer.setWeights(values);
    tf.dispose(values);
  }
}

/** ‖a − b‖ / ‖b‖. */
export function relativeError(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => {
    const num = tf.norm(tf.sub(a, b)).dataSync()[0] as number;
    const den = tf.norm(b).dataSync()[0] as number;
    return num / Math.max(den, 1e-12);
  });
}

/** Trainable parameters of a model, from its weights. */
export function trainableParams(model: tf.LayersModel): number {
  return model.trainableWeights.reduce(
    (sum, w) => sum + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1),
    0,
  );
}

/**
 * A functional network with every coupling the dependency analysis handles: a residual add, a
 * concatenation of a 1×1 conv and a depthwise conv (multiplier 2), a separable conv, zero padding,
 * a squeeze-style multiply, pooling, and a flatten → dense head.
 */
export function residualConcatModel(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 3], name: 'image' });
  const stem = call(tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', name: 'stem' }), input);
  const stemBn = call(tf.layers.batchNormalization({ name: 'stem_bn' }), stem);
  const stemAct = call(tf.layers.reLU({ name: 'stem_relu' }), stemBn);
  const b1 = call(
    tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', useBias: false, name: 'block_conv1' }),
    stemAct,
  );
  const b1Act = call(tf.layers.activation({ activation: 'relu6', name: 'block_relu' }), b1);
  const b2 = call(
    tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', name: 'block_conv2' }),
    b1Act,
  );
  const b2Bn = call(tf.layers.batchNormalization({ name: 'block_bn2' }), b2);
  const sum = call(tf.layers.add({ name: 'block_add' }), [b2Bn, stemAct]);
  const point = call(tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'branch_point' }), sum);
  const depth = call(
    tf.layers.depthwiseConv2d({
      kernelSize: 3,
      padding: 'same',
      depthMultiplier: 2,
      name: 'branch_depthwise',
    }),
    sum,
  );
  const cat = call(tf.layers.concatenate({ name: 'cat' }), [point, depth]);
  const gate = call(tf.layers.activation({ activation: 'sigmoid', name: 'gate' }), cat);
  const gated = call(tf.layers.multiply({ name: 'gated' }), [cat, gate]);
  const padded = call(tf.layers.zeroPadding2d({ padding: 1, name: 'pad' }), gated);
  const sep = call(
    tf.layers.separableConv2d({ filters: 5, kernelSize: 3, depthMultiplier: 2, name: 'sep' }),
    padded,
  );
  const pool = call(tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' }), sep);
  const drop = call(tf.layers.dropout({ rate: 0.2, name: 'drop' }), pool);
  const flat = call(tf.layers.flatten({ name: 'flat' }), drop);
  const hidden = call(tf.layers.dense({ units: 7, activation: 'relu', name: 'hidden' }), flat);
  const logits = call(tf.layers.dense({ units: 3, name: 'logits' }), hidden);
  return tf.model({ inputs: input, outputs: logits, name: 'residual_concat' });
}

/**
 * A random small functional CNN on 8×8×3 inputs, built from residual adds, concatenations,
 * depthwise and separable convs, pooling, padding, multiplies and two kinds of heads.
 */
export function randomKerasNet(rng: Rng): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 3] });
  let x = call(tf.layers.conv2d({ filters: rng.int(2, 6), kernelSize: 3, padding: 'same' }), input);
  const channels = (t: S): number => t.shape[3] as number;
  const spatial = (t: S): number => t.shape[1] as number;
  const blocks = rng.int(2, 5);
  for (let b = 0; b < blocks; b++) {
    const kind = rng.choice([
      'conv',
      'bnAct',
      'residual',
      'concat',
      'separable',
      'pool',
      'pad',
      'dropout',
      'multiply',
    ] as const);
    switch (kind) {
      case 'conv':
        x = call(
          tf.layers.conv2d({
            filters: rng.int(2, 8),
            kernelSize: rng.choice([1, 3]),
            strides: spatial(x) >= 4 ? rng.choice([1, 2]) : 1,
            padding: 'same',
            useBias: rng.bernoulli(0.5),
            activation: rng.choice(['linear', 'relu'] as const),
          }),
          x,
        );
        break;
      case 'bnAct':
        x = call(tf.layers.batchNormalization({}), x);
        x = call(
          tf.layers.activation({ activation: rng.choice(['relu', 'relu6', 'sigmoid', 'elu'] as const) }),
          x,
        );
        break;
      case 'residual': {
        const c = channels(x);
        let branch = call(tf.layers.conv2d({ filters: c, kernelSize: 3, padding: 'same' }), x);
        branch = call(tf.layers.batchNormalization({}), branch);
        branch = call(tf.layers.reLU({}), branch);
        branch = call(tf.layers.conv2d({ filters: c, kernelSize: 3, padding: 'same' }), branch);
        x = call(tf.layers.add({}), [branch, x]);
        break;
      }
      case 'concat': {
        const a = call(tf.layers.conv2d({ filters: rng.int(1, 4), kernelSize: 1 }), x);
        const other = rng.bernoulli(0.5)
          ? call(
              tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', depthMultiplier: rng.int(1, 2) }),
              x,
            )
          : x;
        x = call(tf.layers.concatenate({}), rng.bernoulli(0.5) ? [a, other] : [other, a]);
        break;
      }
      case 'separable':
        x = call(
          tf.layers.separableConv2d({
            filters: rng.int(2, 6),
            kernelSize: 3,
            padding: 'same',
            depthMultiplier: rng.int(1, 2),
          }),
          x,
        );
        break;
      case 'pool':
        if (spatial(x) >= 4) {
          x = call(
            rng.bernoulli(0.5)
              ? tf.layers.maxPooling2d({ poolSize: 2 })
              : tf.layers.averagePooling2d({ poolSize: 2 }),
            x,
          );
        }
        break;
      case 'pad':
        x = call(tf.layers.zeroPadding2d({ padding: 1 }), x);
        x = call(tf.layers.conv2d({ filters: rng.int(2, 6), kernelSize: 3, padding: 'valid' }), x);
        break;
      case 'dropout':
        x = call(tf.layers.dropout({ rate: 0.3 }), x);
        break;
      case 'multiply': {
        const gate = call(tf.layers.activation({ activation: 'sigmoid' }), x);
        x = call(tf.layers.multiply({}), [x, gate]);
        break;
      }
    }
  }
  let head = rng.bernoulli(0.5)
    ? call(tf.layers.globalAveragePooling2d({}), x)
    : call(tf.layers.flatten({}), x);
  if (rng.bernoulli(0.5)) head = call(tf.layers.dense({ units: rng.int(2, 6), activation: 'relu' }), head);
  return tf.model({ inputs: input, outputs: call(tf.layers.dense({ units: 3 }), head) });
}
