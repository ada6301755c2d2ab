/** An axis of a chart. */
export interface AxisOptions {
  /** The axis title. */
  title: string;
  /**
   * A d3-format string for tick labels (e.g. `.0%` for fractions shown as percent).
   * @default Vega's
   */
  format?: string;
  /**
   * Fixed [min, max]; otherwise from the data.
   * @default from the data
   */
  domain?: readonly [number, number];
  /**
   * Include zero in the scale.
   * @default false
   */
  zero?: boolean;
  /**
   * Scale type.
   * @default 'linear'
   */
  scale?: 'linear' | 'log';
}

/** Tableau 10, the palette of every chart (series keep their colour across charts by order). */
export const PALETTE = [
  '#4c78a8',
  '#f58518',
  '#54a24b',
  '#e45756',
  '#72b7b2',
  '#b279a2',
  '#eeca3b',
  '#ff9da6',
  '#9d755d',
  '#bab0ac',
] as const;

/** A Vega-Lite positional channel for `field` with the axis options. */
export function axisChannel(
  field: string,
  axis: AxisOptions,
  type = 'quantitative',
): Record<string, unknown> {
  return {
    field,
    type,
    title: axis.title,
    ...(axis.format === undefined ? {} : { axis: { format: axis.format } }),
    scale: {
      zero: axis.zero ?? false,
      nice: axis.domain === undefined,
      ...(axis.domain === undefined ? {} : { domain: [...axis.domain] }),
      ...(axis.scale === undefined ? {} : { type: axis.scale }),
    },
  };
}

/** The colour scale: `names` in order, on {@link PALETTE}. */
export function colourScale(names: readonly string[]): Record<string, unknown> {
  return { domain: [...names], range: names.map((_, i) => PALETTE[i % PALETTE.length]) };
}

/** Unique values of `values` in first-seen order. */
export const unique = (values: readonly string[]): string[] => [...new Set(values)];
