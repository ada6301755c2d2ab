import { createImageDataset, splitByClass, splitDataset, subsetDataset } from '@automl-ts/datasets';
import { describe, expect, test } from 'vitest';
import { synthetic } from './helpers/synthetic.js';

const labelsOf = (d: { labels: Int32Array; classNames: readonly string[] }) =>
  Array.from(d.labels, (l) => d.classNames[l]!);

describe('splitDataset', () => {
  const dataset = synthetic([40, 20, 20, 20]);

  test('parts add up, are disjoint and keep class proportions (stratified)', () => {
    const {
      train,
      val,
      test: held,
    } = splitDataset(dataset, { ratios: { train: 0.8, val: 0.1, test: 0.1 }, seed: 3 });
    expect([train.size, val.size, held.size]).toEqual([80, 10, 10]);
    const seen = [train, val, held].flatMap((part) => Array.from(part.images.filter((_, i) => i % 16 === 0)));
    expect(new Set(seen).size).toBe(100);
    const count = (part: typeof train, c: number) => part.labels.filter((l) => l === c).length;
    expect([0, 1, 2, 3].map((c) => count(train, c))).toEqual([32, 16, 16, 16]);
    expect([0, 1, 2, 3].map((c) => count(val, c))).toEqual([4, 2, 2, 2]);
    expect(train.name).toBe('synthetic-train');
    expect(train.classNames).toEqual(dataset.classNames);
  });

  test('is deterministic for a seed and changes with it', () => {
    const a = splitDataset(dataset, { ratios: { train: 3, val: 1 }, seed: 'x' });
    const b = splitDataset(dataset, { ratios: { train: 3, val: 1 }, seed: 'x' });
    const c = splitDataset(dataset, { ratios: { train: 3, val: 1 }, seed: 'y' });
    expect(Array.from(a.val.images)).toEqual(Array.from(b.val.images));
    expect(Array.from(a.val.images)).not.toEqual(Array.from(c.val.images));
  });

  test('can split without stratification', () => {
    const { a, b } = splitDataset(dataset, { ratios: { a: 0.5, b: 0.5 }, stratify: false, seed: 1 });
    expect(a.size + b.size).toBe(100);
    expect(a.size).toBe(50);
  });

  test.each<[Record<string, number>, string]>([
    [{}, 'ratios must name at least one part'],
    [{ train: -1 }, 'ratios.train must be a finite number >= 0, got -1'],
    [{ train: Number.NaN }, 'ratios.train must be a finite number >= 0, got NaN'],
    [{ train: 0, val: 0 }, 'ratios must not all be 0'],
  ])('rejects ratios %j', (ratios, message) => {
    expect(() => splitDataset(dataset, { ratios })).toThrowError(
      `@automl-ts/datasets/splitDataset: ${message}`,
    );
  });
});

describe('splitByClass', () => {
  test('gives class-disjoint parts with renumbered labels and kept names', () => {
    const dataset = synthetic(Array(10).fill(3));
    const { train, val } = splitByClass(dataset, { ratios: { train: 0.7, val: 0.3 }, seed: 5 });
    expect(train.classNames).toHaveLength(7);
    expect(val.classNames).toHaveLength(3);
    expect(train.classNames.filter((name) => val.classNames.includes(name))).toEqual([]);
    expect(train.size).toBe(21);
    expect(Math.max(...train.labels)).toBe(6);
    // Labels still point at the right names: image values encode the original index, i // 3 is the class.
    train.labels.forEach((label, i) => {
      expect(train.classNames[label]).toBe(`class${Math.floor(train.images[i * 16]! / 3)}`);
    });
  });

  test('keeps groups together (e.g. Omniglot alphabets) and carries classInfo', () => {
    const base = synthetic(Array(12).fill(2));
    const classInfo = base.classNames.map((_, c) => ({ alphabet: `alphabet${c % 4}` }));
    const dataset = createImageDataset({ ...base, classInfo });
    const parts = splitByClass(dataset, {
      ratios: { train: 2, val: 1, test: 1 },
      groupOf: (c, d) => d.classInfo![c]!.alphabet,
      seed: 0,
    });
    const alphabets = (part: typeof parts.train) => new Set(part.classInfo!.map((info) => info.alphabet));
    expect(alphabets(parts.train).size).toBe(2);
    expect(alphabets(parts.val).size).toBe(1);
    expect(alphabets(parts.test).size).toBe(1);
    const all = [...alphabets(parts.train), ...alphabets(parts.val), ...alphabets(parts.test)];
    expect(new Set(all).size).toBe(4);
    expect(parts.train.classNames).toHaveLength(6);
    expect(labelsOf(parts.val).every((name) => parts.val.classNames.includes(name))).toBe(true);
  });

  test('is deterministic for a seed', () => {
    const dataset = synthetic(Array(20).fill(1));
    const a = splitByClass(dataset, { ratios: { train: 0.5, val: 0.5 }, seed: 9 });
    const b = splitByClass(dataset, { ratios: { train: 0.5, val: 0.5 }, seed: 9 });
    expect(a.val.classNames).toEqual(b.val.classNames);
  });

  test('more non-empty parts than classes is an error naming the range', () => {
    expect(() => splitByClass(synthetic([1, 1]), { ratios: { a: 1, b: 1, c: 1 } })).toThrowError(
      '@automl-ts/datasets/splitByClass: cannot split 2 classes into 3 non-empty parts (a, b, c); ' +
        'the number of parts with a ratio > 0 must be in [1, 2]',
    );
  });
});

describe('subsetDataset', () => {
  test('copies the chosen images and validates indices', () => {
    const dataset = synthetic([2, 2]);
    const subset = subsetDataset(dataset, [3, 0]);
    expect(Array.from(subset.labels)).toEqual([1, 0]);
    expect(subset.images[0]).toBe(3);
    expect(() => subsetDataset(dataset, [4])).toThrowError(
      '@automl-ts/datasets/subsetDataset: indices[0] must be an integer in [0, 3], got 4',
    );
  });
});
