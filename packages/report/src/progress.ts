import { Presets, SingleBar } from 'cli-progress';

/** Where progress is written: a stream with `write` (and `isTTY` on a terminal). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  /** Terminal width (cli-progress reads it). */
  columns?: number;
  cursorTo?: unknown;
  clearLine?: unknown;
  moveCursor?: unknown;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** The amount that means done (iterations, evaluations, tasks). */
  total: number;
  /**
   * Text before the bar.
   * @default ''
   */
  label?: string;
  /**
   * Where to draw.
   * @default process.stderr
   */
  stream?: ProgressStream;
  /**
   * Without a terminal, print one plain line every this many percent instead of a bar.
   * @default 10
   */
  logEveryPercent?: number;
}

/** Per-update details shown after the count. */
export interface ProgressFields {
  /** Free text (loss, best metric, …). */
  info?: string;
  /** Seconds left, when the caller knows better than the rate (e.g. a time budget). @default from the rate */
  etaSeconds?: number;
}

/** A progress display; {@link createProgress} makes one. */
export interface Progress {
  /** Sets the amount done. */
  update(value: number, fields?: ProgressFields): void;
  /** Changes the total (e.g. a resumed run). */
  setTotal(total: number): void;
  /** Ends the display (on a terminal, moves to a new line). */
  stop(): void;
}

/** Formats seconds as `42 s`, `3.5 min` or `2.1 h`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 90) return `${seconds.toFixed(0)} s`;
  if (seconds < 5400) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/**
 * Progress through `cli-progress`: a bar redrawn in place on a terminal; otherwise (logs, CI,
 * pipes) one plain line per `logEveryPercent` percent.
 *
 * @example
 * const progress = createProgress({ total: 1000, label: 'meta-train' });
 * progress.update(340, { info: 'loss 0.52', etaSeconds: 600 });
 * progress.stop();
 * // non-TTY: "meta-train  34% 340/1000 | loss 0.52 | eta 10.0 min"
 */
export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const label = options.label ?? '';
  const every = options.logEveryPercent ?? 10;
  let total = Math.max(0, options.total);
  const startedAt = performance.now();
  let lastStep = -1;
  let startValue: number | undefined;
  const eta = (value: number, fields: ProgressFields) => {
    if (fields.etaSeconds !== undefined) return fields.etaSeconds;
    const done = value - (startValue ?? 0);
    if (done <= 0) return Number.NaN;
    return (((performance.now() - startedAt) / 1000) * (total - value)) / done;
  };
  const tail = (value: number, fields: ProgressFields) =>
    `${fields.info === undefined || fields.info === '' ? '' : ` | ${fields.info}`} | eta ${formatDuration(eta(value, fields))}`;
  if (stream.isTTY === true) {
    const bar = new SingleBar(
      {
        stream: stream as unknown as NodeJS.WritableStream,
        format: `${label === '' ? '' : `${label} `}{bar} {percentage}% {value}/{total}{tail}`,
        hideCursor: false,
        clearOnComplete: false,
        barsize: 30,
      },
      Presets.shades_classic,
    );
    let started = false;
    return {
      update(value, fields = {}) {
        startValue ??= value;
        if (!started) {
          bar.start(total, value, { tail: tail(value, fields) });
          started = true;
        } else bar.update(value, { tail: tail(value, fields) });
      },
      setTotal(next) {
        total = next;
        bar.setTotal(next);
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  return {
    update(value, fields = {}) {
      startValue ??= value;
      const fraction = total === 0 ? 1 : Math.min(1, Math.max(0, value / total));
      const step = Math.floor((fraction * 100) / every);
      if (step <= lastStep) return;
      lastStep = step;
      stream.write(
        `${label === '' ? '' : `${label} `}${String(Math.floor(fraction * 100)).padStart(3)}% ${value}/${total}${tail(value, fields)}\n`,
      );
    },
    setTotal(next) {
      total = next;
    },
    stop() {},
  };
}
