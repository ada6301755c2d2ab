// The example of docs/core.md, "Adding a custom candidate op to a search space", runs here as
// written: the test checks that the guide's code block is this file's region, character for character.
// #region guide

import {
  Activation,
  BatchNorm,
  Conv2d,
  createRng,
  createSupernet,
  initBackend,
  registerCandidateOp,
  Sequential,
  SGD,
  toLayersModel,
  trainStep,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';

await initBackend();

// 1. Register the op: a factory from its place in the network to a module of plain layers.
registerCandidateOp('conv1x7_7x1', {
  description: '1×7 conv → 7×1 conv → BN → ReLU (NASNet)',
  create: ({ inChannels, outChannels, stride, seed }) =>
    new Sequential([
      [
        'conv1x7',
        new Conv2d({ inChannels, outChannels, kernelSize: [1, 7], strides: stride, useBias: false, seed }),
      ],
      [
        'conv7x1',
        new Conv2d({ inChannels: outChannels, outChannels, kernelSize: [7, 1], useBias: false, seed }),
      ],
      ['bn', new BatchNorm({ channels: outChannels })],
      ['relu', new Activation('relu')],
    ]),
});

// 2. Use it in a search space: every block of the Conv-4 cell supernet may now pick it.
const supernet = createSupernet('conv4-cells', {
  inputSize: 28,
  inChannels: 1,
  channels: 16,
  numClasses: 5,
  ops: ['conv3x3', 'conv1x7_7x1', 'skip'],
});
const opChoice = supernet.searchSpace.choice('block0.op'); // values, cheapest first: skip, conv3x3, conv1x7_7x1

// 3. Train the shared weights, one random architecture per step (single-path one-shot).
const images = tf.randomNormal([10, 28, 28, 1], 0, 1, 'float32', 1);
const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 0, 1, 2, 3, 4], 'int32'), 5);
const optimizer = new SGD(supernet.namedParameters(), { learningRate: 0.05, momentum: 0.9 });
const rng = createRng(0);
for (let step = 0; step < 5; step++) {
  trainStep(supernet, optimizer, { x: images, y: labels }, { arch: supernet.sample(rng) });
}

// 4. Take one architecture out as a standalone network of plain layers, and export it.
const arch = {
  'block0.op': 'conv1x7_7x1',
  'block1.op': 'conv3x3',
  'block2.op': 'conv1x7_7x1',
  'block3.op': 'skip',
};
const subnet = supernet.extract(arch);
const model = toLayersModel(subnet, { inputShape: [28, 28, 1] });

// await model.save('file://exported/cells'); then tf.loadLayersModel anywhere TF.js runs
// #endregion guide

import { readFile } from 'node:fs/promises';
import { candidateOps, listCandidateOps } from '@automl-ts/core';
import { afterAll, expect, test } from 'vitest';
import { relativeError } from './helpers.js';

afterAll(() => {
  candidateOps.unregister('conv1x7_7x1');
  tf.dispose([images, labels]);
  optimizer.dispose();
  model.dispose();
  subnet.dispose();
  supernet.dispose();
});

test('the guide code is the code block of docs/core.md', async () => {
  const source = await readFile(new URL(import.meta.url), 'utf8');
  const region = source.slice(
    source.indexOf('// #region guide\n') + '// #region guide\n'.length,
    source.indexOf('// #endregion guide'),
  );
  const doc = await readFile(new URL('../../../../docs/core.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('## Adding a custom candidate op to a search space'));
  const block = section.slice(
    section.indexOf('```ts\n') + '```ts\n'.length,
    section.indexOf('```\n', section.indexOf('```ts\n') + 6),
  );
  expect(block.trim()).toBe(region.trim());
});

test('the custom op is registered, searchable, extracted and exported with the same outputs', () => {
  expect(listCandidateOps('conv1x7*')).toEqual(['conv1x7_7x1']);
  expect(opChoice).toEqual({
    kind: 'categorical',
    name: 'block0.op',
    values: ['skip', 'conv3x3', 'conv1x7_7x1'],
  });
  expect(optimizer.iterations).toBe(5);
  const factorized = [...subnet.modules()].filter(
    (m): m is Conv2d => m instanceof Conv2d && m.kernelSize[0] === 1,
  );
  expect(factorized.map((m) => m.path)).toEqual(['block0.op.conv1x7', 'block2.op.conv1x7']);
  const x = tf.randomNormal([3, 28, 28, 1], 0, 1, 'float32', 2);
  const expected = supernet.apply(x, { arch });
  const fromSubnet = subnet.apply(x);
  const fromModel = model.predict(x) as tf.Tensor;
  expect(relativeError(fromSubnet, expected)).toBeLessThan(1e-5);
  expect(relativeError(fromModel, expected)).toBeLessThan(1e-5);
  tf.dispose([x, expected, fromSubnet, fromModel]);
});
