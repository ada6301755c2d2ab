import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  encodeModuleWeights,
  initBackend,
  loadModuleWeights,
  restoreModuleWeights,
  saveModuleWeights,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { snapshot, TinyNet, temporaryDirectory } from './fixtures.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

let dir: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  dir = await temporaryDirectory();
});
afterEach(async () => {
  await dir.remove();
});

describe('module weights in memory', () => {
  test('encode → restore copies every parameter and buffer by hierarchical name', async () => {
    const source = new TinyNet(1);
    source.stem.variable('runningMean').assign(tf.tensor1d([1, 2, 3, 4]));
    const target = new TinyNet(2);
    const artifacts = await encodeModuleWeights(source);
    expect(artifacts.specs.map((s) => s.name)).toEqual([
      'stem.weight',
      'stem.bias',
      'head.fc.weight',
      'head.fc.bias',
      'stem.runningMean',
      'head.fc.runningMean',
    ]);
    const before = tf.memory().numTensors;
    restoreModuleWeights(target, artifacts);
    expect(tf.memory().numTensors).toBe(before);
    expect(snapshot(target)).toEqual(snapshot(source));
    source.dispose();
    target.dispose();
  });

  test('a mismatch names every bad tensor and assigns nothing', async () => {
    const source = new TinyNet(1, 3);
    const target = new TinyNet(2, 2);
    const before = snapshot(target);
    const artifacts = await encodeModuleWeights(source);
    expect(() => restoreModuleWeights(target, artifacts)).toThrow(
      '@automl-ts/core/restoreModuleWeights: weights do not match the module: ' +
        '"head.fc.weight" is float32 [4, 3] in the saved weights, float32 [4, 2] in the module, ' +
        '"head.fc.bias" is float32 [3] in the saved weights, float32 [2] in the module, ' +
        '"head.fc.runningMean" is float32 [3] in the saved weights, float32 [2] in the module',
    );
    expect(snapshot(target)).toEqual(before);
    source.dispose();
    target.dispose();
  });

  test('missing and unexpected names are listed; strict: false skips them', async () => {
    const source = new TinyNet(1);
    const target = new TinyNet(2);
    const full = await encodeModuleWeights(source);
    const keep = full.specs.filter((s) => s.name !== 'stem.bias');
    const renamed = keep.map((s) => (s.name === 'stem.weight' ? { ...s, name: 'stem.kernel' } : s));
    const values = tf.io.decodeWeights(full.data, [...full.specs]);
    const { data } = await tf.io.encodeWeights(
      keep.map((s) => ({ name: s.name, tensor: values[s.name] as tf.Tensor })),
    );
    tf.dispose(values);
    const partial = { specs: renamed, data };
    expect(() => restoreModuleWeights(target, partial)).toThrow(
      'weights do not match the module: missing from the saved weights: "stem.weight", "stem.bias"; ' +
        'not in the module: "stem.kernel"',
    );
    restoreModuleWeights(target, partial, { strict: false });
    const after = snapshot(target);
    expect(after['head.fc.weight']).toEqual(snapshot(source)['head.fc.weight']);
    expect(after['stem.weight']).not.toEqual(snapshot(source)['stem.weight']);
    source.dispose();
    target.dispose();
  });

  test('a data buffer of the wrong length is rejected', async () => {
    const net = new TinyNet(1);
    const { specs, data } = await encodeModuleWeights(net);
    expect(() => restoreModuleWeights(net, { specs, data: data.slice(0, 8) })).toThrow(
      `the manifest describes ${data.byteLength} bytes but the data has 8`,
    );
    net.dispose();
  });
});

describe('module weights in files', () => {
  test('save → load round-trips through weights.json and one content-named shard', async () => {
    const source = new TinyNet(1);
    const target = new TinyNet(2);
    await saveModuleWeights(source, dir.path);
    const files = (await readdir(dir.path)).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^weights\.[0-9a-f]{16}\.bin$/);
    expect(files[1]).toBe('weights.json');
    const manifest = JSON.parse(
      await readFile(join(dir.path, 'weights.json'), 'utf8'),
    ) as tf.io.WeightsManifestConfig;
    expect(manifest[0]?.paths).toEqual([files[0]]);
    await loadModuleWeights(target, dir.path);
    expect(snapshot(target)).toEqual(snapshot(source));
    await loadModuleWeights(target, join(dir.path, 'weights.json'));
    source.dispose();
    target.dispose();
  });

  test('saving new weights replaces the shard and removes the stale one', async () => {
    const net = new TinyNet(1);
    await saveModuleWeights(net, dir.path);
    const first = await readdir(dir.path);
    net.stem.variable('bias').assign(tf.ones([4]));
    await saveModuleWeights(net, dir.path);
    const second = await readdir(dir.path);
    expect(second).toHaveLength(2);
    expect(second).not.toEqual(first);
    const reloaded = new TinyNet(5);
    await loadModuleWeights(reloaded, dir.path);
    expect(snapshot(reloaded)['stem.bias']).toEqual([1, 1, 1, 1]);
    net.dispose();
    reloaded.dispose();
  });

  test('errors name the file', async () => {
    const net = new TinyNet(1);
    await expect(loadModuleWeights(net, join(dir.path, 'nope'))).rejects.toThrow(
      /^@automl-ts\/core\/loadModuleWeights: cannot read ".*nope"/,
    );
    await saveModuleWeights(net, dir.path);
    const manifest = join(dir.path, 'weights.json');
    const text = await readFile(manifest, 'utf8');
    await import('node:fs/promises').then((fs) =>
      fs.writeFile(manifest, text.replace(/weights\.[0-9a-f]{16}\.bin/, '../escape.bin')),
    );
    await expect(loadModuleWeights(net, dir.path)).rejects.toThrow('shard path "../escape.bin"');
    await import('node:fs/promises').then((fs) => fs.writeFile(manifest, '{"not":"a manifest"}'));
    await expect(loadModuleWeights(net, dir.path)).rejects.toThrow(
      'is not a TF.js weights manifest: {"not":"a manifest"}',
    );
    net.dispose();
  });
});
