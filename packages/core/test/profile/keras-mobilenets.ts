// Relative import so that the latency benchmark (run by tsx, without the test aliases) can use it.

import * as tf from '@tensorflow/tfjs';
import { makeDivisible } from '../../src/index.js';

type S = tf.SymbolicTensor;
const call = (layer: tf.layers.Layer, x: S | S[]): S => layer.apply(x) as S;

function convBnRelu6(x: S, filters: number, kernelSize: number, strides: number, name: string): S {
  const conv = call(
    tf.layers.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false, name }),
    x,
  );
  const bn = call(tf.layers.batchNormalization({ name: `${name}_bn` }), conv);
  return call(tf.layers.reLU({ maxValue: 6, name: `${name}_relu` }), bn);
}

function depthwiseBnRelu6(x: S, strides: number, name: string): S {
  const conv = call(
    tf.layers.depthwiseConv2d({ kernelSize: 3, strides, padding: 'same', useBias: false, name }),
    x,
  );
  const bn = call(tf.layers.batchNormalization({ name: `${name}_bn` }), conv);
  return call(tf.layers.reLU({ maxValue: 6, name: `${name}_relu` }), bn);
}

/**
 * Keras-style MobileNetV1 (Howard et al. 2017, Table 1) as a `tf.LayersModel`: conv3×3/2 →
 * 13 depthwise-separable blocks → global average pool → dense.
 */
export function kerasMobileNetV1(alpha: number, size: number, classes: number): tf.LayersModel {
  const input = tf.input({ shape: [size, size, 3] });
  let x = convBnRelu6(input, Math.floor(32 * alpha), 3, 2, 'conv1');
  const blocks: Array<[number, number]> = [
    [1, 64],
    [2, 128],
    [1, 128],
    [2, 256],
    [1, 256],
    [2, 512],
    [1, 512],
    [1, 512],
    [1, 512],
    [1, 512],
    [1, 512],
    [2, 1024],
    [1, 1024],
  ];
  blocks.forEach(([strides, filters], i) => {
    x = depthwiseBnRelu6(x, strides, `conv_dw_${i + 1}`);
    x = convBnRelu6(x, Math.floor(filters * alpha), 1, 1, `conv_pw_${i + 1}`);
  });
  x = call(tf.layers.globalAveragePooling2d({ name: 'pool' }), x);
  return tf.model({ inputs: input, outputs: call(tf.layers.dense({ units: classes, name: 'fc' }), x) });
}

/**
 * Keras-style MobileNetV2 (Sandler et al. 2018, Table 2) as a `tf.LayersModel`, channels rounded
 * to multiples of 8 as in the reference implementation.
 */
export function kerasMobileNetV2(alpha: number, size: number, classes: number): tf.LayersModel {
  const input = tf.input({ shape: [size, size, 3] });
  let channels = makeDivisible(32 * alpha);
  let x = convBnRelu6(input, channels, 3, 2, 'stem');
  const stages: Array<[number, number, number, number]> = [
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 3, 2],
    [6, 64, 4, 2],
    [6, 96, 3, 1],
    [6, 160, 3, 2],
    [6, 320, 1, 1],
  ];
  let block = 0;
  for (const [expansion, width, repeats, firstStride] of stages) {
    const out = makeDivisible(width * alpha);
    for (let r = 0; r < repeats; r++) {
      const strides = r === 0 ? firstStride : 1;
      const name = `block_${block++}`;
      let y = expansion === 1 ? x : convBnRelu6(x, channels * expansion, 1, 1, `${name}_expand`);
      y = depthwiseBnRelu6(y, strides, `${name}_depthwise`);
      y = call(tf.layers.conv2d({ filters: out, kernelSize: 1, useBias: false, name: `${name}_project` }), y);
      y = call(tf.layers.batchNormalization({ name: `${name}_project_bn` }), y);
      x = strides === 1 && channels === out ? call(tf.layers.add({ name: `${name}_add` }), [x, y]) : y;
      channels = out;
    }
  }
  x = convBnRelu6(x, makeDivisible(1280 * Math.max(1, alpha)), 1, 1, 'head');
  x = call(tf.layers.globalAveragePooling2d({ name: 'pool' }), x);
  return tf.model({ inputs: input, outputs: call(tf.layers.dense({ units: classes, name: 'fc' }), x) });
}
