import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '@automl-ts/core';
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { reportError } from '../internal/errors.js';

/** A Vega-Lite specification (what every chart builder of this package returns). */
export type ChartSpec = TopLevelSpec;

/** The look every chart shares: white background, sans-serif, light grid. */
export const CHART_CONFIG = {
  background: 'white',
  padding: 12,
  font: 'DejaVu Sans, Helvetica, Arial, sans-serif',
  title: { fontSize: 15, fontWeight: 'normal', anchor: 'start', subtitleFontSize: 12, subtitleColor: '#555' },
  axis: { labelFontSize: 12, titleFontSize: 12, titleFontWeight: 'normal', gridColor: '#e6e6e6' },
  legend: { labelFontSize: 12, titleFontSize: 12, labelLimit: 360 },
  view: { stroke: '#ccc' },
} as const;

/**
 * Renders a Vega-Lite spec to a standalone SVG string in Node (headless Vega, no browser, no canvas).
 *
 * @example
 * const svg = await renderSvg(lineChart({ title: 'loss', x: { title: 'step' }, y: { title: 'loss' }, series }));
 */
export async function renderSvg(spec: ChartSpec): Promise<string> {
  const fail = reportError('renderSvg');
  let view: View;
  try {
    const compiled = compile({ config: CHART_CONFIG, ...spec } as TopLevelSpec).spec;
    view = new View(parse(compiled), { renderer: 'none' });
  } catch (error) {
    throw fail(`invalid chart spec: ${error instanceof Error ? error.message : String(error)}`, error);
  }
  try {
    const svg = await view.toSVG();
    return svg.endsWith('\n') ? svg : `${svg}\n`;
  } finally {
    view.finalize();
  }
}

/** Renders `spec` and writes the SVG to `path` atomically (creating its folder). */
export async function writeChart(path: string, spec: ChartSpec): Promise<void> {
  const svg = await renderSvg(spec);
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, svg);
}
