import { reportError } from '../internal/errors.js';
import { type AxisOptions, axisChannel, colourScale, unique } from './common.js';
import type { ReferenceLine } from './line-chart.js';
import type { ChartSpec } from './render.js';

/** One bar of an {@link errorBarChart}: a mean and its interval. */
export interface ErrorBarItem {
  /** Category on the x axis. */
  readonly label: string;
  readonly mean: number;
  readonly lower: number;
  readonly upper: number;
  /** Colour group. @default the label */
  readonly group?: string;
}

/** Options of {@link errorBarChart}. */
export interface ErrorBarChartOptions {
  title: string;
  /** @default none */
  subtitle?: string;
  /** Title of the category axis. */
  xTitle: string;
  y: AxisOptions;
  items: readonly ErrorBarItem[];
  /** Dotted horizontal lines (e.g. published numbers). @default none */
  references?: readonly ReferenceLine[];
  /** @default 40 per item, at least 240 */
  width?: number;
  /** @default 320 */
  height?: number;
}

/**
 * Means with error bars by category (e.g. accuracy ± 95% CI per algorithm over seeds).
 *
 * @example
 * const spec = errorBarChart({
 *   title: '5-way 1-shot, 3 seeds', xTitle: 'algorithm', y: { title: 'accuracy', format: '.0%' },
 *   items: [{ label: 'protonet', mean: 0.95, lower: 0.94, upper: 0.96 }],
 * });
 */
export function errorBarChart(options: ErrorBarChartOptions): ChartSpec {
  const fail = reportError('errorBarChart');
  if (options.items.length === 0) throw fail('items is empty: a chart needs at least one item');
  for (const item of options.items) {
    if (!(item.lower <= item.mean && item.mean <= item.upper))
      throw fail(
        `item "${item.label}": expected lower <= mean <= upper, got ${item.lower}, ${item.mean}, ${item.upper}`,
      );
  }
  const rows = options.items.map((item) => ({ ...item, group: item.group ?? item.label }));
  const groups = unique([
    ...rows.map((r) => r.group),
    ...(options.references ?? []).flatMap((r) => (r.series === undefined ? [] : [r.series])),
  ]);
  const x = { field: 'label', type: 'nominal', title: options.xTitle, sort: null, axis: { labelAngle: 0 } };
  const grouped = options.items.some((item) => item.group !== undefined);
  // Without groups the colours repeat the x labels: no legend.
  const color = {
    field: 'group',
    type: 'nominal',
    title: null,
    scale: colourScale(groups),
    ...(grouped ? {} : { legend: null }),
  };
  const base = axisChannel('mean', options.y);
  const y = { ...base, scale: { ...(base.scale as object), padding: 8 } };
  const layers: Record<string, unknown>[] = [
    {
      mark: { type: 'rule', strokeWidth: 2 },
      encoding: { x, y: { ...y, field: 'lower' }, y2: { field: 'upper' }, color },
    },
    { mark: { type: 'tick', thickness: 2, size: 14 }, encoding: { x, y: { ...y, field: 'lower' }, color } },
    { mark: { type: 'tick', thickness: 2, size: 14 }, encoding: { x, y: { ...y, field: 'upper' }, color } },
    { mark: { type: 'point', filled: true, size: 70 }, encoding: { x, y, color } },
  ];
  for (const reference of options.references ?? []) {
    const colourOf =
      reference.series === undefined
        ? { value: '#888' }
        : { datum: reference.series, type: 'nominal', title: null, scale: color.scale };
    layers.push({
      data: { values: [{ mean: reference.y, label: reference.label }] },
      mark: { type: 'rule', strokeDash: [2, 3], strokeWidth: 1.5 },
      encoding: { y: { ...y, field: 'mean' }, color: colourOf },
    });
    layers.push({
      data: { values: [{ mean: reference.y, text: reference.label }] },
      mark: { type: 'text', align: 'right', baseline: 'bottom', dy: -2, fontSize: 11, x: { expr: 'width' } },
      encoding: { y: { ...y, field: 'mean' }, text: { field: 'text' }, color: colourOf },
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title:
      options.subtitle === undefined ? options.title : { text: options.title, subtitle: options.subtitle },
    width: options.width ?? Math.max(240, 40 * options.items.length),
    height: options.height ?? 320,
    data: { values: rows },
    layer: layers,
  } as unknown as ChartSpec;
}
