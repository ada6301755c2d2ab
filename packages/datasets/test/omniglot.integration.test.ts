// Runs on the real Omniglot background set when it is present: AUTOML_DATA_DIR, else the shared
// data folder beside the checkout (../shared/data relative to the repository root).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@automl-ts/core';
import { createEpisodeSampler, loadOmniglot, type OmniglotDataset, splitByClass } from '@automl-ts/datasets';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';

const dataDir =
  process.env['AUTOML_DATA_DIR'] ?? fileURLToPath(new URL('../../../../shared/data', import.meta.url));
const zipPath = join(dataDir, 'omniglot', 'images_background.zip');
const available = existsSync(zipPath);
if (!available) {
  console.warn(
    `[@automl-ts/datasets] Omniglot integration tests SKIPPED: ${zipPath} not found. ` +
      'Set AUTOML_DATA_DIR to a folder holding omniglot/images_background.zip to run them.',
  );
}

describe.runIf(available)('Omniglot background set (real data)', () => {
  let omniglot: OmniglotDataset;
  beforeAll(async () => {
    await initBackend({ prefer: 'cpu' });
    omniglot = await loadOmniglot({ dataDir });
  });

  test('964 characters × 20 drawings from 30 alphabets, 28×28, inverted', () => {
    expect(omniglot.classNames).toHaveLength(964);
    expect(omniglot.size).toBe(964 * 20);
    expect(omniglot.alphabets).toHaveLength(30);
    expect(new Set(omniglot.classInfo.map((info) => info.alphabet)).size).toBe(30);
    expect(omniglot.shape).toEqual({ height: 28, width: 28, channels: 1 });
    const counts = new Int32Array(964);
    for (const label of omniglot.labels) counts[label]!++;
    expect(counts.every((count) => count === 20)).toBe(true);
    // Strokes are bright on a dark background: most pixels are dark.
    let dark = 0;
    const { images } = omniglot;
    for (let i = 0; i < images.length; i++) if (images[i]! < 64) dark++;
    expect(dark / omniglot.images.length).toBeGreaterThan(0.7);
  });

  test('a 5-way 1-shot 15-query episode from alphabet-disjoint meta-train has the right shapes', async () => {
    const { train, val } = splitByClass(omniglot, {
      ratios: { train: 25, val: 5 },
      groupOf: (c, d) => d.classInfo![c]!.alphabet,
      seed: 0,
    });
    const trainAlphabets = new Set(train.classInfo!.map((info) => info.alphabet));
    const valAlphabets = new Set(val.classInfo!.map((info) => info.alphabet));
    expect(trainAlphabets.size).toBe(25);
    expect(valAlphabets.size).toBe(5);
    expect([...trainAlphabets].filter((a) => valAlphabets.has(a))).toEqual([]);
    expect(train.classNames.length + val.classNames.length).toBe(964);

    const sampler = createEpisodeSampler(train, { ways: 5, shots: 1, queries: 15, seed: 0 });
    const start = tf.memory().numTensors;
    await sampler.withEpisode(async (episode) => {
      expect(episode.support.x.shape).toEqual([5, 28, 28, 1]);
      expect(episode.support.y.shape).toEqual([5]);
      expect(episode.query.x.shape).toEqual([75, 28, 28, 1]);
      expect(episode.query.y.shape).toEqual([75]);
      expect(Array.from(await episode.support.y.data())).toEqual([0, 1, 2, 3, 4]);
      expect(new Set(episode.classes).size).toBe(5);
      for (const name of episode.classNames) expect(valAlphabets.has(name.split('/')[0]!)).toBe(false);
    });
    expect(tf.memory().numTensors).toBe(start);
  });
});
