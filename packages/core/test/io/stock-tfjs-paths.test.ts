// Issue 19, as the user did it: (1) the documented manual path (`import '@automl-ts/core/register'`,
// then `tf.setBackend('wasm')`, no initBackend) saves with `file://`; (2) the exported model loads
// in a Node process that has only `@tensorflow/tfjs` (no tfjs-node, no automl-ts), with the code
// block of docs/core.md that says how. This file must not call initBackend: it would register the
// file-system router and hide the first failure.

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createModel, toLayersModel } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const packageDir = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'automl-stock-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function exported(): { model: tf.LayersModel; x: tf.Tensor; expected: number[] } {
  const module = createModel('conv4', { inputSize: 16, inChannels: 1, channels: 4, numClasses: 3 });
  const model = toLayersModel(module, { inputShape: [16, 16, 1] });
  module.dispose();
  const x = tf.randomNormal([2, 16, 16, 1], 0, 1, 'float32', 7);
  const expected = Array.from((model.predict(x) as tf.Tensor).dataSync());
  return { model, x, expected };
}

describe('saving and loading with stock TF.js', () => {
  test("import '@automl-ts/core/register' then tf.setBackend('wasm'): model.save('file://…') works", async () => {
    // Without the register entry (or initBackend) stock TF.js has no file:// handler in Node.
    expect(tf.io.getSaveHandlers('file:///tmp/x')).toHaveLength(0);
    await import('../../src/register.js');
    expect(await tf.setBackend('wasm')).toBe(true);
    const { model, x, expected } = exported();
    await model.save(`file://${join(dir, 'manual')}`);
    const loaded = await tf.loadLayersModel(`file://${join(dir, 'manual', 'model.json')}`);
    const actual = Array.from((loaded.predict(x) as tf.Tensor).dataSync());
    expect(actual).toEqual(expected);
    tf.dispose([x]);
    model.dispose();
    loaded.dispose();
  });

  test('the exported model loads in Node with only @tensorflow/tfjs, as docs/core.md shows', async () => {
    const guide = await readFile(new URL('../../../../docs/core.md', import.meta.url), 'utf8');
    const section = guide.slice(guide.indexOf('\n## Exporting to a stock TF.js model\n'));
    const block = /```js\n([\s\S]*?)```/.exec(section)?.[1];
    expect(block, 'the js block of "Exporting to a stock TF.js model"').toMatch(/loadLayersModel/);
    const { model, x, expected } = exported();
    const target = join(dir, 'stock');
    await model.save(`file://${target}`);
    const input = Array.from(x.dataSync());
    const script = `${(block as string).replace("const dir = 'exported/best';", `const dir = ${JSON.stringify(target)};`)}
const y = model.predict(tf.tensor(${JSON.stringify(input)}, [2, 16, 16, 1]));
process.stdout.write(JSON.stringify({ backend: tf.getBackend(), values: Array.from(y.dataSync()) }));
`;
    expect(script).toContain(JSON.stringify(target));
    // A child process resolving packages from core's directory: @tensorflow/tfjs, nothing of ours.
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      cwd: packageDir,
      maxBuffer: 1 << 24,
    });
    const result = JSON.parse(stdout) as { backend: string; values: number[] };
    expect(result.backend).toBe('cpu');
    expect(result.values).toHaveLength(expected.length);
    result.values.forEach((v, i) => {
      expect(Math.abs(v - (expected[i] as number))).toBeLessThan(1e-5);
    });
    tf.dispose([x]);
    model.dispose();
  });
});
