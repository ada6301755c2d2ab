import { fileURLToPath } from 'node:url';
import type { HistoryRecord } from '@automl-ts/evolution';

/** A history without its wall-clock fields, for comparing runs. */
export function withoutTimes(
  history: readonly HistoryRecord[],
): Omit<HistoryRecord, 'time' | 'durationMs'>[] {
  return history.map(({ time: _time, durationMs: _durationMs, ...rest }) => rest);
}

/** Mean and sample standard deviation. */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const variance =
    values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / Math.max(1, values.length - 1);
  return { mean, std: Math.sqrt(variance) };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Environment for the child processes and worker threads the tests start through tsx: they
 * resolve `@automl-ts/core` to its sources, as vitest's alias does, never to a stale build.
 */
export const TSX_SOURCE_ENV = {
  TSX_TSCONFIG_PATH: fileURLToPath(new URL('./tsconfig.source.json', import.meta.url)),
} as const;
