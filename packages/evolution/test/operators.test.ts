import { categorical, createRng, defineSearchSpace, intRange, realRange } from '@automl-ts/core';
import {
  crowdingDistance,
  dominates,
  fastNonDominatedSort,
  onePointCrossover,
  polynomialMutation,
  randomResetMutation,
  sbxCrossover,
  tournamentSelect,
  uniformCrossover,
} from '@automl-ts/evolution';
import { describe, expect, test } from 'vitest';

const mixed = defineSearchSpace([
  realRange('a', { min: -1, max: 2 }),
  categorical('op', ['conv', 'pool', 'skip']),
  realRange('b', { min: 0, max: 1 }),
  intRange('depth', { min: 1, max: 5 }),
]);
const genes = mixed.genes();

describe('Pareto sorting', () => {
  test('dominates', () => {
    expect(dominates([1, 2], [2, 2])).toBe(true);
    expect(dominates([1, 2], [1, 2])).toBe(false);
    expect(dominates([1, 3], [2, 2])).toBe(false);
  });

  test('fastNonDominatedSort splits fronts', () => {
    const points = [
      [1, 5],
      [2, 2],
      [5, 1],
      [3, 3],
      [4, 4],
      [2, 2],
      [6, 6],
    ];
    expect(fastNonDominatedSort(points)).toEqual([[0, 1, 2, 5], [3], [4], [6]]);
  });

  test('fastNonDominatedSort agrees with a brute-force peel on random points', () => {
    const rng = createRng(4);
    for (let trial = 0; trial < 30; trial++) {
      const points = Array.from({ length: 40 }, () => [rng.int(0, 9), rng.int(0, 9), rng.int(0, 9)]);
      const fronts = fastNonDominatedSort(points);
      let remaining = points.map((_, i) => i);
      for (const front of fronts) {
        const expected = remaining.filter((i) => !remaining.some((j) => dominates(points[j]!, points[i]!)));
        expect(front).toEqual(expected);
        remaining = remaining.filter((i) => !front.includes(i));
      }
      expect(remaining).toEqual([]);
    }
  });

  test('crowdingDistance: extremes are infinite, inner points sum normalised gaps', () => {
    const points = [
      [0, 4],
      [1, 2],
      [3, 1],
      [4, 0],
    ];
    const distance = crowdingDistance(points, [0, 1, 2, 3]);
    expect(distance[0]).toBe(Number.POSITIVE_INFINITY);
    expect(distance[3]).toBe(Number.POSITIVE_INFINITY);
    expect(distance[1]).toBeCloseTo(3 / 4 + 3 / 4);
    expect(distance[2]).toBeCloseTo(3 / 4 + 2 / 4);
  });
});

describe('variation operators', () => {
  test('sbxCrossover keeps real genes in bounds, leaves discrete genes alone, is seeded', () => {
    const rng = createRng(1);
    for (let i = 0; i < 500; i++) {
      const a = mixed.encode(mixed.sample(rng));
      const b = mixed.encode(mixed.sample(rng));
      const [c, d] = sbxCrossover(a, b, genes, rng, { eta: 2, geneProbability: 1 });
      for (const child of [c, d]) {
        expect(child[0]).toBeGreaterThanOrEqual(-1);
        expect(child[0]).toBeLessThanOrEqual(2);
        expect(child[2]).toBeGreaterThanOrEqual(0);
        expect(child[2]).toBeLessThanOrEqual(1);
        expect(mixed.contains(mixed.decode(child))).toBe(true);
      }
      expect([c[1], c[3]]).toEqual([a[1], a[3]]);
    }
    const x = [0.1, 0, 0.2, 0];
    const y = [1.5, 2, 0.9, 4];
    expect(sbxCrossover(x, y, genes, createRng(9))).toEqual(sbxCrossover(x, y, genes, createRng(9)));
  });

  test('sbxCrossover with a large eta keeps children near the parents', () => {
    const rng = createRng(2);
    let spread = 0;
    for (let i = 0; i < 200; i++) {
      const [c] = sbxCrossover([0.3, 0, 0.4, 0], [0.5, 0, 0.6, 0], genes, rng, {
        eta: 200,
        geneProbability: 1,
      });
      spread = Math.max(spread, Math.abs(c[2]! - 0.4), Math.abs(c[2]! - 0.6));
    }
    expect(spread).toBeLessThan(0.25);
  });

  test('polynomialMutation stays in bounds and mutates about probability × genes', () => {
    const rng = createRng(3);
    let changed = 0;
    for (let i = 0; i < 1000; i++) {
      const v = mixed.encode(mixed.sample(rng));
      const m = polynomialMutation(v, genes, rng, { probability: 0.5, eta: 20 });
      expect(m[0]).toBeGreaterThanOrEqual(-1);
      expect(m[0]).toBeLessThanOrEqual(2);
      expect([m[1], m[3]]).toEqual([v[1], v[3]]);
      if (m[2] !== v[2]) changed++;
    }
    expect(changed).toBeGreaterThan(400);
    expect(changed).toBeLessThan(600);
  });

  test('randomResetMutation changes discrete genes to a different valid index', () => {
    const rng = createRng(5);
    for (let i = 0; i < 300; i++) {
      const v = mixed.encode(mixed.sample(rng));
      const m = randomResetMutation(v, genes, rng, { probability: 1 });
      expect(m[1]).not.toBe(v[1]);
      expect(m[3]).not.toBe(v[3]);
      expect([m[0], m[2]]).toEqual([v[0], v[2]]);
      expect(mixed.contains(mixed.decode(m))).toBe(true);
    }
  });

  test('uniform and one-point crossover exchange genes between two children', () => {
    const rng = createRng(6);
    const a = [0, 0, 0, 0, 0, 0];
    const b = [1, 1, 1, 1, 1, 1];
    for (let i = 0; i < 50; i++) {
      const [c, d] = uniformCrossover(a, b, rng);
      expect(c.map((gene, k) => gene + d[k]!)).toEqual([1, 1, 1, 1, 1, 1]);
      const [e, f] = onePointCrossover(a, b, rng);
      const cut = e.indexOf(1);
      expect(cut).toBeGreaterThanOrEqual(1);
      expect(e).toEqual([...a.slice(0, cut), ...b.slice(cut)]);
      expect(f).toEqual([...b.slice(0, cut), ...a.slice(cut)]);
    }
    const [c] = uniformCrossover(a, b, rng, { positions: [0, 1] });
    expect(c.slice(2)).toEqual([0, 0, 0, 0]);
    expect(onePointCrossover([1], [2], rng)).toEqual([[1], [2]]);
  });

  test('tournamentSelect returns the best of distinct contestants', () => {
    const rng = createRng(7);
    const items = [5, 3, 9, 1, 7];
    expect(tournamentSelect(items, items.length, (x, y) => x - y, rng)).toBe(1);
    const wins = new Map<number, number>();
    for (let i = 0; i < 2000; i++) {
      const winner = tournamentSelect(items, 2, (x, y) => x - y, rng);
      wins.set(winner, (wins.get(winner) ?? 0) + 1);
    }
    // The worst can never win a binary tournament of distinct contestants; the best wins 2/5 of them.
    expect(wins.get(9)).toBeUndefined();
    expect((wins.get(1) ?? 0) / 2000).toBeCloseTo(0.4, 1);
    expect(() => tournamentSelect([], 2, (x: number, y: number) => x - y, rng)).toThrow(
      '@automl-ts/evolution/tournamentSelect: cannot select from an empty population',
    );
  });
});
