// Deb, Pratap, Agarwal & Meyarivan, "A fast and elitist multiobjective genetic algorithm: NSGA-II", IEEE TEC 2002, §III-B (crowding distance).

/**
 * The crowding distance of each member of one front (objective vectors to minimise): the sum over
 * objectives of the normalised gap between its two neighbours; the extremes of each objective get
 * `Infinity` so that they are always kept. Returned in the order of `front`.
 */
export function crowdingDistance(points: readonly (readonly number[])[], front: readonly number[]): number[] {
  const size = front.length;
  const distance = new Array<number>(size).fill(0);
  if (size === 0) return distance;
  const objectives = (points[front[0] as number] as readonly number[]).length;
  const order = front.map((_, i) => i);
  for (let m = 0; m < objectives; m++) {
    const value = (i: number): number => (points[front[i] as number] as readonly number[])[m] as number;
    order.sort((x, y) => value(x) - value(y) || x - y);
    const first = order[0] as number;
    const last = order[size - 1] as number;
    distance[first] = Number.POSITIVE_INFINITY;
    distance[last] = Number.POSITIVE_INFINITY;
    const range = value(last) - value(first);
    if (range <= 0) continue;
    for (let k = 1; k < size - 1; k++) {
      const i = order[k] as number;
      distance[i] =
        (distance[i] as number) + (value(order[k + 1] as number) - value(order[k - 1] as number)) / range;
    }
  }
  return distance;
}
