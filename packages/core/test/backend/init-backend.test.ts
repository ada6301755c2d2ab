import { availableParallelism } from 'node:os';
import { initBackend } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, test } from 'vitest';

const GPU = '@tensorflow/tfjs-node-gpu';
const NODE = '@tensorflow/tfjs-node';
const WASM = '@tensorflow/tfjs-backend-wasm';

/** Fakes `import()` of the optional backends: `installed` packages load, the rest throw like a missing module. */
function fakeImports(installed: Record<string, () => void>): (specifier: string) => Promise<unknown> {
  return async (specifier) => {
    const load = installed[specifier];
    if (load === undefined) throw new Error(`Cannot find package '${specifier}'`);
    load();
    return specifier === WASM ? import(WASM) : {};
  };
}

/** What tfjs-node(-gpu) does on import: registers a backend named "tensorflow" (here a cpu backend in disguise). */
function registerFakeTensorflowBackend(): void {
  if (tf.findBackendFactory('tensorflow') != null) return;
  const cpuFactory = tf.findBackendFactory('cpu');
  if (cpuFactory == null) throw new Error('cpu backend missing');
  tf.registerBackend('tensorflow', cpuFactory, 3);
}

const realWasm = { [WASM]: () => {} };

afterEach(async () => {
  if (tf.findBackendFactory('tensorflow') != null) {
    await tf.setBackend('cpu');
    tf.removeBackend('tensorflow');
  }
});

describe('initBackend selection', () => {
  test('auto picks CUDA first when @tensorflow/tfjs-node-gpu loads', async () => {
    const loaded: string[] = [];
    const info = await initBackend({
      importModule: fakeImports({
        [GPU]: () => {
          loaded.push(GPU);
          registerFakeTensorflowBackend();
        },
        [NODE]: () => loaded.push(NODE),
      }),
    });
    expect(info).toMatchObject({
      name: 'tensorflow',
      device: 'cuda',
      package: GPU,
      tfjsVersion: tf.version_core,
    });
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(tf.getBackend()).toBe('tensorflow');
    expect(loaded).toEqual([GPU]);
  });

  test('auto falls back to the CPU libtensorflow build when the GPU build fails to load', async () => {
    const info = await initBackend({
      importModule: fakeImports({
        [GPU]: () => {
          throw new Error('libcudart.so.11.0: cannot open shared object file');
        },
        [NODE]: registerFakeTensorflowBackend,
      }),
    });
    expect(info).toMatchObject({ name: 'tensorflow', device: 'cpu', package: NODE });
  });

  test('auto picks wasm when neither libtensorflow build is installed', async () => {
    const info = await initBackend({ importModule: fakeImports(realWasm) });
    // Default threads: AUTOML_THREADS if set, else the machine's cores (at most 8).
    const cores = Number(process.env.AUTOML_THREADS ?? Math.min(8, availableParallelism()));
    expect(info).toMatchObject({ name: 'wasm', device: 'cpu', package: WASM, threads: cores });
    expect(typeof info.simd).toBe('boolean');
    expect(tf.getBackend()).toBe('wasm');
  });

  test.each([0, 1.5, 9, '2'])('threads %j is rejected with the allowed range', async (threads) => {
    await expect(initBackend({ prefer: 'wasm', threads: threads as number })).rejects.toThrow(
      `@automl-ts/core/initBackend: threads must be an integer from 1 to 8, got ${JSON.stringify(threads)}`,
    );
  });

  test('auto falls back to cpu when wasm cannot be loaded', async () => {
    const info = await initBackend({ importModule: fakeImports({}) });
    expect(info).toMatchObject({ name: 'cpu', device: 'cpu', package: '@tensorflow/tfjs' });
    expect(tf.getBackend()).toBe('cpu');
  });

  test('the default loader finds the real wasm package and skips the absent tfjs-node builds', async () => {
    const info = await initBackend();
    expect(info.name).toBe('wasm');
  });

  test.each([
    ['cpu', 'cpu'],
    ['wasm', 'wasm'],
  ] as const)('an explicit %s is honoured', async (prefer, expected) => {
    const info = await initBackend({ prefer, importModule: fakeImports(realWasm) });
    expect(info.name).toBe(expected);
    expect(tf.getBackend()).toBe(expected);
  });

  test('an explicit tensorflow that cannot load names the packages, the available backends and how to install', async () => {
    const attempt = initBackend({ prefer: 'tensorflow', importModule: fakeImports(realWasm) });
    await expect(attempt).rejects.toThrow(
      /^@automl-ts\/core\/initBackend: backend "tensorflow" is not available/,
    );
    await expect(attempt).rejects.toThrow(/@tensorflow\/tfjs-node-gpu could not be loaded/);
    await expect(attempt).rejects.toThrow(/Available: wasm, cpu\./);
    await expect(attempt).rejects.toThrow(/npm install @tensorflow\/tfjs-node-gpu@4\.22\.0/);
    await expect(attempt).rejects.toThrow(/"GPU \(CUDA\)"/);
  });

  test('an explicit wasm that cannot load says so and lists cpu', async () => {
    await expect(initBackend({ prefer: 'wasm', importModule: fakeImports({}) })).rejects.toThrow(
      /backend "wasm" is not available: @tensorflow\/tfjs-backend-wasm could not be loaded .*Available: cpu\./,
    );
  });

  test('an unknown preference is rejected with the allowed values', async () => {
    // @ts-expect-error: testing a value outside the type, as a JS caller could pass
    await expect(initBackend({ prefer: 'webgpu' })).rejects.toThrow(
      '@automl-ts/core/initBackend: prefer must be one of "auto", "tensorflow", "wasm", "cpu"; got "webgpu"',
    );
  });
});

describe("TF.js's tfjs-node banner on the cpu backend", () => {
  const BANNER = /Hi, looks like you are running TensorFlow\.js in Node\.js/;

  /** A fresh cpu backend (the banner comes on a backend's first tensor), with console.warn recorded. */
  async function freshCpu(init: () => Promise<unknown>): Promise<string[]> {
    const factory = tf.findBackendFactory('cpu');
    if (factory == null) throw new Error('cpu backend missing');
    tf.removeBackend('cpu');
    tf.registerBackend('cpu', factory, 1);
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => warnings.push(args.join(' '));
    try {
      await init();
      tf.tensor1d([1, 2]).dispose();
    } finally {
      console.warn = warn;
    }
    return warnings;
  }

  test('is silenced when cpu is chosen by name', async () => {
    const warnings = await freshCpu(() => initBackend({ prefer: 'cpu' }));
    expect(warnings.some((w) => BANNER.test(w))).toBe(false);
  });

  test('still appears for a plain tf.setBackend("cpu")', async () => {
    const warnings = await freshCpu(() => tf.setBackend('cpu'));
    expect(warnings.some((w) => BANNER.test(w))).toBe(true);
  });
});
