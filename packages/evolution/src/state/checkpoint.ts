import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RngState, SearchSpaceJSON } from '@automl-ts/core';
import { writeFileAtomic } from '@automl-ts/core';
import { describeValue, errorFactory } from '../internal/errors.js';
import type { JsonValue } from '../strategies/strategy.js';
import type { Objective } from '../types.js';

/** File name of the checkpoint inside a checkpoint directory. */
export const CHECKPOINT_FILE = 'checkpoint.json';
/** File name of the JSONL history inside a checkpoint directory. */
export const HISTORY_FILE = 'history.jsonl';

/**
 * Everything needed to continue a search exactly where it stopped: written after every
 * generation (atomically), beside `history.jsonl`, which holds the records it counts.
 */
export interface SearchCheckpoint {
  readonly format: 'automl-ts/evolution-checkpoint';
  readonly version: 1;
  readonly strategy: { readonly name: string; readonly config: JsonValue };
  readonly seed: number | string;
  readonly space: SearchSpaceJSON;
  readonly objectives: readonly Objective[];
  /** Generations completed. */
  readonly generation: number;
  /** Records of `history.jsonl` that belong to this checkpoint (later lines are discarded). */
  readonly historyLength: number;
  readonly rng: RngState;
  readonly strategyState: JsonValue;
  /** Search time so far, in milliseconds. */
  readonly elapsedMs: number;
  /** When it was written, ISO 8601. */
  readonly updatedAt: string;
}

/** Temporary files of an atomic write of the checkpoint (`.checkpoint.json.<hex>.tmp`). */
const CHECKPOINT_TEMPORARY = /^\.checkpoint\.json\.[0-9a-f]+\.tmp$/;

/**
 * Writes `checkpoint.json` in `dir` atomically (temporary file + rename), then removes temporary
 * files that a process killed between writing and renaming left behind: the search writing this
 * checkpoint owns the directory.
 */
export async function writeSearchCheckpoint(dir: string, checkpoint: SearchCheckpoint): Promise<void> {
  await writeFileAtomic(join(dir, CHECKPOINT_FILE), `${JSON.stringify(checkpoint)}\n`);
  for (const entry of await readdir(dir)) {
    if (CHECKPOINT_TEMPORARY.test(entry)) await rm(join(dir, entry), { force: true });
  }
}

/** Reads `checkpoint.json` from `dir`; `undefined` when there is none. */
export async function loadSearchCheckpoint(dir: string): Promise<SearchCheckpoint | undefined> {
  const fail = errorFactory('loadSearchCheckpoint');
  let text: string;
  try {
    text = await readFile(join(dir, CHECKPOINT_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw fail(`${join(dir, CHECKPOINT_FILE)} is not JSON`, error);
  }
  const checkpoint = parsed as Partial<SearchCheckpoint>;
  if (checkpoint.format !== 'automl-ts/evolution-checkpoint' || checkpoint.version !== 1) {
    throw fail(
      `${join(dir, CHECKPOINT_FILE)} is not a version 1 evolution checkpoint: ${describeValue(parsed)}`,
    );
  }
  return checkpoint as SearchCheckpoint;
}
