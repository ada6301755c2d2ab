import { defineConfig } from 'tsup';

export default defineConfig({
  // The pool worker and the distributed-worker command are entry points of their own: worker
  // threads and `automl-ts-evolution-worker` load them by file name.
  entry: {
    index: 'src/index.ts',
    'pool-worker': 'src/eval/pool-worker.ts',
    'worker-cli': 'src/cli/worker.ts',
  },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'es2022',
  splitting: false,
  // import.meta.url (the pool finds its worker script beside the bundle) in the CJS build too.
  shims: true,
  external: [/^@tensorflow\//],
});
