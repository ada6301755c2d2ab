// Regenerates the training-step figures of docs/backends.md and README.md from the committed
// benchmark output packages/core/bench/results/train-step.json (written by
// `pnpm --filter @automl-ts/core bench:train-step --write`), between the markers
// <!-- train-step-figures:start --> and <!-- train-step-figures:end -->.
//
//   node scripts/update-backend-figures.mjs [--check]   (--check: exit 1 if a file is stale)
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const results = JSON.parse(readFileSync(`${root}packages/core/bench/results/train-step.json`, 'utf8'));
const START = '<!-- train-step-figures:start -->';
const END = '<!-- train-step-figures:end -->';

const fmt = (value, digits = 1) => (typeof value === 'number' ? value.toFixed(digits) : '–');
const [one, all] = [results.threads[0], results.threads[results.threads.length - 1]];
const loaded = Math.max(...results.machine.loadBefore.slice(0, 1), ...results.machine.loadAfter.slice(0, 1));
const when = results.date.slice(0, 10);
const provenance =
  `Measured ${when} on ${results.machine.cores} cores (${results.machine.cpu}), PyTorch ${results.pytorch ?? 'absent'}, ` +
  `batch ${results.batch} of 32×32×3, SGD, wall clock; medians of per-round ratios over ${results.rounds} interleaved rounds. ` +
  `Load average ${results.machine.loadBefore[0]} before and ${results.machine.loadAfter[0]} after` +
  (loaded > results.machine.cores * 0.5
    ? ' (a loaded machine: other jobs competed for the cores, so the all-core figures are not representative; rerun on a quiet machine).'
    : '.');

function table() {
  const head = [
    'net',
    `wasm ${one} thread (ms)`,
    `PyTorch ${one} thread (ms)`,
    `ours / PyTorch, ${one} thread`,
    ...(all > one
      ? [
          `wasm ${all} threads (ms)`,
          `PyTorch ${all} threads (ms)`,
          `ours / PyTorch, ${all} threads`,
          `wasm speed-up ${all} / 1 threads`,
        ]
      : []),
    'train / forward',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of results.rows) {
    const cells = [
      r.net,
      fmt(r[`wasm_ms_${one}`]),
      fmt(r[`pytorch_ms_${one}`]),
      fmt(r[`over_pytorch_${one}`], 2),
      ...(all > one
        ? [
            fmt(r[`wasm_ms_${all}`]),
            fmt(r[`pytorch_ms_${all}`]),
            fmt(r[`over_pytorch_${all}`], 2),
            fmt(r.speedup_all_cores, 2),
          ]
        : []),
      fmt(r.train_over_forward, 2),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

const blocks = {
  'docs/backends.md': `${table()}\n\n${provenance}`,
  'README.md': (() => {
    const ref = results.rows.find((r) => r.net === 'reference-net');
    const resnet = results.rows.find((r) => r.net === 'resnet20');
    return (
      `Training step on wasm (\`pnpm --filter @automl-ts/core bench:train-step\`, batch ${results.batch} of 32×32×3, SGD, PyTorch ${results.pytorch ?? 'absent'} side by side): ` +
      `reference CNN ${fmt(ref?.[`wasm_ms_${one}`])} ms at 1 thread (${fmt(ref?.[`over_pytorch_${one}`], 2)}× PyTorch's time)` +
      (all > one
        ? `, ${fmt(ref?.[`wasm_ms_${all}`])} ms on ${all} threads (${fmt(ref?.[`over_pytorch_${all}`], 2)}×; speed-up over 1 thread ${fmt(ref?.speedup_all_cores, 2)}×)`
        : '') +
      `; ResNet-20 ${fmt(resnet?.[`wasm_ms_${one}`])} ms at 1 thread (${fmt(resnet?.[`over_pytorch_${one}`], 2)}×)` +
      (all > one
        ? `, ${fmt(resnet?.[`wasm_ms_${all}`])} ms on ${all} (${fmt(resnet?.[`over_pytorch_${all}`], 2)}×)`
        : '') +
      `. ${provenance} Full table: [docs/backends.md](docs/backends.md#measured-training-step).`
    );
  })(),
};

let stale = false;
for (const [file, block] of Object.entries(blocks)) {
  const path = `${root}${file}`;
  const text = readFileSync(path, 'utf8');
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${file}: markers ${START} … ${END} not found`);
  const next = `${text.slice(0, start + START.length)}\n${block}\n${text.slice(end)}`;
  if (next !== text) {
    stale = true;
    if (!process.argv.includes('--check')) writeFileSync(path, next);
  }
  console.log(
    `${file}: ${next === text ? 'up to date' : process.argv.includes('--check') ? 'stale' : 'updated'}`,
  );
}
if (stale && process.argv.includes('--check')) process.exit(1);
