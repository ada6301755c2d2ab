import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  Adam,
  createRng,
  initBackend,
  loadCheckpoint,
  type Module,
  SGD,
  saveCheckpoint,
  trainStep,
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

const x = () =>
  tf.tensor2d([
    [0.5, -1, 2],
    [1, 0.25, -0.5],
  ]);

/** One step of a TF.js optimizer on a squared-output loss. */
function tfjsStep(net: Module, optimizer: tf.Optimizer): void {
  const input = x();
  const variables = [...net.namedParameters().values()];
  optimizer.minimize(
    () => tf.sum(tf.square(net.apply(input, { training: true }))) as tf.Scalar,
    false,
    variables,
  );
  input.dispose();
}

describe('saveCheckpoint / loadCheckpoint', () => {
  test('restores weights, optimizer slots, rng, step and state so training resumes identically', async () => {
    const net = new TinyNet(1);
    const optimizer = tf.train.adam(0.01);
    const rng = createRng(7);
    for (let i = 0; i < 3; i++) tfjsStep(net, optimizer);
    rng.next();
    await saveCheckpoint(dir.path, {
      module: net,
      optimizer,
      rng,
      step: 3,
      state: { epoch: 1, best: [0.5] },
    });

    const restored = new TinyNet(99);
    const restoredOptimizer = tf.train.adam(0.01);
    const loaded = await loadCheckpoint(dir.path, { module: restored, optimizer: restoredOptimizer });
    expect(loaded.step).toBe(3);
    expect(loaded.state).toEqual({ epoch: 1, best: [0.5] });
    expect(loaded.rng?.next()).toBe(rng.next());
    expect(snapshot(restored)).toEqual(snapshot(net));

    tfjsStep(net, optimizer);
    tfjsStep(restored, restoredOptimizer);
    const a = snapshot(net);
    const b = snapshot(restored);
    for (const name of Object.keys(a)) {
      a[name]?.forEach((value, i) => {
        expect(b[name]?.[i]).toBeCloseTo(value, 6);
      });
    }
    net.dispose();
    restored.dispose();
    optimizer.dispose();
    restoredOptimizer.dispose();
  });

  test('restores an automl-ts optimizer by parameter name (momentum slots, iterations)', async () => {
    const net = new TinyNet(1);
    const optimizer = new SGD(net.namedParameters(), { learningRate: 0.05, momentum: 0.9 });
    const batch = {
      x: x(),
      y: tf.tensor2d([
        [1, 0],
        [0, 1],
      ]),
    };
    for (let i = 0; i < 2; i++) trainStep(net, optimizer, batch);
    await saveCheckpoint(dir.path, { module: net, optimizer, step: 2 });

    const restored = new TinyNet(9);
    const restoredOptimizer = new SGD(restored.namedParameters(), { learningRate: 0.05, momentum: 0.9 });
    await loadCheckpoint(dir.path, { module: restored, optimizer: restoredOptimizer });
    expect(restoredOptimizer.iterations).toBe(2);
    trainStep(net, optimizer, batch);
    trainStep(restored, restoredOptimizer, batch);
    expect(snapshot(restored)).toEqual(snapshot(net));
    tf.dispose([batch.x, batch.y]);
    net.dispose();
    restored.dispose();
    optimizer.dispose();
    restoredOptimizer.dispose();
  });

  test('keeps Adam step counts per parameter, so a parameter skipped before the save resumes exactly', async () => {
    const net = new TinyNet(1);
    const names = [...net.namedParameters().keys()];
    const skipped = names[0] as string;
    const stepOnSome = (module: Module, optimizer: Adam, all: boolean) => {
      const parameters = module.namedParameters();
      const gradients = new Map<string, tf.Tensor>();
      for (const [name, variable] of parameters)
        if (all || name !== skipped) gradients.set(name, tf.onesLike(variable));
      optimizer.step(gradients);
      tf.dispose([...gradients.values()]);
    };
    const optimizer = new Adam(net.namedParameters(), { learningRate: 0.05 });
    for (let i = 0; i < 3; i++) stepOnSome(net, optimizer, false);
    await saveCheckpoint(dir.path, { module: net, optimizer, step: 3 });

    const restored = new TinyNet(9);
    const restoredOptimizer = new Adam(restored.namedParameters(), { learningRate: 0.05 });
    await loadCheckpoint(dir.path, { module: restored, optimizer: restoredOptimizer });
    expect(restoredOptimizer.parameterSteps(skipped)).toBe(0);
    expect(restoredOptimizer.parameterSteps(names[1] as string)).toBe(3);
    stepOnSome(net, optimizer, true);
    stepOnSome(restored, restoredOptimizer, true);
    expect(snapshot(restored)).toEqual(snapshot(net));
    net.dispose();
    restored.dispose();
    optimizer.dispose();
    restoredOptimizer.dispose();
  });

  test('a save that fails midway leaves the previous checkpoint intact and no orphan shard', async () => {
    const net = new TinyNet(1);
    await saveCheckpoint(dir.path, { module: net, step: 1, state: { note: 'first' } });
    const files = (await readdir(dir.path)).sort();

    net.stem.variable('weight').assign(tf.zeros([3, 4]));
    const exploding = {
      toJSON(): never {
        throw new Error('simulated crash while serialising');
      },
    };
    await expect(
      saveCheckpoint(dir.path, { module: net, step: 2, state: exploding as unknown as { note: string } }),
    ).rejects.toThrow(
      /^@automl-ts\/core\/saveCheckpoint: could not save the checkpoint in ".*": simulated crash/,
    );
    expect((await readdir(dir.path)).sort()).toEqual(files);

    const reloaded = new TinyNet(3);
    const loaded = await loadCheckpoint(dir.path, { module: reloaded });
    expect(loaded).toMatchObject({ step: 1, state: { note: 'first' } });
    expect(snapshot(reloaded)['stem.weight']).not.toEqual(new Array(12).fill(0));
    net.dispose();
    reloaded.dispose();
  });

  test('leftovers of a crashed save (temporary manifest, unreferenced shard) do not disturb loading and are cleaned up', async () => {
    const net = new TinyNet(1);
    await saveCheckpoint(dir.path, { module: net, step: 5 });
    await writeFile(join(dir.path, '.checkpoint.json.0123456789ab.tmp'), '{"format":"automl-ts-che');
    await writeFile(join(dir.path, 'weights.00000000deadbeef.bin'), new Uint8Array(10));
    const reloaded = new TinyNet(2);
    expect((await loadCheckpoint(dir.path, { module: reloaded })).step).toBe(5);
    await saveCheckpoint(dir.path, { module: net, step: 6 });
    const files = await readdir(dir.path);
    expect(files.sort()).toEqual(['checkpoint.json', expect.stringMatching(/^weights\.[0-9a-f]{16}\.bin$/)]);
    net.dispose();
    reloaded.dispose();
  });

  test('errors name what is wrong', async () => {
    const net = new TinyNet(1);
    await expect(loadCheckpoint(dir.path, { module: net })).rejects.toThrow(
      /^@automl-ts\/core\/loadCheckpoint: cannot read ".*checkpoint\.json"/,
    );
    await expect(saveCheckpoint(dir.path, { module: net, step: -1 })).rejects.toThrow(
      '@automl-ts/core/saveCheckpoint: step must be a non-negative integer, got -1',
    );
    const optimizer = tf.train.sgd(0.1);
    await saveCheckpoint(dir.path, { module: net, optimizer });
    await expect(loadCheckpoint(dir.path, { module: net })).rejects.toThrow(
      'has SGD optimizer state; pass { optimizer } to restore it or { ignoreOptimizer: true } to skip it',
    );
    await expect(loadCheckpoint(dir.path, { module: net, optimizer: tf.train.adam() })).rejects.toThrow(
      'the checkpoint has SGD optimizer state but the optimizer given is Adam',
    );
    expect((await loadCheckpoint(dir.path, { module: net, ignoreOptimizer: true })).rng).toBeUndefined();
    await expect(loadCheckpoint(dir.path, { module: new TinyNet(1, 5), optimizer })).rejects.toThrow(
      '"head.fc.weight" is float32 [4, 2] in the saved weights, float32 [4, 5] in the module',
    );
    await writeFile(join(dir.path, 'checkpoint.json'), '{"format":"other"}');
    await expect(loadCheckpoint(dir.path, { module: net })).rejects.toThrow(
      'is not an automl-ts checkpoint (format "other")',
    );
    net.dispose();
  });

  test('does not leak tensors', async () => {
    const net = new TinyNet(1);
    const optimizer = tf.train.adam(0.01);
    tfjsStep(net, optimizer);
    await saveCheckpoint(dir.path, { module: net, optimizer, step: 1 });
    const before = tf.memory().numTensors;
    await saveCheckpoint(dir.path, { module: net, optimizer, step: 1 });
    expect(tf.memory().numTensors).toBe(before);
    await loadCheckpoint(dir.path, { module: net, optimizer });
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
    optimizer.dispose();
  });
});
