import { type Rng, toRng } from '@automl-ts/core';
import { type ImageDataset, indicesByClass, subsetDataset } from '../dataset.js';
import { describeValue, errorFactory, type Fail } from '../internal/errors.js';

/** Relative sizes of the parts of a split, by name: `{ train: 0.8, val: 0.1, test: 0.1 }` or `{ train: 25, val: 5 }`. */
export type SplitRatios<Part extends string> = Readonly<Record<Part, number>>;

/** Options of {@link splitDataset}. */
export interface SplitOptions<Part extends string> {
  /** Relative size of each part (normalised by their sum; a part with ratio 0 is empty). */
  ratios: SplitRatios<Part>;
  /**
   * Seed or generator of the shuffle.
   * @default 0
   */
  seed?: number | string | Rng;
  /**
   * Split each class separately so that every part keeps the class proportions.
   * @default true
   */
  stratify?: boolean;
}

/** Options of {@link splitByClass}. */
export interface ClassSplitOptions<Part extends string, ClassInfo> {
  /** Relative number of classes (or groups) in each part. */
  ratios: SplitRatios<Part>;
  /**
   * Seed or generator of the shuffle.
   * @default 0
   */
  seed?: number | string | Rng;
  /**
   * Classes with the same group key always land in the same part, e.g. Omniglot's alphabet
   * (`(c, d) => d.classInfo![c]!.alphabet`) so that meta-train and meta-val share no alphabet, or
   * the character so that its rotations stay together. Ratios then count groups.
   * @default each class is its own group
   */
  groupOf?: (classIndex: number, dataset: ImageDataset<ClassInfo>) => string;
}

function checkRatios<Part extends string>(
  fail: Fail,
  ratios: SplitRatios<Part>,
): { parts: Part[]; weights: number[] } {
  if (ratios === null || typeof ratios !== 'object') {
    throw fail(`ratios must be an object such as { train: 0.8, val: 0.2 }, got ${describeValue(ratios)}`);
  }
  const parts = Object.keys(ratios) as Part[];
  if (parts.length === 0) throw fail('ratios must name at least one part, e.g. { train: 0.8, val: 0.2 }');
  const weights = parts.map((part) => {
    const value = ratios[part];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw fail(`ratios.${part} must be a finite number >= 0, got ${describeValue(value)}`);
    }
    return value;
  });
  if (weights.reduce((a, b) => a + b, 0) <= 0) throw fail('ratios must not all be 0');
  return { parts, weights };
}

/**
 * Splits `total` items by `weights` (largest remainder), so the counts add up to `total`; with
 * `nonEmpty`, every part with a positive weight gets at least one item.
 */
function allocate(total: number, weights: readonly number[], nonEmpty: boolean): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((value, i) => ({ i, remainder: value - Math.floor(value) }));
  byRemainder.sort((a, b) => b.remainder - a.remainder || a.i - b.i);
  for (const { i } of byRemainder) {
    if (left === 0) break;
    if (weights[i]! > 0) {
      counts[i]!++;
      left--;
    }
  }
  if (nonEmpty) {
    for (let i = 0; i < counts.length; i++) {
      if (weights[i]! > 0 && counts[i] === 0) {
        const donor = counts.indexOf(Math.max(...counts));
        counts[donor]!--;
        counts[i] = 1;
      }
    }
  }
  return counts;
}

function byPart<Part extends string, T>(
  parts: readonly Part[],
  make: (part: Part, index: number) => T,
): Record<Part, T> {
  return Object.fromEntries(parts.map((part, i) => [part, make(part, i)])) as Record<Part, T>;
}

const failSplit = errorFactory('splitDataset');

/**
 * Splits a dataset into named parts (train/val/test…) by image, deterministically for a seed.
 * Stratified by default: every part keeps the class proportions. Images are copied; within a part
 * they keep their original order (shuffle when batching).
 *
 * @example
 * const { train, val, test } = splitDataset(mnist, { ratios: { train: 0.8, val: 0.1, test: 0.1 }, seed: 1 });
 */
export function splitDataset<Part extends string, ClassInfo>(
  dataset: ImageDataset<ClassInfo>,
  options: SplitOptions<Part>,
): Record<Part, ImageDataset<ClassInfo>> {
  const { parts, weights } = checkRatios(failSplit, options?.ratios);
  const rng = toRng(options.seed ?? 0);
  const chosen: number[][] = parts.map(() => []);
  const pools =
    options.stratify === false ? [Int32Array.from(dataset.labels, (_, i) => i)] : indicesByClass(dataset);
  for (const pool of pools) {
    const shuffled = rng.shuffle(Array.from(pool));
    const counts = allocate(shuffled.length, weights, false);
    let start = 0;
    counts.forEach((count, part) => {
      chosen[part]!.push(...shuffled.slice(start, start + count));
      start += count;
    });
  }
  return byPart(parts, (part, i) =>
    subsetDataset(
      dataset,
      chosen[i]!.sort((a, b) => a - b),
      { name: `${dataset.name}-${part}` },
    ),
  );
}

const failByClass = errorFactory('splitByClass');

/**
 * Splits a dataset into parts that share no class (nor group of classes): the few-shot protocol,
 * e.g. Omniglot's background alphabets into meta-train and meta-val. Each part renumbers its
 * classes 0..C'-1 in their original order and keeps their names and `classInfo`.
 *
 * @example
 * const { train, val } = splitByClass(omniglot, {
 *   ratios: { train: 25, val: 5 },                       // 25 and 5 of the 30 alphabets
 *   groupOf: (c, d) => d.classInfo![c]!.alphabet,
 *   seed: 0,
 * });
 */
export function splitByClass<Part extends string, ClassInfo>(
  dataset: ImageDataset<ClassInfo>,
  options: ClassSplitOptions<Part, ClassInfo>,
): Record<Part, ImageDataset<ClassInfo>> {
  const { parts, weights } = checkRatios(failByClass, options?.ratios);
  const rng = toRng(options.seed ?? 0);
  const groupOf = options.groupOf ?? ((classIndex: number) => String(classIndex));
  const classGroups = dataset.classNames.map((_, c) => {
    const key = groupOf(c, dataset);
    if (typeof key !== 'string') {
      throw failByClass(`groupOf must return a string, got ${describeValue(key)} for class ${c}`);
    }
    return key;
  });
  const groups = [...new Set(classGroups)].sort();
  const positive = weights.filter((w) => w > 0).length;
  const what = options.groupOf === undefined ? 'classes' : 'groups';
  if (groups.length < positive) {
    throw failByClass(
      `cannot split ${groups.length} ${what} into ${positive} non-empty parts (${parts.join(', ')}); ` +
        `the number of parts with a ratio > 0 must be in [1, ${groups.length}]`,
    );
  }
  const shuffled = rng.shuffle(groups);
  const counts = allocate(shuffled.length, weights, true);
  const partOfGroup = new Map<string, number>();
  let start = 0;
  counts.forEach((count, part) => {
    for (const group of shuffled.slice(start, start + count)) partOfGroup.set(group, part);
    start += count;
  });
  const chosen: number[][] = parts.map(() => []);
  dataset.labels.forEach((label, index) => {
    chosen[partOfGroup.get(classGroups[label]!)!]!.push(index);
  });
  return byPart(parts, (part, i) =>
    subsetDataset(dataset, chosen[i]!, { name: `${dataset.name}-${part}`, compactClasses: true }),
  );
}
