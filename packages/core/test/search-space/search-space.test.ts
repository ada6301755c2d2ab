import {
  type Architecture,
  type Choice,
  categorical,
  createRng,
  defineSearchSpace,
  intRange,
  type Rng,
  realRange,
  SearchSpace,
} from '@automl-ts/core';
import { describe, expect, test } from 'vitest';

const space: SearchSpace = defineSearchSpace([
  intRange('depth', { min: 2, max: 4 }),
  categorical('kernel', [3, 5, 7]),
  categorical('width', [16, 32, 64]),
  categorical('act', ['relu', 'swish']),
  categorical('se', [true, false]),
]);

/** A random space of 1–6 choices of every kind, for property tests. */
function randomSpace(rng: Rng, withReal: boolean): SearchSpace {
  const count = rng.int(1, 6);
  const choices: Choice[] = [];
  for (let i = 0; i < count; i++) {
    const kind = rng.int(0, withReal ? 2 : 1);
    const name = `c${i}`;
    if (kind === 0) {
      const pool: (string | number | boolean)[] = ['a', 'b', 'c', 1, 2, 3.5, -4, true, false, '1'];
      choices.push(categorical(name, rng.sample(pool, rng.int(1, pool.length))));
    } else if (kind === 1) {
      const min = rng.int(-10, 10);
      const step = rng.int(1, 4);
      choices.push(intRange(name, { min, max: min + step * rng.int(0, 6), step }));
    } else {
      const min = rng.uniform(-5, 5);
      choices.push(realRange(name, { min, max: min + rng.uniform(0.1, 10) }));
    }
  }
  return defineSearchSpace(choices);
}

describe('SearchSpace', () => {
  test('size counts discrete architectures; a real choice makes it infinite', () => {
    expect(space.size()).toBe(3 * 3 * 3 * 2 * 2);
    expect(space.exactSize()).toBe(108n);
    const mixed = defineSearchSpace([categorical('k', [1, 2]), realRange('r', { min: 0, max: 1 })]);
    expect(mixed.size()).toBe(Number.POSITIVE_INFINITY);
    expect(mixed.exactSize()).toBeNull();
    expect(defineSearchSpace([]).size()).toBe(1);
    const huge = defineSearchSpace(
      Array.from({ length: 30 }, (_, i) => categorical(`g${i}`, [0, 1, 2, 3, 4, 5, 6])),
    );
    expect(huge.exactSize()).toBe(7n ** 30n);
  });

  test('encode gives indices for discrete choices and values for real ones', () => {
    expect(space.encode({ depth: 3, kernel: 7, width: 16, act: 'swish', se: false })).toEqual([
      1, 2, 0, 1, 1,
    ]);
    const mixed = defineSearchSpace([
      intRange('w', { min: 16, max: 64, step: 16 }),
      realRange('r', { min: -1, max: 1 }),
    ]);
    expect(mixed.encode({ w: 48, r: 0.25 })).toEqual([2, 0.25]);
    expect(mixed.genes()).toEqual([
      { name: 'w', kind: 'int', lower: 0, upper: 3, cardinality: 4 },
      { name: 'r', kind: 'real', lower: -1, upper: 1, cardinality: Number.POSITIVE_INFINITY },
    ]);
  });

  test('decode rounds and clamps discrete genes and clamps real genes', () => {
    const mixed = defineSearchSpace([
      intRange('w', { min: 16, max: 64, step: 16 }),
      categorical('k', ['a', 'b']),
      realRange('r', { min: 0, max: 1 }),
    ]);
    expect(mixed.decode([1.4, -3, 2])).toEqual({ w: 32, k: 'a', r: 1 });
    expect(mixed.decode([9, 0.6, -0.5])).toEqual({ w: 64, k: 'b', r: 0 });
    expect(() => mixed.decode([0, Number.NaN, 0])).toThrow(
      '@automl-ts/core/SearchSpace.decode: gene 1 ("k") is NaN',
    );
    expect(() => mixed.decode([0, 0])).toThrow(
      '@automl-ts/core/SearchSpace.decode: expected 3 genes (w, k, r)',
    );
  });

  test.each([
    [
      { depth: 3, kernel: 5, width: 48, act: 'relu', se: true },
      'choice "width" has value 48; allowed: 16, 32, 64',
    ],
    [{ depth: 3, kernel: 5, act: 'relu', se: true }, 'choice "width" is missing; allowed: 16, 32, 64'],
    [
      { depth: 3, kernel: 5, width: 16, act: 'relu', se: true, extra: 1 },
      'unknown choice "extra"; the space has: depth, kernel, width, act, se',
    ],
    [
      { depth: 5, kernel: 5, width: 16, act: 'relu', se: true },
      'choice "depth" has value 5; allowed: 2, 3, 4',
    ],
    [
      { depth: 3, kernel: '5', width: 16, act: 'relu', se: true },
      'choice "kernel" has value "5"; allowed: 3, 5, 7',
    ],
    [
      { depth: 3, kernel: 5, width: 16, act: 'gelu', se: true },
      'choice "act" has value "gelu"; allowed: "relu", "swish"',
    ],
    [[1, 2], 'expected an architecture object, got [1,2]'],
    [null, 'expected an architecture object, got null'],
  ])('validate rejects %j', (arch, message) => {
    expect(() => space.validate(arch)).toThrow(`@automl-ts/core/SearchSpace.validate: ${message}`);
    expect(space.contains(arch)).toBe(false);
  });

  test('validate describes long integer ranges and real ranges in words', () => {
    const wide = defineSearchSpace([
      intRange('channels', { min: 8, max: 512, step: 8 }),
      realRange('ratio', { min: 0.25, max: 1 }),
    ]);
    expect(() => wide.validate({ channels: 12, ratio: 0.5 })).toThrow(
      'choice "channels" has value 12; allowed: integers 8 to 512 in steps of 8',
    );
    expect(() => wide.validate({ channels: 16, ratio: 1.5 })).toThrow(
      'choice "ratio" has value 1.5; allowed: real numbers in [0.25, 1]',
    );
    expect(wide.contains({ channels: 16, ratio: 1 })).toBe(true);
  });

  test.each([
    [() => categorical('k', []), '@automl-ts/core/categorical: choice "k" needs at least one value'],
    [() => categorical('k', [1, 1]), '@automl-ts/core/categorical: choice "k" lists 1 twice'],
    [() => categorical('k', [Number.NaN]), '@automl-ts/core/categorical: choice "k" has value NaN'],
    [() => categorical('', [1]), '@automl-ts/core/categorical: a choice name must be a non-empty string'],
    [
      () => intRange('d', { min: 4, max: 2 }),
      '@automl-ts/core/intRange: choice "d" needs integers min <= max',
    ],
    [
      () => intRange('d', { min: 1.5, max: 2 }),
      '@automl-ts/core/intRange: choice "d" needs integers min <= max',
    ],
    [
      () => intRange('d', { min: 1, max: 2, step: 0 }),
      '@automl-ts/core/intRange: choice "d" needs a positive integer step',
    ],
    [() => intRange('d', { min: 16, max: 60, step: 16 }), 'cannot reach max 60 from min 16 in steps of 16'],
    [
      () => realRange('r', { min: 1, max: 1 }),
      '@automl-ts/core/realRange: choice "r" needs finite min < max',
    ],
    [() => defineSearchSpace([categorical('a', [1]), categorical('a', [2])]), 'choice "a" is defined twice'],
  ])('bad definitions throw (%#)', (define, message) => {
    expect(define).toThrow(message);
  });

  test('property: over random spaces, decode(encode(a)) equals a and samples are valid', () => {
    const rng = createRng('search-space-properties');
    for (let trial = 0; trial < 200; trial++) {
      const randomSpaceUnderTest: SearchSpace = randomSpace(rng, trial % 2 === 0);
      for (let i = 0; i < 20; i++) {
        const arch = randomSpaceUnderTest.sample(rng);
        randomSpaceUnderTest.validate(arch);
        expect(randomSpaceUnderTest.decode(randomSpaceUnderTest.encode(arch))).toEqual(arch);
        expect(Object.keys(arch)).toEqual(randomSpaceUnderTest.names);
        const vector = randomSpaceUnderTest
          .genes()
          .map((gene) => rng.uniform(gene.lower - 2, Math.min(gene.upper, 1e6) + 2));
        expect(randomSpaceUnderTest.contains(randomSpaceUnderTest.decode(vector))).toBe(true);
      }
    }
  });

  test('property: every value of every discrete choice is sampled, uniformly', () => {
    const rng = createRng(3);
    const counts = new Map<string, number>();
    for (let i = 0; i < 6000; i++) {
      const key = String(space.sample(rng)['kernel']);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(['3', '5', '7']);
    for (const count of counts.values()) expect(Math.abs(count - 2000)).toBeLessThan(200);
  });

  test('enumerate lists every architecture exactly once', () => {
    const all = [...space.enumerate()];
    expect(all).toHaveLength(space.size());
    expect(new Set(all.map((arch) => space.key(arch))).size).toBe(space.size());
    expect(all[0]).toEqual({ depth: 2, kernel: 3, width: 16, act: 'relu', se: true });
    expect([...defineSearchSpace([]).enumerate()]).toEqual([{}]);
    const mixed = defineSearchSpace([realRange('r', { min: 0, max: 1 })]);
    expect(() => [...mixed.enumerate()]).toThrow('@automl-ts/core/SearchSpace.enumerate');
  });

  test('mutate changes exactly one gene by default, and is seeded', () => {
    const rng = createRng(11);
    for (let i = 0; i < 200; i++) {
      const parent = space.sample(rng);
      const child = space.mutate(parent, rng);
      space.validate(child);
      const changed = space.names.filter((name) => child[name] !== parent[name]);
      expect(changed).toHaveLength(1);
    }
    const parent: Architecture = { depth: 2, kernel: 3, width: 16, act: 'relu', se: true };
    expect(space.mutate(parent, createRng(5), { probability: 0.5 })).toEqual(
      space.mutate(parent, createRng(5), { probability: 0.5 }),
    );
    const fixed = defineSearchSpace([categorical('only', ['x'])]);
    expect(fixed.mutate({ only: 'x' }, rng)).toEqual({ only: 'x' });
    expect(() => space.mutate(parent, rng, { probability: 2 })).toThrow('@automl-ts/core/SearchSpace.mutate');
  });

  test('neighbours: other categorical values and adjacent integer steps', () => {
    const small = defineSearchSpace([
      intRange('depth', { min: 2, max: 4 }),
      categorical('kernel', [3, 5, 7]),
      realRange('r', { min: 0, max: 1 }),
    ]);
    expect(small.neighbours({ depth: 2, kernel: 5, r: 0.5 })).toEqual([
      { depth: 3, kernel: 5, r: 0.5 },
      { depth: 2, kernel: 3, r: 0.5 },
      { depth: 2, kernel: 7, r: 0.5 },
    ]);
    expect(small.neighbours({ depth: 3, kernel: 3, r: 0 })).toHaveLength(4);
  });

  test('key distinguishes values by type and ignores key order', () => {
    const typed = defineSearchSpace([categorical('v', [1, '1']), categorical('w', [true, false])]);
    expect(typed.key({ v: 1, w: true })).not.toBe(typed.key({ v: '1', w: true }));
    expect(typed.key({ w: true, v: 1 })).toBe(typed.key({ v: 1, w: true }));
  });

  test('toJSON / fromJSON round-trip through JSON text', () => {
    const mixed = defineSearchSpace([
      intRange('w', { min: 16, max: 64, step: 16 }),
      categorical('k', ['a', 1, false]),
      realRange('r', { min: 0, max: 1 }),
    ]);
    const revived = SearchSpace.fromJSON(JSON.parse(JSON.stringify(mixed)));
    expect(revived.choices).toEqual(mixed.choices);
    expect(revived.getConfig()).toEqual(mixed.getConfig());
    expect(SearchSpace.className).toBe('SearchSpace');
    expect(() => SearchSpace.fromJSON({ className: 'Nope' })).toThrow('@automl-ts/core/SearchSpace.fromJSON');
    expect(() => SearchSpace.fromJSON({ className: 'SearchSpace', choices: [{ kind: 'set' }] })).toThrow(
      'not a choice (kind must be categorical, int or real)',
    );
  });

  test('choice() finds a choice or lists the known ones', () => {
    expect(space.choice('kernel')).toEqual({ kind: 'categorical', name: 'kernel', values: [3, 5, 7] });
    expect(() => space.choice('nope')).toThrow(
      'unknown choice "nope"; the space has: depth, kernel, width, act, se',
    );
  });
});
