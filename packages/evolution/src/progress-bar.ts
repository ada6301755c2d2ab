import type { SearchEvent } from './search.js';

/** Options of {@link progressBar}. */
export interface ProgressBarOptions {
  /**
   * Where to draw.
   * @default process.stderr
   */
  stream?: { write(text: string): unknown; isTTY?: boolean };
  /**
   * Bar width in characters.
   * @default 30
   */
  width?: number;
  /**
   * Lines printed when the stream is not a terminal (a log line every 1/lines of the budget).
   * @default 10
   */
  lines?: number;
}

/**
 * A progress callback for CLI examples: a bar redrawn in place on a terminal, a line every 10%
 * otherwise, with evaluations, generation, failures, the best first objective and elapsed time.
 *
 * @example
 * await runSearch({ ...options, onProgress: progressBar() });
 * // [##########--------------------]  34% 340/1000 evals | gen 339 | best accuracy 0.9132 | 12.4 s
 */
export function progressBar(options: ProgressBarOptions = {}): (event: SearchEvent) => void {
  const stream = options.stream ?? process.stderr;
  const width = options.width ?? 30;
  const lines = options.lines ?? 10;
  const terminal = stream.isTTY === true;
  let lastStep = -1;
  return (event) => {
    if (event.type === 'done') {
      const { result } = event;
      const best = result.best;
      const summary =
        best === undefined
          ? 'no successful evaluation'
          : `best ${describeBest(best.metrics, result.objectives[0]?.metric)}`;
      stream.write(
        `${terminal ? '\n' : ''}done: ${result.evaluations} evals (${result.uniqueEvaluations} unique, ${result.failed} failed) ` +
          `in ${result.generations} generations, ${(result.elapsedMs / 1000).toFixed(1)} s; ${summary}\n`,
      );
      return;
    }
    const { evaluations, budget } = event;
    const fraction =
      budget.evaluations !== undefined
        ? evaluations / budget.evaluations
        : budget.generations !== undefined
          ? (event.generation + 1) / budget.generations
          : 0;
    const clamped = Math.min(1, Math.max(0, fraction));
    const filled = Math.round(clamped * width);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
    const total = budget.evaluations === undefined ? '' : `/${budget.evaluations}`;
    const best =
      event.best === undefined
        ? ''
        : ` | best ${describeBest(event.best.metrics, event.objectives[0]?.metric)}`;
    const failed = event.failed > 0 ? ` | ${event.failed} failed` : '';
    const line =
      `${bar} ${(clamped * 100).toFixed(0).padStart(3)}% ${evaluations}${total} evals | gen ${event.generation}` +
      `${best}${failed} | ${(event.elapsedMs / 1000).toFixed(1)} s`;
    if (terminal) {
      stream.write(`\r${line}`);
      return;
    }
    const step = Math.floor(clamped * lines);
    if (step > lastStep) {
      lastStep = step;
      stream.write(`${line}\n`);
    }
  };
}

function describeBest(metrics: Readonly<Record<string, number>>, metric: string | undefined): string {
  if (metric === undefined) return '';
  const value = metrics[metric];
  return `${metric} ${value === undefined ? '?' : Number(value.toPrecision(4))}`;
}
