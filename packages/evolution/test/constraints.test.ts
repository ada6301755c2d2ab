import { type Architecture, categorical, defineSearchSpace, intRange } from '@automl-ts/core';
import {
  type Constraint,
  checkConstraints,
  InfeasibleConstraintError,
  maximize,
  ofaEvolution,
  randomSearch,
  regularizedEvolution,
  resolveConstraint,
  runSearch,
} from '@automl-ts/evolution';
import { describe, expect, test } from 'vitest';

// A small "network": per-stage widths and a kernel; FLOPs grow with both.
const space = defineSearchSpace([
  categorical('w1', [16, 32, 64]),
  categorical('w2', [16, 32, 64]),
  categorical('w3', [16, 32, 64]),
  categorical('kernel', [3, 5, 7]),
]);
const flops = (arch: Architecture): number =>
  ((arch['w1'] as number) + (arch['w2'] as number) + (arch['w3'] as number)) *
  (arch['kernel'] as number) ** 2;
const accuracy = (arch: Architecture) => ({
  accuracy: Math.log(flops(arch)),
  params: (arch['w3'] as number) * 10,
});
const base = { space, evaluator: accuracy, objectives: [maximize('accuracy')], seed: 4 } as const;

describe('hard constraints', () => {
  test('candidates over the budget are never evaluated (resample)', async () => {
    let evaluated = 0;
    const result = await runSearch({
      ...base,
      evaluator: (arch) => {
        evaluated++;
        expect(flops(arch)).toBeLessThanOrEqual(2000);
        return accuracy(arch);
      },
      strategy: ofaEvolution({ populationSize: 10 }),
      constraints: [{ name: 'flops', measure: flops, max: 2000 }],
      budget: { generations: 5 },
    });
    expect(evaluated).toBeGreaterThan(10);
    expect(result.history.every((r) => flops(r.architecture) <= 2000)).toBe(true);
    // Accuracy grows with FLOPs, so the best is at the budget: (16 + 32 + 32) · 5² = 2000.
    expect(flops(result.best!.architecture)).toBe(2000);
  });

  test('a rare feasible region: resampling gives up with advice, repair reaches it', async () => {
    const tight: Constraint = { name: 'flops', measure: flops, max: 48 * 9 };
    const options = { ...base, strategy: randomSearch(), constraints: [tight], budget: { evaluations: 20 } };
    await expect(runSearch({ ...options, constraintHandling: { maxTries: 3 } })).rejects.toThrow(
      /@automl-ts\/evolution\/runSearch: no candidate met the hard constraints in 3 tries, although feasible architectures exist .*use handling: "repair"/,
    );
    const repaired = await runSearch({ ...options, constraintHandling: { handling: 'repair', maxTries: 3 } });
    expect(repaired.history).toHaveLength(20);
    expect(repaired.history.every((r) => flops(r.architecture) <= 48 * 9)).toBe(true);
  });

  test('an infeasible budget is reported with the smallest achievable value (exact on small spaces)', async () => {
    const run = runSearch({
      ...base,
      strategy: regularizedEvolution({ populationSize: 5, sampleSize: 2 }),
      constraints: [{ name: 'flops', measure: flops, max: 100 }],
      budget: { evaluations: 10 },
    });
    await expect(run).rejects.toThrow(
      '@automl-ts/evolution/checkConstraints: hard constraint "flops <= 100" cannot be met: the smallest achievable flops is 432 ' +
        'at {"w1":16,"w2":16,"w3":16,"kernel":3} (exact: all 81 architectures examined)',
    );
    await expect(run).rejects.toBeInstanceOf(InfeasibleConstraintError);
    await run.catch((error: InfeasibleConstraintError) => {
      expect(error.smallestAchievable).toBe(432);
      expect(error.exhaustive).toBe(true);
      expect(error.constraint).toBe('flops <= 100');
    });
  });

  test('on spaces too large to enumerate, coordinate descent finds the smallest value of a monotone measure', () => {
    const huge = defineSearchSpace(
      Array.from({ length: 20 }, (_, i) => intRange(`w${i}`, { min: 8, max: 256, step: 8 })),
    );
    const total = (arch: Architecture) => huge.names.reduce((sum, name) => sum + (arch[name] as number), 0);
    expect(huge.size()).toBeGreaterThan(1e29);
    expect(() => checkConstraints(huge, [{ name: 'channels', measure: total, max: 100 }])).toThrow(
      /hard constraint "channels <= 100" cannot be met: the smallest achievable channels is 160 at .* \(best found by coordinate descent over \d+ architectures; the space is too large to enumerate\)/,
    );
    expect(() => checkConstraints(huge, [{ name: 'channels', measure: total, min: 6000 }])).toThrow(
      'the largest achievable channels is 5120',
    );
    const check = checkConstraints(huge, [
      resolveConstraint({ name: 'channels', measure: total, max: 1000 }),
    ]);
    expect(total(check.feasibleExample)).toBeLessThanOrEqual(1000);
  });

  test('constraints that hold alone but not together are reported as such', () => {
    const wide: Constraint = { name: 'w1', measure: (arch) => arch['w1'] as number, min: 64 };
    const narrow: Constraint = { name: 'w1-again', measure: (arch) => arch['w1'] as number, max: 16 };
    expect(() => checkConstraints(space, [wide, narrow])).toThrow(
      'hard constraints w1 >= 64, w1-again <= 16 cannot be met together: the smallest total relative violation is',
    );
  });
});

describe('soft constraints', () => {
  test('a penalty per unit of relative violation is added to each minimised objective', async () => {
    const result = await runSearch({
      ...base,
      strategy: randomSearch(),
      constraints: [{ name: 'flops', measure: flops, max: 1000, kind: 'soft', penalty: 2 }],
      budget: { evaluations: 40 },
    });
    for (const record of result.history) {
      const violation = Math.max(0, (flops(record.architecture) - 1000) / 1000);
      expect(record.violation).toBeCloseTo(violation, 12);
      expect(record.objectives![0]).toBeCloseTo(-record.metrics['accuracy']! + 2 * violation, 12);
    }
    expect(result.history.some((r) => r.violation > 0)).toBe(true);
  });

  test('a soft constraint can read a metric of the evaluation', async () => {
    const result = await runSearch({
      ...base,
      strategy: randomSearch(),
      constraints: [{ name: 'params', metric: 'params', max: 320, kind: 'soft', penalty: 100 }],
      budget: { evaluations: 60 },
    });
    expect(result.best!.metrics['params']).toBeLessThanOrEqual(320);
  });

  test.each([
    [{ name: 'x', max: 1 }, 'constraint "x" needs exactly one of measure'],
    [{ name: 'x', metric: 'm', max: 1 }, 'hard constraint "x" needs measure'],
    [{ name: 'x', measure: flops }, 'constraint "x" needs a max or a min'],
    [{ name: 'x', measure: flops, min: 2, max: 1 }, 'constraint "x" needs numbers min <= max'],
    [
      { name: 'x', measure: flops, max: 1, kind: 'soft', penalty: -1 },
      'constraint "x": penalty must be a finite number >= 0',
    ],
    [{ name: '', measure: flops, max: 1 }, 'a constraint needs a name'],
  ] as [Constraint, string][])('resolveConstraint rejects %j', (constraint, message) => {
    expect(() => resolveConstraint(constraint)).toThrow(`@automl-ts/evolution/resolveConstraint: ${message}`);
  });
});
