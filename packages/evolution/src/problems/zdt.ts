// Zitzler, Deb & Thiele, "Comparison of multiobjective evolutionary algorithms: empirical results", Evolutionary Computation 2000 (ZDT1–ZDT3).
import { type Architecture, defineSearchSpace, realRange, type SearchSpace } from '@automl-ts/core';
import { describeValue, errorFactory } from '../internal/errors.js';
import { hypervolume } from '../metrics/hypervolume.js';
import { paretoFrontIndices } from '../metrics/pareto-front.js';
import { type Metrics, minimize, type Objective } from '../types.js';

/** A benchmark problem with a known Pareto front. */
export interface ZdtProblem {
  readonly name: 'zdt1' | 'zdt2' | 'zdt3';
  /** `x1 … xn`, each a real in [0, 1]. */
  readonly space: SearchSpace;
  /** Minimise `f1` and `f2`. */
  readonly objectives: readonly Objective[];
  readonly evaluate: (arch: Architecture) => Metrics;
  /** `points` evenly spread points of the true Pareto front (f1, f2). */
  trueFront(points?: number): number[][];
  /**
   * Hypervolume of the true front for the reference point (1, 1): 2/3 for ZDT1, 1/3 for ZDT2
   * (exact integrals); for ZDT3 that of a 10,000-point sample of its front.
   */
  readonly trueHypervolume: number;
}

/** The f1 intervals of ZDT3's disconnected front (Deb, Multi-Objective Optimization using EAs, 2001). */
const ZDT3_SEGMENTS: readonly (readonly [number, number])[] = [
  [0, 0.0830015349],
  [0.182228728, 0.2577623634],
  [0.4093136748, 0.4538821041],
  [0.6183967944, 0.6525117038],
  [0.8233317983, 0.8518328654],
];

const shapes = {
  zdt1: (f1: number, g: number) => g * (1 - Math.sqrt(f1 / g)),
  zdt2: (f1: number, g: number) => g * (1 - (f1 / g) ** 2),
  zdt3: (f1: number, g: number) => g * (1 - Math.sqrt(f1 / g) - (f1 / g) * Math.sin(10 * Math.PI * f1)),
} as const;

/**
 * ZDT1 (convex front), ZDT2 (concave) or ZDT3 (disconnected), two objectives over `variables`
 * real genes in [0, 1]; the front is at x2 = … = xn = 0.
 *
 * @example
 * const problem = zdt('zdt1');
 * const result = await runSearch({ ...problem, evaluator: problem.evaluate, strategy: nsga2(), budget: { generations: 250 } });
 */
export function zdt(name: 'zdt1' | 'zdt2' | 'zdt3', options: { variables?: number } = {}): ZdtProblem {
  const variables = options.variables ?? 30;
  if (!Number.isInteger(variables) || variables < 2) {
    throw errorFactory('zdt')(`variables must be an integer >= 2, got ${describeValue(variables)}`);
  }
  const shape = shapes[name];
  if (shape === undefined)
    throw errorFactory('zdt')(`unknown problem ${describeValue(name)}; known: zdt1, zdt2, zdt3`);
  const names = Array.from({ length: variables }, (_, i) => `x${i + 1}`);
  const space = defineSearchSpace(names.map((variable) => realRange(variable, { min: 0, max: 1 })));
  const evaluate = (arch: Architecture): Metrics => {
    const f1 = arch[names[0] as string] as number;
    let sum = 0;
    for (let i = 1; i < variables; i++) sum += arch[names[i] as string] as number;
    const g = 1 + (9 * sum) / (variables - 1);
    return { f1, f2: shape(f1, g) };
  };
  const trueFront = (points = 1000): number[][] => {
    if (name !== 'zdt3') {
      return Array.from({ length: points }, (_, i) => {
        const f1 = i / (points - 1);
        return [f1, shape(f1, 1)];
      });
    }
    const total = ZDT3_SEGMENTS.reduce((sum, [low, high]) => sum + (high - low), 0);
    const sampled: number[][] = [];
    for (const [low, high] of ZDT3_SEGMENTS) {
      const count = Math.max(2, Math.round((points * (high - low)) / total));
      for (let i = 0; i < count; i++) {
        const f1 = low + ((high - low) * i) / (count - 1);
        sampled.push([f1, shape(f1, 1)]);
      }
    }
    return paretoFrontIndices(sampled).map((i) => sampled[i] as number[]);
  };
  const trueHypervolume =
    name === 'zdt1' ? 2 / 3 : name === 'zdt2' ? 1 / 3 : hypervolume(trueFront(10_000), [1, 1]);
  return { name, space, objectives: [minimize('f1'), minimize('f2')], evaluate, trueFront, trueHypervolume };
}
