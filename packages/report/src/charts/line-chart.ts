import { reportError } from '../internal/errors.js';
import { type AxisOptions, axisChannel, colourScale, unique } from './common.js';
import type { ChartSpec } from './render.js';

/** One point of a series; `lower`/`upper` draw its uncertainty (a band or an error bar). */
export interface SeriesPoint {
  readonly x: number;
  readonly y: number;
  readonly lower?: number;
  readonly upper?: number;
}

/** A series of a {@link lineChart}. */
export interface LineSeries {
  /** Legend entry; series with the same name share a colour. */
  readonly name: string;
  readonly points: readonly SeriesPoint[];
  /**
   * `line` joins the points; `points` only marks them (e.g. a few repeated runs beside curves).
   * @default 'line'
   */
  readonly mark?: 'line' | 'points';
  /**
   * Dashed line (e.g. a training curve beside a validation curve).
   * @default false
   */
  readonly dashed?: boolean;
  /**
   * How `lower`/`upper` are drawn: a shaded band or error bars.
   * @default 'band' for lines, 'bars' for points
   */
  readonly uncertainty?: 'band' | 'bars';
  /**
   * Mark every point of a line.
   * @default true
   */
  readonly markers?: boolean;
}

/** A horizontal reference line (e.g. a published number), dotted, labelled at its right end. */
export interface ReferenceLine {
  readonly y: number;
  /** Text written above the line at its right end; '' for none (e.g. when the legend says it). */
  readonly label: string;
  /**
   * The series whose colour it takes.
   * @default grey
   */
  readonly series?: string;
}

/** Options of {@link lineChart}. */
export interface LineChartOptions {
  title: string;
  /** A second title line. @default none */
  subtitle?: string;
  x: AxisOptions;
  y: AxisOptions;
  series: readonly LineSeries[];
  /** Dotted horizontal lines. @default none */
  references?: readonly ReferenceLine[];
  /** @default 520 */
  width?: number;
  /** @default 320 */
  height?: number;
}

/**
 * Line chart of several series (learning curves), with uncertainty bands or error bars and dotted
 * reference lines for published numbers.
 *
 * @example
 * const spec = lineChart({
 *   title: 'MAML 5-way 1-shot', x: { title: 'training minutes' }, y: { title: 'accuracy', format: '.0%' },
 *   series: [{ name: 'meta-val', points: [{ x: 10, y: 0.8, lower: 0.78, upper: 0.82 }] }],
 *   references: [{ y: 0.987, label: 'Finn et al. 2017: 98.7%', series: 'meta-val' }],
 * });
 * await writeChart('curve.svg', spec);
 */
export function lineChart(options: LineChartOptions): ChartSpec {
  const fail = reportError('lineChart');
  if (options.series.length === 0) throw fail('series is empty: a chart needs at least one series');
  const references = options.references ?? [];
  const names = unique([
    ...options.series.map((s) => s.name),
    ...references.flatMap((r) => (r.series === undefined ? [] : [r.series])),
  ]);
  const rows = options.series.flatMap((series, index) =>
    series.points.map((p) => {
      if (!Number.isFinite(p.x) || !Number.isFinite(p.y))
        throw fail(`series "${series.name}" has a non-finite point (${p.x}, ${p.y})`);
      return {
        series: series.name,
        index,
        x: p.x,
        y: p.y,
        lower: p.lower ?? null,
        upper: p.upper ?? null,
      };
    }),
  );
  const legend = {
    symbolType: 'stroke',
    symbolStrokeWidth: 2.5,
    symbolSize: 260,
    symbolOpacity: 1,
    orient: 'bottom',
    direction: 'vertical',
    labelLimit: 0,
  };
  const color = { field: 'series', type: 'nominal', title: null, scale: colourScale(names), legend };
  const dashedNames = new Set(options.series.filter((s) => s.dashed === true).map((s) => s.name));
  // Same field, title and legend as the colour: Vega-Lite merges the two legends, so dashed
  // series show dashed in the legend too.
  const strokeDash = {
    field: 'series',
    type: 'nominal',
    title: null,
    legend,
    scale: { domain: names, range: names.map((n) => (dashedNames.has(n) ? [5, 3] : [1, 0])) },
  };
  const quiet = color;
  const x = axisChannel('x', options.x);
  const y = axisChannel('y', options.y);
  const layers: Record<string, unknown>[] = [];
  options.series.forEach((series, index) => {
    const kind = series.mark ?? 'line';
    const uncertainty = series.uncertainty ?? (kind === 'line' ? 'band' : 'bars');
    const only = { filter: `datum.index === ${index}` };
    const hasBounds = series.points.some((p) => p.lower !== undefined && p.upper !== undefined);
    if (hasBounds) {
      layers.push({
        transform: [only, { filter: 'datum.lower !== null && datum.upper !== null' }],
        mark: uncertainty === 'band' ? { type: 'area', opacity: 0.16 } : { type: 'rule', strokeWidth: 1.5 },
        encoding: { x, y: { ...y, field: 'lower' }, y2: { field: 'upper' }, color: quiet },
      });
      if (uncertainty === 'bars') {
        for (const end of ['lower', 'upper']) {
          layers.push({
            transform: [only, { filter: `datum.${end} !== null` }],
            mark: { type: 'tick', thickness: 2, size: 14, orient: 'horizontal' },
            encoding: { x, y: { ...y, field: end }, color: quiet },
          });
        }
      }
    }
    layers.push({
      transform: [only],
      mark:
        kind === 'line'
          ? {
              type: 'line',
              strokeWidth: 2,
              ...(series.dashed === true ? { strokeWidth: 1.5 } : {}),
              ...(series.markers === false ? {} : { point: { filled: true, size: 28 } }),
            }
          : {
              type: 'point',
              filled: true,
              size: 130,
              shape: 'diamond',
              opacity: 1,
              stroke: '#222',
              strokeWidth: 1,
            },
      encoding: kind === 'line' ? { x, y, color, strokeDash } : { x, y, color },
    });
  });
  // Labels of reference lines are right-aligned one after another, so close lines stay readable.
  let labelOffset = 0;
  for (const reference of references) {
    const colourOf =
      reference.series === undefined
        ? { value: '#888' }
        : { datum: reference.series, type: 'nominal', title: null, scale: color.scale, legend };
    layers.push({
      data: { values: [{ y: reference.y }] },
      mark: { type: 'rule', strokeDash: [2, 3], strokeWidth: 1.5 },
      encoding: { y: { ...y, field: 'y' }, color: colourOf },
    });
    if (reference.label === '') continue;
    layers.push({
      data: { values: [{ y: reference.y, label: reference.label }] },
      mark: {
        type: 'text',
        align: 'right',
        baseline: 'bottom',
        dy: -2,
        fontSize: 11,
        x: { expr: `width - ${labelOffset}` },
      },
      encoding: { y: { ...y, field: 'y' }, text: { field: 'label' }, color: colourOf },
    });
    labelOffset += Math.ceil(reference.label.length * 6.2) + 14;
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title:
      options.subtitle === undefined ? options.title : { text: options.title, subtitle: options.subtitle },
    width: options.width ?? 520,
    height: options.height ?? 320,
    data: { values: rows },
    layer: layers,
    resolve: { scale: { color: 'shared' } },
  } as unknown as ChartSpec;
}
