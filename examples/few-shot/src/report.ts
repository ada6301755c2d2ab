import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@automl-ts/core';
import type { MetaEvaluationRecord, MetaTrainRecord } from '@automl-ts/meta-learning';

/** What one run reports (results/<run>.json). */
export interface RunReport {
  readonly run: string;
  readonly algorithm: string;
  readonly dataset: string;
  readonly datasetDescription: string;
  readonly ways: number;
  readonly shots: number;
  readonly queries: number;
  readonly backend: string;
  readonly config: Readonly<Record<string, number | string | boolean | null>>;
  readonly metaIterations: number;
  readonly stopped: string;
  readonly trainingMinutes: number;
  readonly final: {
    readonly accuracy: number;
    readonly ci95: number;
    readonly tasks: number;
    readonly steps: number;
  };
  readonly evaluations: readonly MetaEvaluationRecord[];
  /** Query accuracy during meta-training, averaged over windows of meta-iterations. */
  readonly trainingCurve: ReadonlyArray<{ readonly iteration: number; readonly accuracy: number }>;
  readonly finishedAt: string;
}

/** Published 5-way Omniglot accuracies (%), 1-shot and 5-shot. */
const PUBLISHED: Record<
  string,
  { readonly oneShot: number; readonly fiveShot: number; readonly source: string }
> = {
  maml: { oneShot: 98.7, fiveShot: 99.9, source: 'Finn et al. 2017, Table 1' },
  fomaml: { oneShot: 98.3, fiveShot: 99.2, source: 'Finn et al. 2017, Table 1 (first order)' },
  reptile: { oneShot: 97.68, fiveShot: 99.48, source: 'Nichol et al. 2018, Table 1 (transductive)' },
  metasgd: { oneShot: 99.53, fiveShot: 99.93, source: 'Li et al. 2017, Table 1' },
  protonet: { oneShot: 98.8, fiveShot: 99.7, source: 'Snell et al. 2017, Table 1' },
};

/** Published accuracy (%) for a run, when there is one (5-way 1- or 5-shot Omniglot). */
function publishedAccuracy(report: RunReport): number | undefined {
  const entry = PUBLISHED[report.algorithm];
  if (entry === undefined || report.dataset !== 'omniglot' || report.ways !== 5) return undefined;
  if (report.shots === 1) return entry.oneShot;
  if (report.shots === 5) return entry.fiveShot;
  return undefined;
}

function published(report: RunReport): string {
  const accuracy = publishedAccuracy(report);
  return accuracy === undefined ? '—' : `${accuracy}%`;
}

/** Mean accuracy over windows of the training curve (at most `points` points). */
export function trainingCurve(
  history: readonly MetaTrainRecord[],
  points = 100,
): Array<{ iteration: number; accuracy: number }> {
  const window = Math.max(1, Math.ceil(history.length / points));
  const out: Array<{ iteration: number; accuracy: number }> = [];
  for (let start = 0; start < history.length; start += window) {
    const slice = history.slice(start, start + window).filter((record) => record.accuracy !== null);
    if (slice.length === 0) continue;
    const accuracy = slice.reduce((sum, record) => sum + (record.accuracy as number), 0) / slice.length;
    out.push({ iteration: (slice[slice.length - 1] as MetaTrainRecord).iteration, accuracy });
  }
  return out;
}

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Round tick values from 0 to at most `max`: the smallest step of 1, 2 or 5 × 10^k giving at most six. */
export function axisTicks(max: number): number[] {
  const raw = max / 5;
  const power = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  const step = [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let value = 0; value <= max; value += step) ticks.push(value);
  return ticks;
}

/**
 * The learning curve of a run as a Markdown table: each periodic meta-validation evaluation
 * (accuracy ± 95% CI), then the final one; runs without periodic evaluations show the
 * meta-training query accuracy at up to ten points instead.
 */
export function curveTable(report: RunReport): string {
  const pct = (value: number) => `${(100 * value).toFixed(1)}%`;
  const final = `| ${report.metaIterations} (final) | ${pct(report.final.accuracy)} ± ${pct(report.final.ci95)} | ${report.final.tasks} |`;
  const validation = report.evaluations.filter((record) => record.accuracy !== null);
  if (validation.length > 0) {
    const rows = validation.map(
      (r) =>
        // Reports written before evalEveryTasks was recorded used the CLI's default, 100.
        `| ${r.iteration} | ${pct(r.accuracy as number)} ± ${pct(r.accuracyCi95 ?? 0)} | ${report.config.evalEveryTasks ?? 100} |`,
    );
    return [
      '| meta-iteration | meta-val accuracy | tasks |',
      '|---:|---|---:|',
      ...rows.filter((_, i) => validation[i]?.iteration !== report.metaIterations),
      final,
    ].join('\n');
  }
  const curve = report.trainingCurve;
  const every = Math.max(1, Math.ceil(curve.length / 10));
  const rows = curve
    .filter((_, i) => i % every === every - 1 || i === curve.length - 1)
    .map((p) => `| ${p.iteration} | ${pct(p.accuracy)} | |`);
  return [
    '| meta-iteration | meta-training query accuracy | meta-val accuracy (tasks) |',
    '|---:|---|---|',
    ...rows,
    `| ${report.metaIterations} (final) | | ${pct(report.final.accuracy)} ± ${pct(report.final.ci95)} (${report.final.tasks}) |`,
  ].join('\n');
}

/** An SVG line plot of accuracy (%) against meta-iterations: validation (with its 95% CI) and training query accuracy. */
export function accuracyPlot(report: RunReport): string {
  const width = 640;
  const height = 400;
  const margin = { left: 60, right: 20, top: 40, bottom: 50 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const validation = report.evaluations.filter((record) => record.accuracy !== null);
  const maxIteration = Math.max(
    1,
    report.metaIterations,
    ...validation.map((r) => r.iteration),
    ...report.trainingCurve.map((p) => p.iteration),
  );
  const x = (iteration: number) => margin.left + (iteration / maxIteration) * plotWidth;
  const y = (accuracy: number) => margin.top + (1 - accuracy) * plotHeight;
  const path = (points: ReadonlyArray<readonly [number, number]>) =>
    points.map(([px, py], i) => `${i === 0 ? 'M' : 'L'}${px.toFixed(1)},${py.toFixed(1)}`).join(' ');
  const grid: string[] = [];
  for (let tick = 0; tick <= 10; tick += 2) {
    const ty = y(tick / 10);
    grid.push(`<line x1="${margin.left}" y1="${ty}" x2="${width - margin.right}" y2="${ty}" stroke="#ddd"/>`);
    grid.push(
      `<text x="${margin.left - 8}" y="${ty + 4}" text-anchor="end" font-size="12">${tick * 10}%</text>`,
    );
  }
  for (const iteration of axisTicks(maxIteration)) {
    grid.push(
      `<text x="${x(iteration)}" y="${height - margin.bottom + 18}" text-anchor="middle" font-size="12">${iteration}</text>`,
    );
  }
  const band =
    validation.length > 0
      ? `<path d="${path([
          ...validation.map(
            (r) => [x(r.iteration), y(Math.min(1, (r.accuracy as number) + (r.accuracyCi95 ?? 0)))] as const,
          ),
          ...[...validation]
            .reverse()
            .map(
              (r) =>
                [x(r.iteration), y(Math.max(0, (r.accuracy as number) - (r.accuracyCi95 ?? 0)))] as const,
            ),
        ])} Z" fill="#1f77b4" fill-opacity="0.15" stroke="none"/>`
      : '';
  const validationLine = `<path d="${path(validation.map((r) => [x(r.iteration), y(r.accuracy as number)] as const))}" fill="none" stroke="#1f77b4" stroke-width="2"/>`;
  const validationDots = validation
    .map(
      (r) =>
        `<circle cx="${x(r.iteration).toFixed(1)}" cy="${y(r.accuracy as number).toFixed(1)}" r="3" fill="#1f77b4"/>`,
    )
    .join('');
  const trainingLine = `<path d="${path(report.trainingCurve.map((p) => [x(p.iteration), y(p.accuracy)] as const))}" fill="none" stroke="#ff7f0e" stroke-width="1.5" stroke-dasharray="4 3"/>`;
  const title = `${report.algorithm} — ${report.dataset} ${report.ways}-way ${report.shots}-shot: final ${(100 * report.final.accuracy).toFixed(1)}% ± ${(100 * report.final.ci95).toFixed(1)}% (${report.final.tasks} tasks)`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${width / 2}" y="22" text-anchor="middle" font-size="14">${escapeXml(title)}</text>
${grid.join('\n')}
<line x1="${margin.left}" y1="${margin.top + plotHeight}" x2="${width - margin.right}" y2="${margin.top + plotHeight}" stroke="#333"/>
<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${margin.top + plotHeight}" stroke="#333"/>
<text x="${margin.left + plotWidth / 2}" y="${height - 10}" text-anchor="middle" font-size="12">meta-iterations</text>
${band}
${trainingLine}
${validationLine}
${validationDots}
<line x1="${width - 250}" y1="${margin.top + plotHeight - 40}" x2="${width - 225}" y2="${margin.top + plotHeight - 40}" stroke="#1f77b4" stroke-width="2"/>
<text x="${width - 220}" y="${margin.top + plotHeight - 36}" font-size="12">meta-validation accuracy (95% CI)</text>
<line x1="${width - 250}" y1="${margin.top + plotHeight - 20}" x2="${width - 225}" y2="${margin.top + plotHeight - 20}" stroke="#ff7f0e" stroke-width="1.5" stroke-dasharray="4 3"/>
<text x="${width - 220}" y="${margin.top + plotHeight - 16}" font-size="12">meta-training query accuracy</text>
</svg>
`;
}

/** Line colours of the comparison plot, one per run in name order (Tableau 10). */
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

/** The task a run solves, e.g. `5w1s-omniglot`; runs with the same key share a comparison plot. */
export const comparisonKey = (report: RunReport): string =>
  `${report.ways}w${report.shots}s-${report.dataset}`;

/**
 * Meta-validation accuracy of several runs of one task against training minutes, with each
 * algorithm's published accuracy as a dotted line: the budget comparison the per-run plots (x =
 * meta-iterations) cannot show. Runs record minutes only at the end, so a periodic evaluation at
 * iteration i is placed at i / metaIterations × trainingMinutes; the cost per iteration is constant
 * within a run, so this is off only by the time spent in the periodic evaluations themselves.
 */
export function comparisonPlot(reports: readonly RunReport[]): string {
  const first = reports[0];
  if (first === undefined) throw new Error('examples/few-shot comparisonPlot: no reports to compare');
  const width = 720;
  const height = 440;
  const margin = { left: 60, right: 250, top: 40, bottom: 50 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const series = reports.map((report) => {
    const minutesPer = report.trainingMinutes / Math.max(1, report.metaIterations);
    const points = report.evaluations
      .filter((r) => r.accuracy !== null && r.iteration < report.metaIterations)
      .map((r) => [r.iteration * minutesPer, r.accuracy as number] as const);
    return { report, points: [...points, [report.trainingMinutes, report.final.accuracy] as const] };
  });
  const maxMinutes = Math.max(1, ...reports.map((r) => r.trainingMinutes));
  const lowest = Math.min(...series.flatMap((s) => s.points.map(([, accuracy]) => accuracy)));
  const yMin = Math.max(0, Math.floor(lowest * 10) / 10);
  const x = (minutes: number) => margin.left + (minutes / maxMinutes) * plotWidth;
  const y = (accuracy: number) => margin.top + ((1 - accuracy) / (1 - yMin)) * plotHeight;
  const out: string[] = [];
  for (let tick = Math.round(yMin * 10); tick <= 10; tick += 1) {
    const ty = y(tick / 10).toFixed(1);
    out.push(
      `<line x1="${margin.left}" y1="${ty}" x2="${margin.left + plotWidth}" y2="${ty}" stroke="#ddd"/>`,
    );
    out.push(
      `<text x="${margin.left - 8}" y="${Number(ty) + 4}" text-anchor="end" font-size="12">${tick * 10}%</text>`,
    );
  }
  for (const minutes of axisTicks(maxMinutes)) {
    out.push(
      `<text x="${x(minutes).toFixed(1)}" y="${height - margin.bottom + 18}" text-anchor="middle" font-size="12">${minutes}</text>`,
    );
  }
  for (const [index, { report, points }] of series.entries()) {
    const colour = PALETTE[index % PALETTE.length] as string;
    const line = points
      .map(([m, a], i) => `${i === 0 ? 'M' : 'L'}${x(m).toFixed(1)},${y(a).toFixed(1)}`)
      .join(' ');
    out.push(`<path d="${line}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    const [lastMinutes, lastAccuracy] = points[points.length - 1] as readonly [number, number];
    out.push(
      `<circle cx="${x(lastMinutes).toFixed(1)}" cy="${y(lastAccuracy).toFixed(1)}" r="4" fill="${colour}"/>`,
    );
    const paper = publishedAccuracy(report);
    if (paper !== undefined) {
      const py = y(paper / 100).toFixed(1);
      out.push(
        `<line x1="${margin.left}" y1="${py}" x2="${margin.left + plotWidth}" y2="${py}" stroke="${colour}" stroke-width="1" stroke-dasharray="2 3"/>`,
      );
    }
    const ly = margin.top + 10 + index * 36;
    const lx = margin.left + plotWidth + 16;
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 20}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`);
    out.push(
      `<text x="${lx + 26}" y="${ly + 4}" font-size="12">${escapeXml(report.run.replace(`-${comparisonKey(report)}`, ''))}: ${(100 * report.final.accuracy).toFixed(1)}% ± ${(100 * report.final.ci95).toFixed(1)}%</text>`,
    );
    out.push(
      `<text x="${lx + 26}" y="${ly + 19}" font-size="11" fill="#555">${report.trainingMinutes.toFixed(0)} min${paper === undefined ? '' : `; published ${paper}%`}</text>`,
    );
  }
  const title = `${first.dataset} ${first.ways}-way ${first.shots}-shot: meta-validation accuracy vs training time`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${margin.left + plotWidth / 2}" y="22" text-anchor="middle" font-size="14">${escapeXml(title)}</text>
<line x1="${margin.left}" y1="${margin.top + plotHeight}" x2="${margin.left + plotWidth}" y2="${margin.top + plotHeight}" stroke="#333"/>
<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${margin.top + plotHeight}" stroke="#333"/>
<text x="${margin.left + plotWidth / 2}" y="${height - 10}" text-anchor="middle" font-size="12">training minutes (one core); dotted: published accuracy</text>
${out.join('\n')}
</svg>
`;
}

/** Writes results/<run>.json and results/<run>.svg, then regenerates results/README.md from every run there. */
export async function writeReport(directory: string, report: RunReport): Promise<void> {
  await mkdir(directory, { recursive: true });
  await writeFileAtomic(join(directory, `${report.run}.json`), `${JSON.stringify(report, null, 2)}\n`);
  await rebuildReports(directory);
}

/** Rewrites every run's SVG and the README table of `directory` from its `<run>.json` reports. */
export async function rebuildReports(directory: string): Promise<number> {
  const reports: RunReport[] = [];
  for (const entry of (await readdir(directory)).filter((name) => name.endsWith('.json')).sort()) {
    reports.push(JSON.parse(await readFile(join(directory, entry), 'utf8')) as RunReport);
  }
  for (const report of reports) {
    await writeFileAtomic(join(directory, `${report.run}.svg`), accuracyPlot(report));
  }
  const groups = new Map<string, RunReport[]>();
  for (const report of reports) {
    const key = comparisonKey(report);
    groups.set(key, [...(groups.get(key) ?? []), report]);
  }
  for (const [key, group] of groups) {
    await writeFileAtomic(join(directory, `comparison-${key}.svg`), comparisonPlot(group));
  }
  const comparisons = [...groups.keys()].map((key) => `![${key}](comparison-${key}.svg)`).join('\n\n');
  const rows = reports.map(
    (r) =>
      `| ${r.run} | ${r.algorithm} | ${r.dataset} | ${r.ways}-way ${r.shots}-shot | ${r.metaIterations} × ${r.config.metaBatch} | ${r.trainingMinutes.toFixed(1)} | ${r.backend} | **${(100 * r.final.accuracy).toFixed(1)}% ± ${(100 * r.final.ci95).toFixed(1)}%** (${r.final.tasks} tasks, ${r.final.steps} steps) | ${published(r)} | [plot](${r.run}.svg) |`,
  );
  const curves = reports.map((r) => `### ${r.run}\n\n![${r.run}](${r.run}.svg)\n\n${curveTable(r)}\n`);
  const text = `# Few-shot results

Written by \`examples/few-shot\` (\`pnpm --filter @automl-ts/example-few-shot start\`); one row per run,
regenerated after every run (\`start -- --rebuild-report\` regenerates it from the JSON files).
Accuracy is the mean over meta-validation tasks (classes never seen in meta-training) with the
half-width of its 95% confidence interval; "meta-iterations" is outer steps × tasks per step.
Published numbers are 5-way Omniglot test accuracies of the papers (their runs trained far longer,
e.g. MAML 60,000 × 32 tasks).

| run | algorithm | dataset | task | meta-iterations | training min | backend | accuracy | published | plot |
|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

## Comparison

Meta-validation accuracy against training minutes, one plot per task; the last point of each run is
its final evaluation, the dotted lines the published accuracies.

${comparisons}

## Learning curves

Meta-validation accuracy during training (periodic evaluations on fewer tasks, then the final one).

${curves.join('\n')}`;
  await writeFileAtomic(join(directory, 'README.md'), text);
  return reports.length;
}
