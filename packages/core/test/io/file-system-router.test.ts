import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { initBackend, registerFileSystemRouter } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { temporaryDirectory } from './fixtures.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
  registerFileSystemRouter();
});

let dir: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  dir = await temporaryDirectory();
});
afterEach(async () => {
  await dir.remove();
});

function smallModel(): tf.LayersModel {
  const input = tf.input({ shape: [4] });
  const hidden = tf.layers
    .dense({ units: 3, activation: 'relu', kernelInitializer: 'glorotNormal' })
    .apply(input);
  const output = tf.layers.dense({ units: 2 }).apply(hidden) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output });
}

describe('file:// router', () => {
  test('is registered once and is the only file:// handler', () => {
    expect(registerFileSystemRouter()).toBe(false);
    expect(tf.io.getSaveHandlers(`file://${dir.path}`)).toHaveLength(1);
    expect(tf.io.getLoadHandlers(`file://${dir.path}/model.json`)).toHaveLength(1);
  });

  test('model.save → tf.loadLayersModel gives the same outputs', async () => {
    const model = smallModel();
    const target = join(dir.path, 'm');
    const result = await model.save(`file://${target}`);
    expect(result.modelArtifactsInfo.weightDataBytes).toBe((4 * 3 + 3 + 3 * 2 + 2) * 4);
    const files = (await readdir(target)).sort();
    expect(files).toEqual(['model.json', expect.stringMatching(/^weights\.[0-9a-f]{16}\.bin$/)]);
    const loaded = await tf.loadLayersModel(`file://${target}/model.json`);
    const fromDirectory = await tf.loadLayersModel(`file://${target}`);
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 3);
    const expected = model.predict(x) as tf.Tensor;
    for (const other of [loaded, fromDirectory]) {
      const actual = other.predict(x) as tf.Tensor;
      expect(Array.from(actual.dataSync())).toEqual(Array.from(expected.dataSync()));
      actual.dispose();
      other.dispose();
    }
    tf.dispose([x, expected]);
    await model.save(`file://${target}`);
    expect(await readdir(target)).toHaveLength(2);
    model.dispose();
  });

  test('steps aside for a file:// router registered later (as tfjs-node does)', () => {
    const theirs: tf.io.IOHandler = {
      save: async () => ({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }),
    };
    tf.io.registerSaveRouter(((url: string | string[]) =>
      typeof url === 'string' && url.startsWith('file://theirs/') ? theirs : null) as Parameters<
      typeof tf.io.registerSaveRouter
    >[0]);
    expect(tf.io.getSaveHandlers('file://theirs/model')).toEqual([theirs]);
    expect(tf.io.getSaveHandlers('file://mine/model')).toHaveLength(1);
    expect(tf.io.getSaveHandlers('file://mine/model')[0]).not.toBe(theirs);
  });

  test('a missing model names the path', async () => {
    await expect(tf.loadLayersModel(`file://${dir.path}/absent/model.json`)).rejects.toThrow(
      /@automl-ts\/core\/fileSystemRouter\.load: cannot read ".*absent\/model\.json"/,
    );
  });
});
