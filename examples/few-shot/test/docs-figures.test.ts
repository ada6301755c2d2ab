import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { regenerate } from '../scripts/docs-figures.js';

describe('docs figures', () => {
  test("docs/meta-learning.md's few-shot table is the one the committed results give", async () => {
    const doc = await readFile(
      resolve(import.meta.dirname, '..', '..', '..', 'docs', 'meta-learning.md'),
      'utf8',
    );
    expect(await regenerate(doc)).toBe(doc);
    expect(doc).toContain('| 1-shot | **95.5 % ± 0.4 %** (120 min, 2,359 × 8 tasks) |');
  });
});
