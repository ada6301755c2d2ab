import { type ChoiceValue, type DynamicConv2d, initBackend, reorderChannels } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, test } from 'vitest';
import { randomizeState, relativeError, SMALL_SUPERNETS } from './helpers.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

test.each(['ofa-mobilenetv2', 'resnet20-slim'] as const)(
  '%s: sorting inner channels by importance leaves the full network unchanged and puts the strongest filters first',
  (name) => {
    const net = SMALL_SUPERNETS[name]();
    randomizeState(net, 4);
    const arch = net.largestArchitecture();
    const x = tf.randomNormal([2, ...net.inputShape], 0, 1, 'float32', 6);
    const before = net.apply(x, { arch });
    const sorted = reorderChannels(net);
    const after = sorted.apply(x, { arch });
    expect(relativeError(after, before)).toBeLessThan(1e-5);
    const producer = name === 'ofa-mobilenetv2' ? 'stage2.block1.expand' : 'stage2.block1.conv1';
    const conv = [...sorted.modules()].find((m) => m.path === producer) as DynamicConv2d;
    const importance = Array.from(conv.filterImportance().dataSync());
    expect(importance).toEqual([...importance].sort((a, b) => b - a));
    const original = [...net.modules()].find((m) => m.path === producer) as DynamicConv2d;
    const originalImportance = Array.from(original.filterImportance().dataSync());
    expect(originalImportance).not.toEqual(importance);
    expect([...originalImportance].sort((a, b) => b - a)).toEqual(importance);
    // Inner widths at their minimum, everything else as large as possible.
    const smallest = net.smallestArchitecture();
    const narrower: Record<string, ChoiceValue> = { ...arch };
    for (const name of Object.keys(narrower)) {
      if (name.endsWith('.expand') || /block\d+\.width$/.test(name))
        narrower[name] = smallest[name] as ChoiceValue;
    }
    const narrowBefore = net.apply(x, { arch: narrower });
    const narrowAfter = sorted.apply(x, { arch: narrower });
    expect(relativeError(narrowAfter, narrowBefore)).toBeGreaterThan(1e-3);
    expect(reorderChannels.inPlace(net)).toBeGreaterThan(0);
    const inPlace = net.apply(x, { arch });
    expect(relativeError(inPlace, before)).toBeLessThan(1e-5);
    tf.dispose([x, before, after, narrowBefore, narrowAfter, inPlace]);
    net.dispose();
    sorted.dispose();
  },
);
