import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '@automl-ts/core';
import * as vega from 'vega';
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
 * Text width in pixels for the chart font (DejaVu Sans / Helvetica advances, in em). Headless
 * Vega has no canvas to measure text and otherwise guesses 0.8 em per character, which makes
 * legends and canvases far wider than their text.
 */
export function textWidth(text: string, fontSize: number): number {
  let em = 0;
  for (const char of text) {
    if (char === ' ') em += 0.32;
    else if ("il.,:;!|'`ijfrt()[]".includes(char)) em += 0.34;
    else if ('mwMW%@'.includes(char)) em += 0.92;
    else if (/[0-9]/.test(char)) em += 0.64;
    else if (/[A-Z]/.test(char)) em += 0.7;
    else em += 0.6;
  }
  return em * fontSize;
}

// vega re-exports vega-scenegraph's textMetrics (its typings do not declare it); vl-convert sets
// `width` the same way.
(vega as unknown as { textMetrics: { width: unknown } }).textMetrics.width = (
  item: { text?: unknown; fontSize?: number },
  text?: unknown,
) => textWidth(String(text ?? item.text ?? '').trim(), item.fontSize ?? 11);

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
