import { reportError } from '../internal/errors.js';
import { type AxisOptions, axisChannel, colourScale, unique } from './common.js';
import type { ChartSpec } from './render.js';

/** A labelled point of a {@link scatterChart} or {@link paretoChart}. */
export interface LabelledPoint {
  readonly x: number;
  readonly y: number;
  /** Text beside the point. @default none */
  readonly label?: string;
  /** Colour group (legend entry). @default one group */
  readonly group?: string;
}

/** Options of {@link scatterChart}. */
export interface ScatterChartOptions {
  title: string;
  /** @default none */
  subtitle?: string;
  x: AxisOptions;
  y: AxisOptions;
  points: readonly LabelledPoint[];
  /** @default 520 */
  width?: number;
  /** @default 320 */
  height?: number;
}

/** Point and label layers shared by the scatter and Pareto charts. */
export function pointLayers(points: readonly LabelledPoint[], x: AxisOptions, y: AxisOptions, fn: string) {
  const fail = reportError(fn);
  if (points.length === 0) throw fail('points is empty: a chart needs at least one point');
  for (const p of points) {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y))
      throw fail(`point ${p.label ?? ''} (${p.x}, ${p.y}) is not finite`);
  }
  const groups = unique(points.map((p) => p.group ?? ''));
  const color =
    groups.length === 1 && groups[0] === ''
      ? { value: '#4c78a8' }
      : { field: 'group', type: 'nominal', title: null, scale: colourScale(groups) };
  const rows = points.map((p) => ({ x: p.x, y: p.y, label: p.label ?? '', group: p.group ?? '' }));
  const encoding = { x: axisChannel('x', x), y: axisChannel('y', y), color };
  return {
    rows,
    encoding,
    layers: [
      { mark: { type: 'point', filled: true, size: 60, opacity: 0.9 }, encoding },
      {
        mark: { type: 'text', align: 'left', dx: 7, dy: -6, fontSize: 11 },
        encoding: { ...encoding, text: { field: 'label' } },
      },
    ],
  };
}

/**
 * Scatter plot with a label beside each point (e.g. accuracy against MACs per architecture).
 *
 * @example
 * const spec = scatterChart({
 *   title: 'searched architectures', x: { title: 'MACs (M)' }, y: { title: 'accuracy', format: '.0%' },
 *   points: [{ x: 12.1, y: 0.91, label: 'arch 3', group: 'evolution' }],
 * });
 */
export function scatterChart(options: ScatterChartOptions): ChartSpec {
  const { rows, layers } = pointLayers(options.points, options.x, options.y, 'scatterChart');
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title:
      options.subtitle === undefined ? options.title : { text: options.title, subtitle: options.subtitle },
    width: options.width ?? 520,
    height: options.height ?? 320,
    data: { values: rows },
    layer: layers,
  } as unknown as ChartSpec;
}
