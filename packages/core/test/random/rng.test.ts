import { createRng, restoreRng, toRng } from '@automl-ts/core';
import { describe, expect, test } from 'vitest';

const draw = (rng: ReturnType<typeof createRng>, n: number) => Array.from({ length: n }, () => rng.next());

describe('createRng', () => {
  test('same seed, same sequence; different seeds differ', () => {
    expect(draw(createRng(7), 50)).toEqual(draw(createRng(7), 50));
    expect(draw(createRng('7'), 50)).toEqual(draw(createRng(7), 50));
    expect(draw(createRng(8), 50)).not.toEqual(draw(createRng(7), 50));
  });

  test('uniform draws are in [0, 1) and roughly uniform', () => {
    const xs = draw(createRng(1), 20_000);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
  });

  test('int covers its inclusive range evenly', () => {
    const rng = createRng(3);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 8000; i++) counts[rng.int(2, 5) - 2]! += 1;
    for (const c of counts) expect(Math.abs(c - 2000)).toBeLessThan(200);
  });

  test('normal has mean 0 and std 1', () => {
    const rng = createRng(4);
    const xs = Array.from({ length: 20_000 }, () => rng.normal());
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.04);
  });

  test('shuffle is a permutation; sample draws distinct items', () => {
    const rng = createRng(5);
    const items = Array.from({ length: 30 }, (_, i) => i);
    const shuffled = rng.shuffle(items);
    expect([...shuffled].sort((a, b) => a - b)).toEqual(items);
    expect(shuffled).not.toEqual(items);
    const picked = rng.sample(items, 10);
    expect(new Set(picked).size).toBe(10);
    expect(() => rng.sample(items, 31)).toThrow(
      '@automl-ts/core/Rng.sample: k must be an integer in [0, 30], got 31',
    );
  });

  test('state() and restoreRng continue the exact sequence, through JSON', () => {
    const rng = createRng(11);
    draw(rng, 13);
    rng.normal(); // leaves a cached second normal in the state
    const saved = JSON.parse(JSON.stringify(rng.state()));
    const expected = [rng.normal(), ...draw(rng, 20)];
    const resumed = restoreRng(saved);
    expect([resumed.normal(), ...draw(resumed, 20)]).toEqual(expected);
  });

  test('fork gives independent, reproducible streams', () => {
    const a = createRng(9).fork('weights');
    const b = createRng(9).fork('weights');
    const c = createRng(9).fork('data');
    expect(draw(a, 10)).toEqual(draw(b, 10));
    expect(draw(createRng(9).fork('weights'), 10)).not.toEqual(draw(c, 10));
  });

  test('seed() gives 31-bit integers for TF.js random ops', () => {
    const rng = createRng(2);
    for (let i = 0; i < 100; i++) {
      const s = rng.seed();
      expect(Number.isInteger(s) && s >= 0 && s < 2 ** 31).toBe(true);
    }
  });

  test('toRng passes a generator through and seeds from a number', () => {
    const rng = createRng(1);
    expect(toRng(rng)).toBe(rng);
    expect(draw(toRng(1), 5)).toEqual(draw(createRng(1), 5));
  });

  test.each([[Number.NaN], [Number.POSITIVE_INFINITY], [{}]])('bad seed %s is rejected', (seed) => {
    // @ts-expect-error: a JS caller can pass anything
    expect(() => createRng(seed)).toThrow(
      /^@automl-ts\/core\/createRng: seed must be a finite number or a string/,
    );
  });

  test('restoreRng rejects what is not a state', () => {
    // @ts-expect-error: a JS caller can pass anything
    expect(() => restoreRng({ algorithm: 'arc4' })).toThrow(/^@automl-ts\/core\/restoreRng: not an RngState/);
  });
});
