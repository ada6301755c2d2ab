import type { SearchEvent } from '@automl-ts/evolution';
import { createProgress, type ProgressStream } from './progress.js';

/** Options of {@link searchProgress}. */
export interface SearchProgressOptions {
  /**
   * Text before the bar.
   * @default 'search'
   */
  label?: string;
  /**
   * Where to draw.
   * @default process.stderr
   */
  stream?: ProgressStream;
  /**
   * Without a terminal, one line every this many percent.
   * @default 10
   */
  logEveryPercent?: number;
}

function describeBest(metrics: Readonly<Record<string, number>>, metric: string | undefined): string {
  if (metric === undefined) return '';
  const value = metrics[metric];
  return `${metric} ${value === undefined ? '?' : Number(value.toPrecision(4))}`;
}

/**
 * An `onProgress` callback for `@automl-ts/evolution`'s `runSearch`: a bar (or a log line per N%)
 * of evaluations (or generations) with the generation, the best first objective and failures,
 * then a summary line when the search is done.
 *
 * @example
 * await runSearch({ ...options, onProgress: searchProgress() });
 * // search ████████░░░░░░  34% 340/1000 | gen 339 | best accuracy 0.9132 | eta 24 s
 */
export function searchProgress(options: SearchProgressOptions = {}): (event: SearchEvent) => void {
  const stream = options.stream ?? process.stderr;
  let progress: ReturnType<typeof createProgress> | undefined;
  return (event) => {
    if (event.type === 'done') {
      progress?.stop();
      const { result } = event;
      const best =
        result.best === undefined
          ? 'no successful evaluation'
          : `best ${describeBest(result.best.metrics, result.objectives[0]?.metric)}`;
      stream.write(
        `done: ${result.evaluations} evals (${result.uniqueEvaluations} unique, ${result.failed} failed) in ` +
          `${result.generations} generations, ${(result.elapsedMs / 1000).toFixed(1)} s; ${best}\n`,
      );
      return;
    }
    const byEvaluations = event.budget.evaluations !== undefined;
    const total = event.budget.evaluations ?? event.budget.generations ?? 0;
    progress ??= createProgress({
      total,
      label: options.label ?? 'search',
      stream,
      ...(options.logEveryPercent === undefined ? {} : { logEveryPercent: options.logEveryPercent }),
    });
    const best =
      event.best === undefined
        ? ''
        : ` | best ${describeBest(event.best.metrics, event.objectives[0]?.metric)}`;
    const failed = event.failed > 0 ? ` | ${event.failed} failed` : '';
    progress.update(byEvaluations ? event.evaluations : event.generation + 1, {
      info: `gen ${event.generation}${best}${failed}`,
    });
  };
}
