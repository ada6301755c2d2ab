import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { describeValue, writeFileAtomic } from '@automl-ts/core';
import { reportError } from './internal/errors.js';
import type { Provenance } from './provenance.js';
import { type Summary, summarize } from './stats.js';

/** The schema id every results file carries. */
export const RESULTS_SCHEMA = 'automl-ts/results@1';

/** A JSON value. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** What a pipeline hands to {@link buildResults}. */
export interface ResultsInput {
  /** The pipeline (example) that wrote it, e.g. `few-shot`. */
  pipeline: string;
  /** The run's name, unique within its results folder (also the file name). */
  run: string;
  /** The evaluation protocol, so results of different protocols are never compared unknowingly. */
  protocol: { id: string; description: string };
  /** The run's configuration (every option that changes the numbers). */
  config: Record<string, JsonValue>;
  provenance: Provenance;
  /**
   * Raw outcomes, one number per task or example, by name (`meta-test/accuracy`, …): the
   * summaries are computed from these, so anyone can recompute them.
   */
  outcomes: Record<string, readonly number[]>;
  /** Pipeline-specific data (learning curves, architectures, …). */
  data?: Record<string, JsonValue>;
}

/** A results file (`schema: "automl-ts/results@1"`); see the package README for every field. */
export interface Results {
  readonly schema: typeof RESULTS_SCHEMA;
  readonly pipeline: string;
  readonly run: string;
  readonly protocol: { readonly id: string; readonly description: string };
  readonly config: Readonly<Record<string, JsonValue>>;
  readonly provenance: Provenance;
  /** {@link summarize} of each outcome list (normal 95% interval), by the same names. */
  readonly summary: Readonly<Record<string, Summary>>;
  readonly outcomes: Readonly<Record<string, readonly number[]>>;
  readonly data: Readonly<Record<string, JsonValue>>;
}

/** Fills the summaries from the outcomes. */
export function buildResults(input: ResultsInput): Results {
  const fail = reportError('buildResults');
  for (const [name, values] of Object.entries(input.outcomes)) {
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'number' || !Number.isFinite(v)))
      throw fail(`outcomes["${name}"] must be an array of finite numbers, got ${describeValue(values)}`);
  }
  return {
    schema: RESULTS_SCHEMA,
    pipeline: input.pipeline,
    run: input.run,
    protocol: { ...input.protocol },
    config: input.config,
    provenance: input.provenance,
    summary: Object.fromEntries(
      Object.entries(input.outcomes).map(([name, values]) => [name, summarize(values)]),
    ),
    outcomes: input.outcomes,
    data: input.data ?? {},
  };
}

/**
 * Checks that `value` is a results file and that its summaries are the ones its outcomes give
 * (within 1e-12), and returns it typed.
 */
export function checkResults(value: unknown, where = 'results'): Results {
  const fail = reportError('checkResults');
  const results = value as Partial<Results> | null;
  if (typeof results !== 'object' || results === null || results.schema !== RESULTS_SCHEMA)
    throw fail(`${where} is not an ${RESULTS_SCHEMA} file (schema ${describeValue(results?.schema)})`);
  for (const key of ['pipeline', 'run', 'protocol', 'config', 'provenance', 'summary', 'outcomes'] as const) {
    if (results[key] === undefined) throw fail(`${where} has no "${key}"`);
  }
  for (const [name, values] of Object.entries(results.outcomes ?? {})) {
    const expected = summarize(values);
    const stored = results.summary?.[name];
    if (
      stored === undefined ||
      stored.n !== expected.n ||
      Math.abs(stored.mean - expected.mean) > 1e-12 ||
      Math.abs(stored.ci95 - expected.ci95) > 1e-12
    )
      throw fail(`${where}: summary["${name}"] does not match its ${values.length} outcomes`);
  }
  return results as Results;
}

/** Writes a results file atomically (pretty-printed JSON), creating its folder. */
export async function writeResults(path: string, results: Results): Promise<void> {
  checkResults(results, path);
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, `${JSON.stringify(results, null, 2)}\n`);
}

/** Reads and checks a results file (see {@link checkResults}). */
export async function readResults(path: string): Promise<Results> {
  const fail = reportError('readResults');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw fail(`cannot read "${path}"`, error);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw fail(`"${path}" is not JSON`, error);
  }
  return checkResults(parsed, `"${path}"`);
}
