import { join } from 'node:path';
import { findOmniglotSet, loadOmniglotMetaSplit } from '@automl-ts/datasets';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { omniglotEntries, tempDir, writeBytes, zip } from './helpers/fixtures.js';

// Ten background alphabets (splitByClass treats the 20/5/5 and 25/5 ratios as weights) and two
// evaluation alphabets, in the official zip layout.
const BACKGROUND = ['A0', 'A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A7', 'A8', 'A9'];
const EVALUATION = ['E0', 'E1'];

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  const background = zip(omniglotEntries({ alphabets: BACKGROUND, characters: 2, drawings: 2 }));
  await writeBytes(join(dir, 'both', 'omniglot', 'images_background.zip'), background);
  await writeBytes(
    join(dir, 'both', 'omniglot', 'images_evaluation.zip'),
    zip(omniglotEntries({ set: 'evaluation', alphabets: EVALUATION, characters: 2, drawings: 2 })),
  );
  await writeBytes(join(dir, 'background-only', 'omniglot', 'images_background.zip'), background);
});
afterAll(() => cleanup());

const alphabets = (d: { classInfo?: readonly unknown[] }) =>
  [...new Set((d.classInfo ?? []).map((info) => (info as { alphabet: string }).alphabet))].sort();

describe('loadOmniglotMetaSplit', () => {
  test('auto uses the evaluation set as meta-test when it is there; meta-train and meta-val split the background', async () => {
    const split = await loadOmniglotMetaSplit({ dataDir: join(dir, 'both'), rotations: [0], size: 7 });
    expect(split.metaTest).toBe('evaluation');
    expect(split.split.test).toEqual(EVALUATION);
    expect(alphabets(split.test)).toEqual(EVALUATION);
    expect([...split.split.train, ...split.split.val].sort()).toEqual(BACKGROUND);
    expect(split.split.train.filter((a) => split.split.val.includes(a))).toEqual([]);
    expect(split.split.val.length).toBeGreaterThan(0);
    expect(split.description).toContain('the official evaluation set');
  });

  test('without the evaluation set (or with metaTest background) the three pools are disjoint background alphabets', async () => {
    for (const options of [
      { dataDir: join(dir, 'background-only') },
      { dataDir: join(dir, 'both'), metaTest: 'background' as const },
    ]) {
      const split = await loadOmniglotMetaSplit({ ...options, rotations: [0], size: 7 });
      expect(split.metaTest).toBe('background');
      const { train, val, test } = split.split;
      expect([...train, ...val, ...test].sort()).toEqual(BACKGROUND);
      expect(new Set([...train, ...val, ...test]).size).toBe(BACKGROUND.length);
      expect(val.length).toBeGreaterThan(0);
      expect(test.length).toBeGreaterThan(0);
      expect(alphabets(split.test)).toEqual([...test]);
    }
  });

  test('the split is fixed by splitSeed, not by anything else; rotations stay with their alphabet', async () => {
    const a = await loadOmniglotMetaSplit({ dataDir: join(dir, 'background-only'), size: 7 });
    const b = await loadOmniglotMetaSplit({ dataDir: join(dir, 'background-only'), size: 7 });
    expect(b.split).toEqual(a.split);
    expect(a.train.classNames.length).toBe(a.split.train.length * 2 * 4);
    expect(alphabets(a.val)).toEqual([...a.split.val]);
    const other = await loadOmniglotMetaSplit({
      dataDir: join(dir, 'background-only'),
      size: 7,
      splitSeed: 5,
    });
    expect([...other.split.train, ...other.split.val, ...other.split.test].sort()).toEqual(BACKGROUND);
  });

  test('metaTest evaluation without the evaluation set names the paths it looked at', async () => {
    const root = join(dir, 'background-only');
    await expect(loadOmniglotMetaSplit({ dataDir: root, metaTest: 'evaluation' })).rejects.toThrow(
      `@automl-ts/datasets/loadOmniglotMetaSplit: metaTest "evaluation" needs Omniglot's images_evaluation.zip; looked for "${join(root, 'omniglot', 'images_evaluation.zip')}"`,
    );
    await expect(loadOmniglotMetaSplit({ dataDir: root, metaTest: 'test' as 'auto' })).rejects.toThrow(
      /loadOmniglotMetaSplit: metaTest must be one of "auto", "evaluation", "background"; got "test"/,
    );
  });

  test('findOmniglotSet finds a set where loadOmniglot looks', async () => {
    expect((await findOmniglotSet(join(dir, 'both'), 'evaluation')).found).toBe(
      join(dir, 'both', 'omniglot', 'images_evaluation.zip'),
    );
    const missing = await findOmniglotSet(join(dir, 'background-only'), 'evaluation');
    expect(missing.found).toBeUndefined();
    expect(missing.lookedAt).toContain(join(dir, 'background-only', 'images_evaluation'));
  });
});
