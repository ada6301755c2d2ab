import { Conv2d, createRng, initBackend, type Module } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { randomizeState, relativeError, SMALL_SUPERNETS } from './helpers.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

const ARCHITECTURES = 20;

describe.each(Object.entries(SMALL_SUPERNETS))('%s: extract(arch) equals the supernet', (_, build) => {
  test(`over ${ARCHITECTURES} random architectures, the largest and the smallest (inference)`, () => {
    const supernet = build();
    randomizeState(supernet, 11);
    const rng = createRng(5);
    const x = tf.randomNormal([2, ...supernet.inputShape], 0, 1, 'float32', 9);
    const archs = [
      supernet.largestArchitecture(),
      supernet.smallestArchitecture(),
      ...Array.from({ length: ARCHITECTURES }, () => supernet.sample(rng)),
    ];
    const keys = new Set(archs.map((arch) => supernet.searchSpace.key(arch)));
    expect(keys.size).toBeGreaterThan(ARCHITECTURES / 2);
    const before = tf.memory().numTensors;
    for (const arch of archs) {
      const subnet = supernet.extract(arch);
      expect(isPlain(subnet)).toBe(true);
      const expected = supernet.apply(x, { arch });
      const actual = subnet.apply(x);
      expect(actual.shape).toEqual(expected.shape);
      expect(relativeError(actual, expected)).toBeLessThan(1e-5);
      expect(subnet.countParameters()).toBeLessThanOrEqual(supernet.countParameters());
      tf.dispose([expected, actual]);
      subnet.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    supernet.dispose();
  });
});

/** True when no module of the tree is a dynamic (supernet) module. */
function isPlain(module: Module): boolean {
  return [...module.modules()].every(
    (m) =>
      !m.className.startsWith('Dynamic') &&
      !['LayerChoice', 'ElasticDepth', 'Supernet', 'SlimmableBasicBlock'].includes(m.className),
  );
}

test('the extracted subnet keeps the supernet names of the active parts', () => {
  const supernet = SMALL_SUPERNETS['resnet20-slim']();
  const arch = supernet.smallestArchitecture();
  const subnet = supernet.extract(arch);
  const names = [...subnet.namedParameters().keys()];
  expect(names).toContain('stage2.block0.conv1.kernel');
  expect(names).toContain('stage2.block0.shortcut.conv.kernel');
  expect(names).toContain('head.classifier.kernel');
  for (const name of names) expect(supernet.namedParameters().has(name)).toBe(true);
  const conv1 = [...subnet.modules()].find((m) => m.path === 'stage2.block0.conv1');
  expect(conv1).toBeInstanceOf(Conv2d);
  expect((conv1 as Conv2d).outChannels).toBe(arch['stage2.block0.width']);
  subnet.dispose();
  supernet.dispose();
});
