import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  categorical,
  defineSearchSpace,
  intRange,
  loadArchitecture,
  parseArchitecture,
  saveArchitecture,
  stringifyArchitecture,
} from '@automl-ts/core';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { temporaryDirectory } from './fixtures.js';

const space = defineSearchSpace([intRange('depth', { min: 2, max: 4 }), categorical('kernel', [3, 5, 7])]);

let dir: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  dir = await temporaryDirectory();
});
afterEach(async () => {
  await dir.remove();
});

describe('architecture JSON', () => {
  test('round-trips through a file, choices in the space order', async () => {
    const path = join(dir.path, 'arch.json');
    await saveArchitecture(path, { kernel: 5, depth: 3 }, space);
    expect(await readFile(path, 'utf8')).toBe('{\n  "depth": 3,\n  "kernel": 5\n}\n');
    expect(await loadArchitecture(path, space)).toEqual({ depth: 3, kernel: 5 });
    expect(parseArchitecture(stringifyArchitecture({ depth: 4, kernel: 7 }, space), space)).toEqual({
      depth: 4,
      kernel: 7,
    });
  });

  test.each([
    [{ depth: 3, kernel: 4 }, 'choice "kernel" has value 4; allowed: 3, 5, 7'],
    [{ depth: 3 }, 'choice "kernel" is missing; allowed: 3, 5, 7'],
    [{ depth: 3, kernel: 3, width: 8 }, 'unknown choice "width"; the space has: depth, kernel'],
  ])('rejects %j naming the choice', async (arch, message) => {
    const path = join(dir.path, 'arch.json');
    await expect(saveArchitecture(path, arch as never, space)).rejects.toThrow(
      `@automl-ts/core/saveArchitecture: the architecture is not an architecture of the search space: ${message}`,
    );
    await writeFile(path, JSON.stringify(arch));
    await expect(loadArchitecture(path, space)).rejects.toThrow(
      `@automl-ts/core/loadArchitecture: "${path}" is not an architecture of the search space: ${message}`,
    );
  });

  test('rejects text that is not JSON', () => {
    expect(() => parseArchitecture('{depth: 3', space)).toThrow(
      /^@automl-ts\/core\/parseArchitecture: the text is not JSON/,
    );
  });
});
