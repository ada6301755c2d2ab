import { appendFile, open, readFile, truncate, writeFile } from 'node:fs/promises';
import { errorFactory } from '../internal/errors.js';
import type { HistoryRecord } from '../types.js';

/** One JSON line per record. */
export function historyToJsonl(records: readonly HistoryRecord[]): string {
  let text = '';
  for (const record of records) text += `${JSON.stringify(record)}\n`;
  return text;
}

/** Writes a whole history as JSONL (one record per line). */
export async function writeHistory(path: string, records: readonly HistoryRecord[]): Promise<void> {
  await writeFile(path, historyToJsonl(records), 'utf8');
}

/** Appends records to a JSONL history and flushes them to disk. */
export async function appendHistory(path: string, records: readonly HistoryRecord[]): Promise<void> {
  if (records.length === 0) return;
  await appendFile(path, historyToJsonl(records), 'utf8');
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Reads a JSONL history. With `limit`, reads only the first `limit` records and cuts the file
 * after them (a checkpoint that knew `limit` records discards whatever a killed run appended
 * after it).
 */
export async function readHistory(path: string, options: { limit?: number } = {}): Promise<HistoryRecord[]> {
  const fail = errorFactory('readHistory');
  const text = await readFile(path, 'utf8');
  const records: HistoryRecord[] = [];
  let offset = 0;
  let line = 0;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  while (offset < text.length && records.length < limit) {
    const end = text.indexOf('\n', offset);
    if (end < 0) {
      if (options.limit === undefined) break;
      throw fail(`${path} ends in a partial line after ${records.length} records, expected ${limit}`);
    }
    line++;
    try {
      records.push(JSON.parse(text.slice(offset, end)) as HistoryRecord);
    } catch (error) {
      throw fail(`${path}:${line} is not JSON`, error);
    }
    offset = end + 1;
  }
  if (options.limit !== undefined) {
    if (records.length < options.limit) {
      throw fail(`${path} has ${records.length} records, the checkpoint expects ${options.limit}`);
    }
    if (offset < text.length) await truncate(path, Buffer.byteLength(text.slice(0, offset), 'utf8'));
  }
  return records;
}
