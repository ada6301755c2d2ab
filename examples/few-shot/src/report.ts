// The few-shot report: results files (automl-ts/results@1, and the old-protocol JSON of the
// committed runs), per-run learning curves, per-task comparison plots and results/README.md,
// all through @automl-ts/report.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@automl-ts/core';
import type { MetaEvaluationRecord, MetaTrainRecord } from '@automl-ts/meta-learning';
import {
  checkResults,
  formatTable,
  type LineSeries,
  lineChart,
  type ReferenceLine,
  type Results,
  summarizeOverSeeds,
  type TableColumn,
  writeChart,
  writeResults,
} from '@automl-ts/report';

/** The protocol id of runs written by this version (see README "Protocol"). */
export const PROTOCOL_ID = 'few-shot/meta-test@1';

/**
 * A run of the old protocol (results/<run>.json written before the three-way split): the final
 * number is on meta-validation classes, the same pool as the periodic (model-selection)
 * evaluations, and `trainingMinutes` includes the periodic evaluations.
 */
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

/** What `data` of a few-shot results file holds. */
export interface FewShotResultsData {
  readonly algorithm: string;
  readonly dataset: string;
  readonly datasetDescription: string;
  readonly ways: number;
  readonly shots: number;
  readonly queries: number;
  readonly seed: number;
  /** The run's name without its seed: runs that differ only in the seed share it. */
  readonly group: string;
  readonly metaIterations: number;
  readonly stopped: string;
  readonly metaTest: string;
  readonly split: {
    readonly train: readonly string[];
    readonly val: readonly string[];
    readonly test: readonly string[];
  };
  /** Periodic model-selection evaluations on meta-val. */
  readonly evaluations: readonly MetaEvaluationRecord[];
  readonly trainingCurve: ReadonlyArray<{ readonly iteration: number; readonly accuracy: number }>;
  readonly final: { readonly tasks: number; readonly steps: number };
}

/** One run as the report shows it, from either file format. */
export interface RunView {
  readonly run: string;
  readonly protocol: 'old' | 'meta-test';
  readonly algorithm: string;
  readonly dataset: string;
  readonly ways: number;
  readonly shots: number;
  readonly backend: string;
  readonly metaBatch: number;
  readonly metaIterations: number;
  readonly seed: number;
  readonly group: string;
  /** Old protocol: wall minutes including the periodic evaluations. New: training CPU minutes (the budget clock), evaluations excluded. */
  readonly trainingMinutes: number;
  /** New protocol only: wall minutes of training, periodic selection and the final evaluation. */
  readonly minutes?: {
    readonly trainingWall: number;
    readonly selectionWall: number;
    readonly evaluationWall: number;
  };
  readonly final: {
    readonly accuracy: number;
    readonly ci95: number;
    readonly tasks: number;
    readonly steps: number;
    readonly split: 'meta-val' | 'meta-test';
  };
  /** Per-task accuracies of the final evaluation (new protocol). */
  readonly outcomes?: readonly number[];
  readonly evaluations: readonly MetaEvaluationRecord[];
  readonly trainingCurve: ReadonlyArray<{ readonly iteration: number; readonly accuracy: number }>;
  readonly evalEveryTasks: number;
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
export function publishedAccuracy(
  run: Pick<RunView, 'algorithm' | 'dataset' | 'ways' | 'shots'>,
): number | undefined {
  const entry = PUBLISHED[run.algorithm];
  if (entry === undefined || run.dataset !== 'omniglot' || run.ways !== 5) return undefined;
  if (run.shots === 1) return entry.oneShot;
  if (run.shots === 5) return entry.fiveShot;
  return undefined;
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

/** A run of either format as a {@link RunView}. */
export function viewOf(file: RunReport | Results): RunView {
  if ('schema' in file) {
    const data = file.data as unknown as FewShotResultsData;
    const accuracy = file.summary['meta-test/accuracy'];
    const phases = file.provenance.timing.phases;
    return {
      run: file.run,
      protocol: 'meta-test',
      algorithm: data.algorithm,
      dataset: data.dataset,
      ways: data.ways,
      shots: data.shots,
      backend: file.provenance.backend.name,
      metaBatch: Number(file.config.metaBatch),
      metaIterations: data.metaIterations,
      seed: data.seed,
      group: data.group,
      trainingMinutes:
        file.config.budgetClock === 'wall'
          ? (phases.training?.wallMinutes ?? 0)
          : (phases.training?.cpuMinutes ?? 0),
      minutes: {
        trainingWall: phases.training?.wallMinutes ?? 0,
        selectionWall: phases.selection?.wallMinutes ?? 0,
        evaluationWall: phases.evaluation?.wallMinutes ?? 0,
      },
      final: {
        accuracy: accuracy?.mean ?? Number.NaN,
        ci95: accuracy?.ci95 ?? Number.NaN,
        tasks: data.final.tasks,
        steps: data.final.steps,
        split: 'meta-test',
      },
      outcomes: file.outcomes['meta-test/accuracy'] ?? [],
      evaluations: data.evaluations,
      trainingCurve: data.trainingCurve,
      evalEveryTasks: Number(file.config.evalEveryTasks ?? 100),
    };
  }
  return {
    run: file.run,
    protocol: 'old',
    algorithm: file.algorithm,
    dataset: file.dataset,
    ways: file.ways,
    shots: file.shots,
    backend: file.backend,
    metaBatch: Number(file.config.metaBatch),
    metaIterations: file.metaIterations,
    seed: Number(file.config.seed ?? 0),
    group: file.run,
    trainingMinutes: file.trainingMinutes,
    final: { ...file.final, split: 'meta-val' },
    evaluations: file.evaluations,
    trainingCurve: file.trainingCurve,
    // Reports written before evalEveryTasks was recorded used the CLI's default, 100.
    evalEveryTasks: Number(file.config.evalEveryTasks ?? 100),
  };
}

const pct = (value: number) => `${(100 * value).toFixed(1)}%`;

/**
 * The learning curve of a run as a Markdown table: each periodic meta-validation evaluation
 * (accuracy ± 95% CI), then the final one; runs without periodic evaluations show the
 * meta-training query accuracy at up to ten points instead.
 */
export function curveTable(run: RunView): string {
  const finalLabel = run.final.split === 'meta-test' ? ' (final, meta-test)' : ' (final)';
  const validation = run.evaluations.filter((record) => record.accuracy !== null);
  if (validation.length > 0) {
    const rows = [
      ...validation
        .filter((r) => !(run.protocol === 'old' && r.iteration === run.metaIterations))
        .map((r) => ({
          at: String(r.iteration),
          accuracy: `${pct(r.accuracy as number)} ± ${pct(r.accuracyCi95 ?? 0)}`,
          tasks: run.evalEveryTasks,
        })),
      {
        at: `${run.metaIterations}${finalLabel}`,
        accuracy: `${pct(run.final.accuracy)} ± ${pct(run.final.ci95)}`,
        tasks: run.final.tasks,
      },
    ];
    return formatTable(
      [
        { title: 'meta-iteration', value: (r) => r.at, align: 'right' },
        {
          title: run.protocol === 'old' ? 'meta-val accuracy' : 'accuracy (meta-val, then meta-test)',
          value: (r) => r.accuracy,
          align: 'left',
        },
        { title: 'tasks', value: (r) => r.tasks },
      ] satisfies TableColumn<(typeof rows)[number]>[],
      rows,
    );
  }
  const curve = run.trainingCurve;
  const every = Math.max(1, Math.ceil(curve.length / 10));
  const rows = [
    ...curve
      .filter((_, i) => i % every === every - 1 || i === curve.length - 1)
      .map((p) => ({ at: String(p.iteration), training: pct(p.accuracy), final: '' })),
    {
      at: `${run.metaIterations}${finalLabel}`,
      training: '',
      final: `${pct(run.final.accuracy)} ± ${pct(run.final.ci95)} (${run.final.tasks})`,
    },
  ];
  return formatTable(
    [
      { title: 'meta-iteration', value: (r) => r.at, align: 'right' },
      { title: 'meta-training query accuracy', value: (r) => r.training, align: 'left' },
      { title: `${run.final.split} accuracy (tasks)`, value: (r) => r.final, align: 'left' },
    ] satisfies TableColumn<(typeof rows)[number]>[],
    rows,
  );
}

const protocolLabel = (run: RunView) => (run.protocol === 'old' ? 'old protocol' : 'meta-test');

/** The learning curve of one run (x = meta-iterations): meta-val with its CI band, training accuracy dashed, the final number. */
export function accuracyChart(run: RunView) {
  const validation = run.evaluations.filter((r) => r.accuracy !== null);
  const band = (r: MetaEvaluationRecord) => ({
    x: r.iteration,
    y: r.accuracy as number,
    lower: Math.max(0, (r.accuracy as number) - (r.accuracyCi95 ?? 0)),
    upper: Math.min(1, (r.accuracy as number) + (r.accuracyCi95 ?? 0)),
  });
  const final = {
    x: run.metaIterations,
    y: run.final.accuracy,
    lower: Math.max(0, run.final.accuracy - run.final.ci95),
    upper: Math.min(1, run.final.accuracy + run.final.ci95),
  };
  const series: LineSeries[] = [];
  if (run.protocol === 'old') {
    // The old protocol's final evaluation is on the meta-val pool: the last point of the curve.
    const points = validation.filter((r) => r.iteration < run.metaIterations).map(band);
    series.push({ name: 'meta-validation accuracy (95% CI)', points: [...points, final] });
  } else {
    if (validation.length > 0)
      series.push({ name: 'meta-validation accuracy (95% CI)', points: validation.map(band) });
    series.push({
      name: `meta-test accuracy (final, ${run.final.tasks} tasks)`,
      mark: 'points',
      points: [final],
    });
  }
  if (run.trainingCurve.length > 0) {
    series.push({
      name: 'meta-training query accuracy',
      dashed: true,
      markers: false,
      points: run.trainingCurve.map((p) => ({ x: p.iteration, y: p.accuracy })),
    });
  }
  return lineChart({
    title: `${run.algorithm}, ${run.dataset} ${run.ways}-way ${run.shots}-shot (${protocolLabel(run)}): final ${pct(run.final.accuracy)} ± ${pct(run.final.ci95)}`,
    subtitle: `${run.final.tasks} ${run.final.split} tasks; ${run.trainingMinutes.toFixed(1)} training minutes; ${run.backend}`,
    x: { title: 'meta-iterations', zero: true },
    y: { title: 'accuracy', format: '.0%', domain: [0, 1] },
    series,
  });
}

/** The task a run solves, e.g. `5w1s-omniglot`; runs with the same key share a comparison plot. */
export const comparisonKey = (run: Pick<RunView, 'ways' | 'shots' | 'dataset'>): string =>
  `${run.ways}w${run.shots}s-${run.dataset}`;

/** Runs of the new protocol that differ only in their seed. */
export interface SeedGroup {
  readonly group: string;
  readonly algorithm: string;
  readonly runs: readonly RunView[];
  /** Mean of the seeds' meta-test accuracies, with the t-interval over seeds. */
  readonly overSeeds: { readonly mean: number; readonly ci95: number; readonly n: number };
  /** Every task of every seed pooled. */
  readonly pooled: { readonly mean: number; readonly ci95: number; readonly n: number };
  readonly trainingMinutes: number;
}

/** Groups new-protocol runs by everything but the seed, with mean ± CI over seeds and tasks. */
export function seedGroups(runs: readonly RunView[]): SeedGroup[] {
  const groups = new Map<string, RunView[]>();
  for (const run of runs.filter((r) => r.protocol === 'meta-test')) {
    groups.set(run.group, [...(groups.get(run.group) ?? []), run]);
  }
  return [...groups].map(([group, members]) => {
    const summary = summarizeOverSeeds(members.map((r) => r.outcomes ?? []));
    return {
      group,
      algorithm: (members[0] as RunView).algorithm,
      runs: members,
      overSeeds: summary.overSeeds,
      pooled: summary.pooled,
      trainingMinutes: members.reduce((sum, r) => sum + r.trainingMinutes, 0) / members.length,
    };
  });
}

/**
 * The old curve's periodic evaluation closest to `minutes` (placed at i / metaIterations ×
 * trainingMinutes: the cost per iteration is constant within a run).
 */
export function oldPointNear(
  run: RunView,
  minutes: number,
): { minutes: number; accuracy: number; ci95: number } | undefined {
  const minutesPer = run.trainingMinutes / Math.max(1, run.metaIterations);
  const points = run.evaluations
    .filter((r) => r.accuracy !== null)
    .map((r) => ({
      minutes: r.iteration * minutesPer,
      accuracy: r.accuracy as number,
      ci95: r.accuracyCi95 ?? 0,
    }));
  return points.sort((a, b) => Math.abs(a.minutes - minutes) - Math.abs(b.minutes - minutes))[0];
}

/**
 * Accuracy of every run of one task against training minutes: old-protocol runs as curves
 * (meta-val, CI bands), each algorithm's published accuracy dotted, and new-protocol seed groups
 * as points with their CI over seeds.
 */
export function comparisonChart(runs: readonly RunView[]) {
  const first = runs[0];
  if (first === undefined) throw new Error('@automl-ts/example-few-shot/comparisonChart: no runs to compare');
  const key = comparisonKey(first);
  const series: LineSeries[] = [];
  const references: ReferenceLine[] = [];
  for (const run of runs.filter((r) => r.protocol === 'old')) {
    const minutesPer = run.trainingMinutes / Math.max(1, run.metaIterations);
    const points = run.evaluations
      .filter((r) => r.accuracy !== null && r.iteration < run.metaIterations)
      .map((r) => ({
        x: r.iteration * minutesPer,
        y: r.accuracy as number,
        lower: (r.accuracy as number) - (r.accuracyCi95 ?? 0),
        upper: (r.accuracy as number) + (r.accuracyCi95 ?? 0),
      }));
    const paper = publishedAccuracy(run);
    const name = `${run.run.replace(`-${key}`, '')} (old): ${pct(run.final.accuracy)} ± ${pct(run.final.ci95)}, ${run.trainingMinutes.toFixed(0)} min${paper === undefined ? '' : `; paper ${paper}%`}`;
    series.push({
      name,
      points: [
        ...points,
        {
          x: run.trainingMinutes,
          y: run.final.accuracy,
          lower: run.final.accuracy - run.final.ci95,
          upper: run.final.accuracy + run.final.ci95,
        },
      ],
    });
    if (paper !== undefined) references.push({ y: paper / 100, label: '', series: name });
  }
  for (const group of seedGroups(runs.filter((r) => comparisonKey(r) === key))) {
    series.push({
      name: `${group.algorithm}, ${group.runs.length} seeds, meta-test: ${pct(group.overSeeds.mean)} ± ${pct(group.overSeeds.ci95)}`,
      mark: 'points',
      points: [
        {
          x: group.trainingMinutes,
          y: group.overSeeds.mean,
          lower: group.overSeeds.mean - group.overSeeds.ci95,
          upper: group.overSeeds.mean + group.overSeeds.ci95,
        },
      ],
    });
  }
  return lineChart({
    title: `${first.dataset} ${first.ways}-way ${first.shots}-shot: accuracy vs training time`,
    subtitle:
      'lines: old protocol (meta-val, minutes include evaluations); diamonds: meta-test, mean ± CI over seeds (CPU minutes); dotted: published',
    x: { title: 'training minutes (one core)', zero: true },
    y: { title: 'accuracy', format: '.0%' },
    series,
    references,
    width: 560,
    height: 340,
  });
}

/** Reads every results file of `directory` (both formats), sorted by name. */
export async function readRuns(directory: string): Promise<RunView[]> {
  const runs: RunView[] = [];
  for (const entry of (await readdir(directory)).filter((name) => name.endsWith('.json')).sort()) {
    const path = join(directory, entry);
    const parsed = JSON.parse(await readFile(path, 'utf8')) as RunReport | Results;
    runs.push(viewOf('schema' in parsed ? checkResults(parsed, `"${path}"`) : parsed));
  }
  return runs;
}

/** Writes results/<run>.json, then regenerates the plots and README of `directory`. */
export async function writeReport(directory: string, results: Results): Promise<void> {
  await writeResults(join(directory, `${results.run}.json`), results);
  await rebuildReports(directory);
}

/** Rewrites every run's SVG, the comparison plots and the README of `directory` from its JSON files. */
export async function rebuildReports(directory: string): Promise<number> {
  const runs = await readRuns(directory);
  for (const run of runs) await writeChart(join(directory, `${run.run}.svg`), accuracyChart(run));
  const byTask = new Map<string, RunView[]>();
  for (const run of runs) byTask.set(comparisonKey(run), [...(byTask.get(comparisonKey(run)) ?? []), run]);
  for (const [key, group] of byTask)
    await writeChart(join(directory, `comparison-${key}.svg`), comparisonChart(group));
  await writeFileAtomic(join(directory, 'README.md'), readme(runs, [...byTask.keys()]));
  return runs.length;
}

function readme(runs: readonly RunView[], keys: readonly string[]): string {
  const all = formatTable(
    [
      { title: 'run', value: (r: RunView) => r.run },
      {
        title: 'protocol',
        value: (r: RunView) => (r.protocol === 'old' ? 'old (final on meta-val)' : 'meta-test'),
      },
      { title: 'algorithm', value: (r: RunView) => r.algorithm },
      { title: 'task', value: (r: RunView) => `${r.dataset} ${r.ways}-way ${r.shots}-shot` },
      {
        title: 'meta-iterations',
        value: (r: RunView) => `${r.metaIterations} × ${r.metaBatch}`,
        align: 'right',
      },
      { title: 'training min', value: (r: RunView) => r.trainingMinutes.toFixed(1) },
      {
        title: 'evaluation min',
        value: (r: RunView) =>
          r.minutes === undefined
            ? 'in training'
            : (r.minutes.selectionWall + r.minutes.evaluationWall).toFixed(1),
        align: 'right',
      },
      { title: 'backend', value: (r: RunView) => r.backend },
      {
        title: 'accuracy',
        value: (r: RunView) =>
          `**${pct(r.final.accuracy)} ± ${pct(r.final.ci95)}** (${r.final.tasks} ${r.final.split} tasks, ${r.final.steps} steps)`,
      },
      {
        title: 'published',
        value: (r: RunView) => {
          const p = publishedAccuracy(r);
          return p === undefined ? '—' : `${p}%`;
        },
        align: 'right',
      },
      { title: 'plot', value: (r: RunView) => `[plot](${r.run}.svg)` },
    ],
    runs,
  );
  const groups = seedGroups(runs);
  const oldRuns = runs.filter((r) => r.protocol === 'old');
  const seedTable =
    groups.length === 0
      ? 'No run of the new protocol yet: the commands in `examples/few-shot/README.md` ("Rerun under the new protocol") produce them.'
      : formatTable(
          [
            { title: 'runs', value: (g: SeedGroup) => g.group },
            { title: 'seeds', value: (g: SeedGroup) => g.runs.length },
            { title: 'training CPU min (mean)', value: (g: SeedGroup) => g.trainingMinutes.toFixed(1) },
            {
              title: 'meta-test accuracy, mean ± CI over seeds (t)',
              value: (g: SeedGroup) => `**${pct(g.overSeeds.mean)} ± ${pct(g.overSeeds.ci95)}**`,
              align: 'left',
            },
            {
              title: 'pooled over tasks',
              value: (g: SeedGroup) => `${pct(g.pooled.mean)} ± ${pct(g.pooled.ci95)} (${g.pooled.n} tasks)`,
              align: 'left',
            },
            {
              title: 'old protocol, same task, nearest point (meta-val)',
              value: (g: SeedGroup) => {
                const first = g.runs[0] as RunView;
                const old = oldRuns.find(
                  (r) => r.algorithm === g.algorithm && comparisonKey(r) === comparisonKey(first),
                );
                const point = old === undefined ? undefined : oldPointNear(old, g.trainingMinutes);
                return point === undefined
                  ? '—'
                  : `${pct(point.accuracy)} ± ${pct(point.ci95)} at ${point.minutes.toFixed(1)} min`;
              },
              align: 'left',
            },
          ],
          groups,
        );
  const comparisons = keys.map((key) => `![${key}](comparison-${key}.svg)`).join('\n\n');
  const curves = runs.map((r) => `### ${r.run}\n\n![${r.run}](${r.run}.svg)\n\n${curveTable(r)}\n`);
  return `# Few-shot results

Written by \`examples/few-shot\` (\`pnpm --filter @automl-ts/example-few-shot start -- … --commit-results\`);
regenerated from the JSON files by \`start -- --rebuild-report --commit-results\`.

Two protocols are in this folder:

- **meta-test** (\`${PROTOCOL_ID}\`, the current one): the background alphabets are split three
  ways (meta-train / meta-val / meta-test, by alphabet, fixed seed), or meta-test is Omniglot's
  official evaluation set when the data directory has it; periodic model-selection evaluations use
  meta-val only, the reported number is on meta-test only. Training minutes are CPU minutes of
  training (the budget clock), evaluations excluded and timed apart. The files are
  \`automl-ts/results@1\` with provenance and every task's outcome.
- **old protocol** (the earlier runs, kept as they were): the final number is on the same
  meta-val classes as the periodic evaluations, and the training minutes (wall clock) include the
  periodic evaluations.

Accuracy is the mean over tasks with the half-width of its 95% confidence interval;
"meta-iterations" is outer steps × tasks per step. Published numbers are 5-way Omniglot test
accuracies of the papers (their runs trained far longer, e.g. MAML 60,000 × 32 tasks).

${all}

## Repeated runs under the meta-test protocol

Mean ± 95% CI over training seeds (Student's t over the seeds' means) and over all tasks pooled,
beside the single-seed old-protocol curve's evaluation nearest in training minutes.

${seedTable}

## Comparison

Accuracy against training minutes, one plot per task.

${comparisons}

## Learning curves

Meta-validation accuracy during training (periodic evaluations on fewer tasks), then the final one.

${curves.join('\n')}`;
}
