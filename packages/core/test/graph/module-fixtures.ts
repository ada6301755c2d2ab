import {
  Activation,
  AvgPool2d,
  BatchNorm,
  Concat,
  Conv2d,
  Dense,
  Dropout,
  Flatten,
  GlobalAvgPool,
  MaxPool2d,
  type Module,
  Residual,
  type Rng,
  Sequential,
  ZeroPadShortcut,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';

/** Random parameters and batch-norm statistics, so that no channel is trivially zero. */
export function randomizeModule(module: Module, seed: number): void {
  let s = seed;
  tf.tidy(() => {
    for (const [name, variable] of module.namedVariables()) {
      s += 1;
      const value = name.endsWith('runningVar')
        ? tf.randomUniform(variable.shape, 0.5, 1.5, 'float32', s)
        : tf.randomNormal(variable.shape, 0, 0.5, 'float32', s);
      variable.assign(value);
    }
  });
}

const conv = (
  rng: Rng,
  inChannels: number,
  outChannels: number,
  kernelSize: number,
  extra: { strides?: number; groups?: number } = {},
) => new Conv2d({ inChannels, outChannels, kernelSize, useBias: rng.bernoulli(0.5), seed: rng, ...extra });

/**
 * A random small Module CNN on 8×8×3 inputs: Sequential stages of conv-BN-activation units,
 * residual blocks with identity, projection and zero-padding (option A) shortcuts, concatenated
 * branches with depthwise convs, pooling and dropout, then a pooled or flattened dense head.
 */
export function randomModuleNet(rng: Rng): Module {
  let channels = rng.int(2, 6);
  let size = 8;
  const layers: Array<[string, Module]> = [['stem', conv(rng, 3, channels, 3)]];
  const blocks = rng.int(2, 5);
  for (let b = 0; b < blocks; b++) {
    const name = `b${b}`;
    const kind = rng.choice([
      'unit',
      'identity',
      'projection',
      'zeroPad',
      'concat',
      'pool',
      'dropout',
    ] as const);
    switch (kind) {
      case 'unit': {
        const out = rng.int(2, 8);
        layers.push([
          name,
          new Sequential([
            ['conv', conv(rng, channels, out, rng.choice([1, 3]))],
            ['bn', new BatchNorm({ channels: out })],
            ['act', new Activation(rng.choice(['relu', 'relu6', 'hardSwish', 'sigmoid'] as const))],
          ]),
        ]);
        channels = out;
        break;
      }
      case 'identity':
        layers.push([
          name,
          new Residual({
            body: [
              ['conv1', conv(rng, channels, channels, 3)],
              ['bn1', new BatchNorm({ channels })],
              ['relu1', new Activation('relu')],
              ['conv2', conv(rng, channels, channels, 3)],
              ['bn2', new BatchNorm({ channels })],
            ],
            postActivation: 'relu',
          }),
        ]);
        break;
      case 'projection':
      case 'zeroPad': {
        const strides = size >= 4 ? rng.choice([1, 2]) : 1;
        const before = rng.int(0, 3);
        const after = rng.int(kind === 'zeroPad' && before === 0 ? 1 : 0, 3);
        const out = channels + before + after;
        const shortcut =
          kind === 'zeroPad'
            ? new ZeroPadShortcut({ strides, padBefore: before, padAfter: after })
            : new Sequential([
                ['conv', conv(rng, channels, out, 1, { strides })],
                ['bn', new BatchNorm({ channels: out })],
              ]);
        layers.push([
          name,
          new Residual({
            body: [
              ['conv1', conv(rng, channels, out, 3, { strides })],
              ['bn1', new BatchNorm({ channels: out })],
            ],
            shortcut,
            postActivation: 'relu',
          }),
        ]);
        channels = out;
        size = Math.ceil(size / strides);
        break;
      }
      case 'concat': {
        const point = rng.int(1, 4);
        const multiplier = rng.int(1, 2);
        const branches: Array<[string, Module]> = [
          ['point', conv(rng, channels, point, 1)],
          [
            'depthwise',
            rng.bernoulli(0.5)
              ? conv(rng, channels, channels * multiplier, 3, { groups: channels })
              : new Activation('identity'),
          ],
        ];
        const second = branches[1]?.[1] as Module;
        const secondChannels = second instanceof Conv2d ? second.outChannels : channels;
        layers.push([name, new Concat(rng.bernoulli(0.5) ? branches : [...branches].reverse())]);
        channels = point + secondChannels;
        break;
      }
      case 'pool':
        if (size >= 4) {
          layers.push([
            name,
            rng.bernoulli(0.5) ? new MaxPool2d({ poolSize: 2 }) : new AvgPool2d({ poolSize: 2 }),
          ]);
          size = Math.ceil(size / 2);
        }
        break;
      case 'dropout':
        layers.push([name, new Dropout({ rate: 0.3 })]);
        break;
    }
  }
  if (rng.bernoulli(0.5)) {
    layers.push(['pool', new GlobalAvgPool()]);
  } else {
    layers.push(['flatten', new Flatten()]);
    channels *= size * size;
  }
  if (rng.bernoulli(0.5)) {
    const hidden = rng.int(2, 6);
    layers.push(['hidden', new Dense({ inUnits: channels, outUnits: hidden, seed: rng })]);
    layers.push(['hiddenAct', new Activation('relu')]);
    channels = hidden;
  }
  layers.push(['fc', new Dense({ inUnits: channels, outUnits: 3, seed: rng })]);
  return new Sequential(layers);
}

/** A random keep-list per group (some groups untouched). */
export function randomSelection(
  rng: Rng,
  groups: ReadonlyArray<{ id: string; channels: number }>,
  probability = 0.8,
): Record<string, number[]> {
  const selection: Record<string, number[]> = {};
  for (const group of groups) {
    if (!rng.bernoulli(probability)) continue;
    const channels = Array.from({ length: group.channels }, (_, i) => i);
    selection[group.id] = rng.sample(channels, rng.int(1, group.channels)).sort((a, b) => a - b);
  }
  return selection;
}
