// The threaded wasm build in Node: started with 2 threads in this test process (vitest runs each
// file in its own process, and the thread count is fixed when the wasm module starts).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRng, initBackend } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { liveWasmThreadWorkers, startWasmWithNodeThreads } from '../../src/backend/wasm-node-threads.js';
import { checksum, trainThreeSteps } from './fixtures/train-three-steps.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/train-three-steps.ts', import.meta.url));

describe('wasm with threads in Node', () => {
  beforeAll(async () => {
    const info = await initBackend({ prefer: 'wasm', threads: 2 });
    expect(info).toMatchObject({ name: 'wasm', simd: true, threads: 2 });
  });

  test('starts XNNPACK with 2 threads, and a later call reports the running count', async () => {
    expect(liveWasmThreadWorkers()).toBeGreaterThanOrEqual(1);
    const again = await initBackend({ prefer: 'wasm', threads: 4 });
    expect(again.threads).toBe(2);
  });

  test('a convolution and its gradients match the cpu backend', async () => {
    const rng = createRng(5);
    const x = tf.randomNormal([8, 20, 20, 24], 0, 1, 'float32', rng.seed()) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 24, 40], 0, 0.2, 'float32', rng.seed()) as tf.Tensor4D;
    const run = () =>
      tf.tidy(() => {
        const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'))),
        )([x, w]);
        return [value.dataSync()[0] as number, ...grads.map((g) => [...g.dataSync()])];
      });
    const threaded = run();
    await tf.setBackend('cpu');
    const reference = run();
    await tf.setBackend('wasm');
    expect(Math.abs((threaded[0] as number) - (reference[0] as number))).toBeLessThan(
      1e-4 * Math.abs(reference[0] as number),
    );
    for (const i of [1, 2]) {
      const a = threaded[i] as number[];
      const b = reference[i] as number[];
      const scale = Math.max(...b.map(Math.abs));
      expect(Math.max(...a.map((v, j) => Math.abs(v - (b[j] as number))))).toBeLessThan(1e-4 * scale);
    }
    tf.dispose([x, w]);
  });

  test('same seed, same result; and the same result as one thread in another process', () => {
    const first = trainThreeSteps();
    const second = trainThreeSteps();
    expect(second).toEqual(first);
    const oneThread = JSON.parse(
      execFileSync(process.execPath, ['--import', 'tsx', SCRIPT], {
        env: { ...process.env, AUTOML_THREADS: '1' },
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      }),
    ) as { threads: number; losses: number[]; checksum: number };
    expect(oneThread.threads).toBe(1);
    expect(oneThread.losses).toEqual(first.losses);
    expect(oneThread.checksum).toBe(checksum(first.params));
  });

  test('a process that trained on threaded wasm exits by itself (its pthread workers do not hold it)', () => {
    // A generous timeout: the child only has to finish three small steps; a hang never finishes.
    const twoThreads = JSON.parse(
      execFileSync(process.execPath, ['--import', 'tsx', SCRIPT], {
        env: { ...process.env, AUTOML_THREADS: '2' },
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        timeout: 100_000,
      }),
    ) as { threads: number };
    expect(twoThreads.threads).toBe(2);
  });

  test('training steps leak no tensors and start no more workers', () => {
    const workers = liveWasmThreadWorkers();
    trainThreeSteps();
    const tensors = tf.memory().numTensors;
    trainThreeSteps();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(liveWasmThreadWorkers()).toBe(workers);
  });
});

describe('startWasmWithNodeThreads when a worker thread fails', () => {
  /** Starts a "module" whose single pthread worker runs `body` (the marker makes it look like Emscripten's). */
  function startWith(body: string): Promise<boolean> {
    return startWasmWithNodeThreads({
      threads: 2,
      start: async () => {
        const { Worker } = (await import('node:worker_threads')).default;
        const url = URL.createObjectURL(new Blob([`var self={importScripts:function(f){}};${body}`]));
        new Worker(url);
        return new Promise<boolean>(() => {}); // a module waiting for its workers forever
      },
    });
  }

  test('a worker that throws is a clear error, not a hang', async () => {
    await expect(startWith('throw new Error("boom in the worker")')).rejects.toThrow(
      /^@automl-ts\/core\/initBackend: wasm worker thread \d+ failed to start: boom in the worker$/,
    );
  });

  test('a worker that exits is a clear error, not a hang', async () => {
    await expect(startWith('process.exit(3)')).rejects.toThrow(
      /^@automl-ts\/core\/initBackend: wasm worker thread \d+ exited with code 3 before loading the wasm module$/,
    );
  });

  test('the globals it bridged are restored', async () => {
    const blob = globalThis.Blob;
    const create = URL.createObjectURL;
    const { Worker } = (await import('node:worker_threads')).default;
    await expect(startWith('process.exit(1)')).rejects.toThrow(/exited with code 1/);
    expect(globalThis.Blob).toBe(blob);
    expect(URL.createObjectURL).toBe(create);
    expect((await import('node:worker_threads')).default.Worker).toBe(Worker);
  });
});
