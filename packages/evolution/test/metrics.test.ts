import { createRng } from '@automl-ts/core';
import { hypervolume, invertedGenerationalDistance, paretoFrontIndices } from '@automl-ts/evolution';
import { describe, expect, test } from 'vitest';

/** Exact hypervolume of integer points on a unit grid, by counting cells: an independent oracle. */
function gridHypervolume(points: number[][], reference: number[]): number {
  const dims = reference.length;
  let count = 0;
  const cell = new Array<number>(dims).fill(0);
  const visit = (d: number): void => {
    if (d === dims) {
      // Cell [c, c+1)^d is dominated when some point is <= its lower corner.
      if (points.some((p) => p.every((v, m) => v <= cell[m]!))) count++;
      return;
    }
    for (let c = 0; c < reference[d]!; c++) {
      cell[d] = c;
      visit(d + 1);
    }
  };
  visit(0);
  return count;
}

describe('hypervolume', () => {
  test('2-D by hand', () => {
    expect(
      hypervolume(
        [
          [0.2, 0.8],
          [0.5, 0.4],
        ],
        [1, 1],
      ),
    ).toBeCloseTo(0.8 * 0.2 + 0.5 * 0.4, 12);
    expect(hypervolume([[0, 0]], [1, 1])).toBe(1);
    expect(hypervolume([[1, 0]], [1, 1])).toBe(0);
    expect(hypervolume([], [1, 1])).toBe(0);
    expect(hypervolume([[0.5]], [1])).toBe(0.5);
  });

  test.each([2, 3, 4])('exact in %i-D against cell counting on random integer fronts', (dims) => {
    const rng = createRng(`hv${dims}`);
    for (let trial = 0; trial < 15; trial++) {
      const reference = new Array<number>(dims).fill(dims === 4 ? 6 : 8);
      const points = Array.from({ length: rng.int(1, 12) }, () => reference.map((r) => rng.int(0, r)));
      expect(hypervolume(points, reference)).toBeCloseTo(gridHypervolume(points, reference), 9);
    }
  });

  test('3-D front of 200 random points agrees with Monte Carlo', () => {
    const rng = createRng(3);
    const points = Array.from({ length: 200 }, () => {
      const v = [rng.next(), rng.next(), rng.next()];
      const norm = Math.hypot(...v);
      return v.map((x) => 1 - x / norm);
    });
    const exact = hypervolume(points, [1, 1, 1]);
    let inside = 0;
    const samples = 200_000;
    for (let i = 0; i < samples; i++) {
      const s = [rng.next(), rng.next(), rng.next()];
      if (points.some((p) => p.every((v, m) => v <= s[m]!))) inside++;
    }
    expect(Math.abs(exact - inside / samples)).toBeLessThan(0.005);
  });

  test('bad input', () => {
    expect(() => hypervolume([[0, 0]], [])).toThrow('@automl-ts/evolution/hypervolume: reference must be');
    expect(() => hypervolume([[0, 0, 0]], [1, 1])).toThrow('every point needs 2 objectives');
    expect(() => hypervolume([[Number.NaN, 0]], [1, 1])).toThrow('has a NaN objective');
  });
});

describe('paretoFrontIndices and IGD', () => {
  test('keeps non-dominated points once, in input order', () => {
    expect(
      paretoFrontIndices([
        [2, 2],
        [1, 3],
        [3, 1],
        [2, 2],
        [3, 3],
        [1, 3],
      ]),
    ).toEqual([0, 1, 2]);
  });

  test('IGD is 0 on the reference front and grows with distance', () => {
    const front = [
      [0, 1],
      [0.5, 0.5],
      [1, 0],
    ];
    expect(invertedGenerationalDistance(front, front)).toBe(0);
    expect(
      invertedGenerationalDistance(
        [
          [0.1, 1.1],
          [0.6, 0.6],
          [1.1, 0.1],
        ],
        front,
      ),
    ).toBeCloseTo(Math.SQRT2 * 0.1, 12);
    expect(() => invertedGenerationalDistance([], front)).toThrow(
      '@automl-ts/evolution/invertedGenerationalDistance',
    );
  });
});
