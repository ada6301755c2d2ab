// Kung, Luccio & Preparata, "On finding the maxima of a set of vectors", JACM 1975 (lexicographic sort, then filter against the kept front).
import { dominates } from '../operators/non-dominated-sort.js';

/**
 * Indices of the non-dominated points (objective vectors to minimise), in input order. Of several
 * equal points only the first is kept. Sorting lexicographically first means a point can only be
 * dominated by one before it, so each point is compared with the front kept so far: O(N log N + N F).
 */
export function paretoFrontIndices(points: readonly (readonly number[])[]): number[] {
  if ((points[0]?.length ?? 0) === 2) return sweep2d(points);
  const order = points.map((_, i) => i);
  order.sort(
    (i, j) => lexicographic(points[i] as readonly number[], points[j] as readonly number[]) || i - j,
  );
  const kept: number[] = [];
  for (const i of order) {
    const point = points[i] as readonly number[];
    let dominated = false;
    for (const k of kept) {
      const other = points[k] as readonly number[];
      if (dominates(other, point) || other.every((value, m) => value === point[m])) {
        dominated = true;
        break;
      }
    }
    if (!dominated) kept.push(i);
  }
  return kept.sort((i, j) => i - j);
}

/** Two objectives: after the sort, a point survives when its second objective beats every earlier one. */
function sweep2d(points: readonly (readonly number[])[]): number[] {
  const first = Float64Array.from(points, (point) => point[0] as number);
  const second = Float64Array.from(points, (point) => point[1] as number);
  const order = Array.from(points, (_, i) => i);
  order.sort(
    (i, j) =>
      (first[i] as number) - (first[j] as number) || (second[i] as number) - (second[j] as number) || i - j,
  );
  const kept: number[] = [];
  let lowest = Number.POSITIVE_INFINITY;
  for (const i of order) {
    const value = second[i] as number;
    if (value < lowest) {
      lowest = value;
      kept.push(i);
    }
  }
  return kept.sort((i, j) => i - j);
}

function lexicographic(a: readonly number[], b: readonly number[]): number {
  for (let m = 0; m < a.length; m++) {
    const difference = (a[m] as number) - (b[m] as number);
    if (difference !== 0) return difference;
  }
  return 0;
}
