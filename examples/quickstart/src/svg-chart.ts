/** One line of a chart. */
export interface ChartSeries {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c);
}

/** A self-contained SVG line chart (no dependencies), for reports a browser opens directly. */
export function lineChartSvg(
  title: string,
  xLabel: string,
  yLabel: string,
  series: readonly ChartSeries[],
): string {
  const width = 640;
  const height = 360;
  const margin = { left: 60, right: 150, top: 36, bottom: 46 };
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(0, ...ys), Math.max(...ys)];
  const sx = (x: number) => margin.left + ((x - x0) / (x1 - x0 || 1)) * (width - margin.left - margin.right);
  const sy = (y: number) =>
    height - margin.bottom - ((y - y0) / (y1 - y0 || 1)) * (height - margin.top - margin.bottom);
  const ticks = Array.from({ length: 5 }, (_, i) => y0 + ((y1 - y0) * i) / 4);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
    `<line x1="${margin.left}" y1="${height - margin.bottom}" x2="${width - margin.right}" y2="${height - margin.bottom}" stroke="black"/>`,
    `<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${height - margin.bottom}" stroke="black"/>`,
    ...ticks.map(
      (t) =>
        `<text x="${margin.left - 6}" y="${sy(t) + 4}" text-anchor="end">${t.toPrecision(3)}</text>` +
        `<line x1="${margin.left}" y1="${sy(t)}" x2="${width - margin.right}" y2="${sy(t)}" stroke="#eee"/>`,
    ),
    `<text x="${margin.left}" y="${height - margin.bottom + 16}" text-anchor="middle">${x0}</text>`,
    `<text x="${width - margin.right}" y="${height - margin.bottom + 16}" text-anchor="middle">${x1}</text>`,
    `<text x="${(margin.left + width - margin.right) / 2}" y="${height - 8}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    `<text transform="translate(16 ${height / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`,
  ];
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const path = s.points
      .map(([x, y], k) => `${k === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`)
      .join(' ');
    parts.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="1.5"/>`);
    parts.push(
      `<rect x="${width - margin.right + 12}" y="${margin.top + i * 18}" width="12" height="3" fill="${color}"/>` +
        `<text x="${width - margin.right + 30}" y="${margin.top + i * 18 + 5}">${escapeXml(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
