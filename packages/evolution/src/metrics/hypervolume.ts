// While, Bradstreet & Barone, "A fast way of calculating exact hypervolumes", IEEE TEC 2012 (WFG); 2-D by a sorted sweep.
import { describeValue, errorFactory } from '../internal/errors.js';
import { paretoFrontIndices } from './pareto-front.js';

const fail = errorFactory('hypervolume');

/**
 * The exact hypervolume dominated by `points` (objective vectors to minimise) and bounded by
 * `reference`: the Lebesgue measure of the region between the front and the reference point.
 * Points that do not strictly dominate the reference in every objective add nothing.
 * 1-D and 2-D are a sort and a sweep (O(n log n)); more objectives use WFG, exact and fast for
 * the front sizes of NAS (hundreds of points, 3–5 objectives).
 *
 * @example
 * hypervolume([[0.2, 0.8], [0.5, 0.4]], [1, 1]); // 0.36
 */
export function hypervolume(points: readonly (readonly number[])[], reference: readonly number[]): number {
  if (!Array.isArray(reference) || reference.length === 0 || !reference.every(Number.isFinite)) {
    throw fail(`reference must be a non-empty array of finite numbers, got ${describeValue(reference)}`);
  }
  const dims = reference.length;
  const inside: number[][] = [];
  for (const point of points) {
    if (point.length !== dims) {
      throw fail(`every point needs ${dims} objectives like the reference, got ${describeValue(point)}`);
    }
    if (point.some((value) => Number.isNaN(value)))
      throw fail(`point ${describeValue(point)} has a NaN objective`);
    if (point.every((value, m) => value < (reference[m] as number))) inside.push(point.slice());
  }
  if (inside.length === 0) return 0;
  if (dims === 1) return (reference[0] as number) - Math.min(...inside.map((point) => point[0] as number));
  return wfg(nonDominated(inside), reference);
}

function wfg(points: number[][], reference: readonly number[]): number {
  if (points.length === 0) return 0;
  if (reference.length === 2) return sweep2d(points, reference);
  // Sorting by the last objective (worst first) keeps the limit sets small.
  const last = reference.length - 1;
  const sorted = points.slice().sort((a, b) => (b[last] as number) - (a[last] as number));
  let volume = 0;
  for (let k = 0; k < sorted.length; k++) {
    const point = sorted[k] as number[];
    const limited: number[][] = [];
    for (let j = k + 1; j < sorted.length; j++) {
      const other = sorted[j] as number[];
      limited.push(point.map((value, m) => Math.max(value, other[m] as number)));
    }
    volume += boxVolume(point, reference) - wfg(nonDominated(limited), reference);
  }
  return volume;
}

function sweep2d(points: readonly (readonly number[])[], reference: readonly number[]): number {
  const sorted = points
    .slice()
    .sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number));
  let volume = 0;
  let ceiling = reference[1] as number;
  for (const point of sorted) {
    const y = point[1] as number;
    if (y < ceiling) {
      volume += ((reference[0] as number) - (point[0] as number)) * (ceiling - y);
      ceiling = y;
    }
  }
  return volume;
}

function boxVolume(point: readonly number[], reference: readonly number[]): number {
  let volume = 1;
  for (let m = 0; m < point.length; m++) volume *= (reference[m] as number) - (point[m] as number);
  return volume;
}

/** The non-dominated, distinct points. */
function nonDominated(points: readonly number[][]): number[][] {
  return paretoFrontIndices(points).map((i) => points[i] as number[]);
}
