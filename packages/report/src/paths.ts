import { isAbsolute, relative, resolve, sep } from 'node:path';
import { reportError } from './internal/errors.js';

/**
 * The directory the user typed the command in: `INIT_CWD` (pnpm sets it; `pnpm --filter x start`
 * runs the script inside the package) or else the process's working directory.
 */
export function invocationDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const init = env.INIT_CWD;
  return init !== undefined && init !== '' ? resolve(init) : process.cwd();
}

/**
 * Resolves a path the user typed against {@link invocationDirectory} (absolute paths are kept).
 *
 * @example
 * // `pnpm --filter @automl-ts/example-few-shot start -- --data-dir ../shared/data` from /work/main
 * resolveUserPath('../shared/data'); // '/work/shared/data', not '/work/main/examples/shared/data'
 */
export function resolveUserPath(path: string, base: string = invocationDirectory()): string {
  return isAbsolute(path) ? resolve(path) : resolve(base, path);
}

/** Options of {@link resolveResultsDirectory}. */
export interface ResultsDirectoryOptions {
  /** The example's folder (holding `results/` and `runs/`). */
  exampleDir: string;
  /** The user's `--results <dir>`, if any (resolved with {@link resolveUserPath}). */
  requested?: string | undefined;
  /** The user's `--commit-results`: write into the committed `results/`. */
  commit?: boolean;
  /**
   * The option names, for messages.
   * @default { results: '--results', commit: '--commit-results' }
   */
  flags?: { results: string; commit: string };
}

/** Where a run writes its results, and whether that is the committed folder. */
export interface ResultsDirectory {
  readonly directory: string;
  /** True when `directory` is the example's committed `results/`. */
  readonly committed: boolean;
}

const inside = (parent: string, child: string) => {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && !rel.startsWith(`..${sep}`));
};

/**
 * The results location policy of the examples: ad-hoc runs write to `<example>/runs/results/`
 * (git-ignored); the committed `<example>/results/` needs `commit` (`--commit-results`), so a
 * trial run never overwrites a published result. A `requested` folder inside the committed one
 * needs the flag too.
 *
 * @example
 * const { directory } = resolveResultsDirectory({ exampleDir, requested: args.results, commit: args.commitResults });
 */
export function resolveResultsDirectory(options: ResultsDirectoryOptions): ResultsDirectory {
  const flags = options.flags ?? { results: '--results', commit: '--commit-results' };
  const committedDir = resolve(options.exampleDir, 'results');
  const directory =
    options.requested !== undefined
      ? resolveUserPath(options.requested)
      : options.commit === true
        ? committedDir
        : resolve(options.exampleDir, 'runs', 'results');
  const committed = inside(committedDir, directory);
  if (committed && options.commit !== true) {
    throw reportError('resolveResultsDirectory')(
      `${flags.results} "${directory}" is the committed results folder: pass ${flags.commit} to replace committed results`,
    );
  }
  return { directory, committed };
}
