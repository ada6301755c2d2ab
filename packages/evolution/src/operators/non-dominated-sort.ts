// Deb, Pratap, Agarwal & Meyarivan, "A fast and elitist multiobjective genetic algorithm: NSGA-II", IEEE TEC 2002, §III-A (fast non-dominated sort).

/** True when `a` Pareto-dominates `b` (no worse everywhere, better somewhere; all objectives minimised). */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  let better = false;
  for (let m = 0; m < a.length; m++) {
    const x = a[m] as number;
    const y = b[m] as number;
    if (x > y) return false;
    if (x < y) better = true;
  }
  return better;
}

/**
 * Splits points (objective vectors to minimise) into Pareto fronts: front 0 is non-dominated,
 * front 1 is non-dominated once front 0 is removed, and so on. O(M N²). Indices within a front
 * are in ascending order.
 */
export function fastNonDominatedSort(points: readonly (readonly number[])[]): number[][] {
  const n = points.length;
  const dominatedBy: number[][] = Array.from({ length: n }, () => []);
  const dominationCount = new Int32Array(n);
  for (let p = 0; p < n; p++) {
    for (let q = p + 1; q < n; q++) {
      const a = points[p] as readonly number[];
      const b = points[q] as readonly number[];
      if (dominates(a, b)) {
        (dominatedBy[p] as number[]).push(q);
        dominationCount[q] = (dominationCount[q] as number) + 1;
      } else if (dominates(b, a)) {
        (dominatedBy[q] as number[]).push(p);
        dominationCount[p] = (dominationCount[p] as number) + 1;
      }
    }
  }
  const fronts: number[][] = [];
  let current: number[] = [];
  for (let p = 0; p < n; p++) if (dominationCount[p] === 0) current.push(p);
  while (current.length > 0) {
    fronts.push(current);
    const next: number[] = [];
    for (const p of current) {
      for (const q of dominatedBy[p] as number[]) {
        dominationCount[q] = (dominationCount[q] as number) - 1;
        if (dominationCount[q] === 0) next.push(q);
      }
    }
    next.sort((x, y) => x - y);
    current = next;
  }
  return fronts;
}
