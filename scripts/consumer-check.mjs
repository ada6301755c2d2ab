// Consumer check: packs every publishable package (`pnpm pack`), installs the tarballs with
// npm into a throwaway project outside the workspace, and imports each package from ESM
// and from CJS, and type-checks an import from TypeScript. This is how users consume us. Each
// tarball must hold the LICENSE.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

const packages = readdirSync(join(root, 'packages'))
  .map((dir) => join(root, 'packages', dir))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter(({ manifest }) => !manifest.private)
  // `node scripts/consumer-check.mjs @automl-ts/core` checks only the named packages.
  .filter(({ manifest }) => process.argv.length <= 2 || process.argv.slice(2).includes(manifest.name));

const work = mkdtempSync(join(tmpdir(), 'automl-ts-consumer-'));
const tarballs = join(work, 'tarballs');
const project = join(work, 'project');
try {
  for (const { dir, manifest } of packages) {
    if (!existsSync(join(dir, 'dist')))
      throw new Error(`${manifest.name} is not built: run pnpm build first`);
    run('pnpm', ['pack', '--pack-destination', tarballs], dir);
  }
  const files = readdirSync(tarballs).map((f) => join(tarballs, f));
  // Every tarball carries the MIT licence text its "license" field names.
  for (const file of files) {
    const entries = run('tar', ['-tzf', file], work).split('\n');
    if (!entries.includes('package/LICENSE')) throw new Error(`${file} has no LICENSE`);
  }
  console.log(`LICENSE in all ${files.length} tarballs`);
  writeFileSync(join(work, 'package.json'), '{}');
  run('mkdir', ['-p', project], work);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  const tfVersion = packages.find((p) => p.manifest.name === '@automl-ts/core').manifest.peerDependencies[
    '@tensorflow/tfjs'
  ];
  run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--loglevel=error', `@tensorflow/tfjs@${tfVersion}`, ...files],
    project,
  );

  for (const optional of ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu']) {
    if (existsSync(join(project, 'node_modules', optional)))
      throw new Error(`${optional} was installed: it must stay an optional peer`);
  }

  const names = packages.map((p) => p.manifest.name);
  writeFileSync(
    join(project, 'check.mjs'),
    `${names.map((n, i) => `import * as esm${i} from '${n}';`).join('\n')}
import { initBackend, createRng } from '@automl-ts/core';
const modules = [${names.map((_, i) => `esm${i}`).join(', ')}];
for (const m of modules) if (Object.keys(m).length === 0) throw new Error('empty ESM module');
const info = await initBackend();
console.log('ESM ok:', ${JSON.stringify(names.join(', '))}, '| backend', info.name, '| rng', createRng(1).int(0, 9));
`,
  );
  writeFileSync(
    join(project, 'check.cjs'),
    `const names = ${JSON.stringify(names)};
for (const n of names) { const m = require(n); if (Object.keys(m).length === 0) throw new Error('empty CJS module ' + n); }
const core = require('@automl-ts/core');
core.initBackend({ prefer: 'cpu' }).then((info) => console.log('CJS ok:', names.join(', '), '| backend', info.name));
`,
  );
  writeFileSync(
    join(project, 'check.ts'),
    `import { createRng, initBackend, type BackendInfo } from '@automl-ts/core';
const info: Promise<BackendInfo> = initBackend({ prefer: 'wasm' });
const n: number = createRng(1).next();
void info; void n;
`,
  );
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        target: 'ES2022',
        noEmit: true,
        skipLibCheck: false,
        types: [],
      },
      files: ['check.ts'],
    }),
  );
  process.stdout.write(run('node', ['check.mjs'], project));
  process.stdout.write(run('node', ['check.cjs'], project));
  // skipLibCheck stays off so our own .d.ts files are checked; TF.js's declarations have
  // errors of their own under strict mode, so only errors in our files or check.ts count.
  let tscOutput = '';
  try {
    run('node', [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], project);
  } catch (error) {
    tscOutput = String(error.stdout ?? '');
  }
  const ours = tscOutput.split('\n').filter((line) => /^(check\.ts|node_modules\/@automl-ts\/)/.test(line));
  if (ours.length > 0) throw new Error(`type errors for consumers:\n${ours.join('\n')}`);
  console.log('TypeScript (NodeNext, strict, our declarations checked) ok');
} finally {
  rmSync(work, { recursive: true, force: true });
}
