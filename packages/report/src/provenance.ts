import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, freemem, loadavg, arch as osArch, platform, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { invocationDirectory } from './paths.js';

/** Wall-clock and process CPU time of one phase of a run (training, evaluation, …). */
export interface PhaseTime {
  /** Wall-clock minutes. */
  readonly wallMinutes: number;
  /**
   * Process CPU minutes (user + system, all threads of the process summed: a run using two
   * threads fully for one minute counts two).
   */
  readonly cpuMinutes: number;
}

/** What produced a result: enough to rerun it and to judge it. */
export interface Provenance {
  /** The git commit of the working tree and whether it had uncommitted changes; null outside git. */
  readonly git: { readonly commit: string; readonly dirty: boolean } | null;
  /** The exact command: `process.argv`, the process's directory and the one the user typed it in. */
  readonly command: {
    readonly argv: readonly string[];
    readonly cwd: string;
    /** `INIT_CWD` (set by pnpm), else `cwd`. */
    readonly invocationDirectory: string;
  };
  /** Every seed of the run, by role (`weights`, `tasks`, `split`, …). */
  readonly seeds: Readonly<Record<string, number>>;
  /** The TF.js backend and its thread count (null where it has no thread pool). */
  readonly backend: { readonly name: string; readonly threads: number | null };
  /** Installed versions of `@automl-ts/*` and `@tensorflow/*`, by package name. */
  readonly packages: Readonly<Record<string, string>>;
  readonly machine: {
    readonly cores: number;
    readonly cpuModel: string;
    readonly totalMemoryBytes: number;
    readonly freeMemoryBytes: number;
    /** 1-minute load average when the run started (0 on Windows). */
    readonly loadAverage: number;
    readonly os: string;
    readonly node: string;
  };
  readonly timing: {
    readonly startedAt: string;
    readonly finishedAt: string;
    /** Named phases; pipelines report at least `training` and `evaluation` where they have them. */
    readonly phases: Readonly<Record<string, PhaseTime>>;
  };
}

/** Options of {@link collectProvenance}. */
export interface ProvenanceOptions {
  /** Every seed of the run, by role. */
  seeds: Record<string, number>;
  /** The backend (e.g. `{ name: tf.getBackend(), threads }`). */
  backend: { name: string; threads: number | null };
  /** When the run started (a {@link RunClock}'s `startedAt`, or a `Date`). */
  startedAt: Date | string;
  /**
   * When it finished.
   * @default now
   */
  finishedAt?: Date | string;
  /** Phase times (see {@link RunClock}). */
  phases: Record<string, PhaseTime>;
  /**
   * Directory whose `node_modules` (and its parents') give the package versions, and whose git
   * repository gives the commit.
   * @default process.cwd()
   */
  from?: string;
  /**
   * The command line.
   * @default process.argv
   */
  argv?: readonly string[];
}

function git(directory: string): Provenance['git'] {
  try {
    const run = (args: string[]) =>
      execFileSync('git', args, { cwd: directory, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return { commit: run(['rev-parse', 'HEAD']).trim(), dirty: run(['status', '--porcelain']).trim() !== '' };
  } catch {
    return null;
  }
}

/** Versions of `@automl-ts/*` and `@tensorflow/*` resolvable from `directory` (nearest `node_modules` wins). */
export function packageVersions(directory: string): Record<string, string> {
  const found: Record<string, string> = {};
  let current = resolve(directory);
  for (;;) {
    for (const scope of ['@automl-ts', '@tensorflow']) {
      const scopeDir = join(current, 'node_modules', scope);
      if (!existsSync(scopeDir)) continue;
      for (const name of readdirSync(scopeDir)) {
        const manifest = join(scopeDir, name, 'package.json');
        const id = `${scope}/${name}`;
        if (found[id] !== undefined || !existsSync(manifest)) continue;
        try {
          found[id] = String((JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown }).version);
        } catch {
          // An unreadable manifest is left out rather than failing the report.
        }
      }
    }
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return Object.fromEntries(Object.entries(found).sort(([a], [b]) => a.localeCompare(b)));
}

const iso = (time: Date | string) => (typeof time === 'string' ? time : time.toISOString());

/**
 * Records what produced a result: git commit and dirty flag, command line and directories, seeds,
 * backend and threads, package versions, machine, start and finish times and phase times.
 *
 * @example
 * const clock = createRunClock();
 * await clock.time('training', () => train());
 * const provenance = collectProvenance({
 *   seeds: { weights: 0 }, backend: { name: tf.getBackend(), threads: null },
 *   startedAt: clock.startedAt, phases: clock.phases(), from: EXAMPLE_DIR,
 * });
 */
export function collectProvenance(options: ProvenanceOptions): Provenance {
  const from = options.from ?? process.cwd();
  const cpuList = cpus();
  return {
    git: git(from),
    command: {
      argv: [...(options.argv ?? process.argv)],
      cwd: process.cwd(),
      invocationDirectory: invocationDirectory(),
    },
    seeds: { ...options.seeds },
    backend: { name: options.backend.name, threads: options.backend.threads },
    packages: packageVersions(from),
    machine: {
      cores: cpuList.length,
      cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
      totalMemoryBytes: totalmem(),
      freeMemoryBytes: freemem(),
      loadAverage: loadavg()[0] ?? 0,
      os: `${platform()} ${release()} ${osArch()}`,
      node: process.version,
    },
    timing: {
      startedAt: iso(options.startedAt),
      finishedAt: iso(options.finishedAt ?? new Date()),
      phases: { ...options.phases },
    },
  };
}

/** Wall-clock and CPU clocks in seconds, injectable for tests. */
export interface Clocks {
  /** Wall-clock seconds (any origin). */
  wallSeconds(): number;
  /** Process CPU seconds (any origin). */
  cpuSeconds(): number;
}

/** The process's clocks: `performance.now()` and `process.cpuUsage()` (user + system). */
export const processClocks: Clocks = {
  wallSeconds: () => performance.now() / 1000,
  cpuSeconds: () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
  },
};

/** Accumulates wall and CPU time per named phase of a run. */
export interface RunClock {
  /** When the clock was created. */
  readonly startedAt: Date;
  /** Runs `fn` and adds its wall and CPU time to `phase`. */
  time<T>(phase: string, fn: () => T | Promise<T>): Promise<T>;
  /** Adds time measured elsewhere (e.g. `metaTrain`'s, which spans resumes) to `phase`. */
  add(phase: string, seconds: { wall: number; cpu: number }): void;
  /** The phases so far, in minutes. */
  phases(): Record<string, PhaseTime>;
}

/**
 * A clock of the phases of a run, so training and evaluation minutes are kept apart.
 *
 * @example
 * const clock = createRunClock();
 * const model = await clock.time('training', () => train());
 * const score = await clock.time('evaluation', () => evaluate(model));
 * clock.phases(); // { training: { wallMinutes, cpuMinutes }, evaluation: { … } }
 */
export function createRunClock(clocks: Clocks = processClocks, startedAt = new Date()): RunClock {
  const totals = new Map<string, { wall: number; cpu: number }>();
  const add = (phase: string, seconds: { wall: number; cpu: number }) => {
    const total = totals.get(phase) ?? { wall: 0, cpu: 0 };
    totals.set(phase, { wall: total.wall + seconds.wall, cpu: total.cpu + seconds.cpu });
  };
  return {
    startedAt,
    add,
    async time(phase, fn) {
      const wall = clocks.wallSeconds();
      const cpu = clocks.cpuSeconds();
      try {
        return await fn();
      } finally {
        add(phase, { wall: clocks.wallSeconds() - wall, cpu: clocks.cpuSeconds() - cpu });
      }
    },
    phases: () =>
      Object.fromEntries(
        [...totals].map(([phase, { wall, cpu }]) => [
          phase,
          { wallMinutes: wall / 60, cpuMinutes: cpu / 60 },
        ]),
      ),
  };
}
