import { reportError } from '../internal/errors.js';
import type { AxisOptions } from './common.js';
import type { ChartSpec } from './render.js';
import { type LabelledPoint, pointLayers } from './scatter-chart.js';

/** Which direction is better on each axis. */
export interface ParetoSense {
  /** @default true: smaller x is better (cost, latency, MACs) */
  minimizeX?: boolean;
  /** @default false: larger y is better (accuracy) */
  minimizeY?: boolean;
}

/**
 * The non-dominated points of `points` (no other point is at least as good on both axes and
 * better on one), sorted by x.
 */
export function paretoFront<P extends { x: number; y: number }>(
  points: readonly P[],
  sense: ParetoSense = {},
): P[] {
  const sx = sense.minimizeX === false ? -1 : 1;
  const sy = sense.minimizeY === true ? 1 : -1;
  const front = points.filter(
    (p) =>
      !points.some(
        (q) =>
          q !== p &&
          sx * q.x <= sx * p.x &&
          sy * q.y <= sy * p.y &&
          (sx * q.x < sx * p.x || sy * q.y < sy * p.y),
      ),
  );
  return [...front].sort((a, b) => a.x - b.x);
}

/** Options of {@link paretoChart}. */
export interface ParetoChartOptions extends ParetoSense {
  title: string;
  /** @default none */
  subtitle?: string;
  x: AxisOptions;
  y: AxisOptions;
  /** Every evaluated point; the front is computed from them. */
  points: readonly LabelledPoint[];
  /** @default 520 */
  width?: number;
  /** @default 320 */
  height?: number;
}

/**
 * Every point, with the Pareto front joined by a step line (e.g. accuracy against latency of
 * all searched architectures; labels are shown for the front only).
 *
 * @example
 * const spec = paretoChart({ title: 'NSGA-II', x: { title: 'latency ms' }, y: { title: 'accuracy' }, points });
 */
export function paretoChart(options: ParetoChartOptions): ChartSpec {
  const fail = reportError('paretoChart');
  if (options.points.length === 0) throw fail('points is empty: a chart needs at least one point');
  const front = new Set(paretoFront(options.points, options));
  const labelled = options.points.map((p) => (front.has(p) ? p : { ...p, label: '' }));
  const { rows, layers, encoding } = pointLayers(labelled, options.x, options.y, 'paretoChart');
  const frontRows = paretoFront(options.points, options).map((p) => ({ x: p.x, y: p.y }));
  // Dominated points are drawn lighter so the front stands out.
  const withFront = rows.map((r, i) => ({ ...r, front: front.has(options.points[i] as LabelledPoint) }));
  const [points, labels] = layers;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title:
      options.subtitle === undefined ? options.title : { text: options.title, subtitle: options.subtitle },
    width: options.width ?? 520,
    height: options.height ?? 320,
    data: { values: withFront },
    layer: [
      {
        data: { values: frontRows },
        mark: {
          type: 'line',
          interpolate: options.minimizeX === false ? 'step-before' : 'step-after',
          color: '#333',
          strokeWidth: 1.5,
        },
        encoding: { x: encoding.x, y: encoding.y },
      },
      {
        ...points,
        encoding: {
          ...(points as { encoding: object }).encoding,
          opacity: { condition: { test: 'datum.front', value: 1 }, value: 0.35 },
        },
      },
      labels,
    ],
  } as unknown as ChartSpec;
}
