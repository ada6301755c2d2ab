// Omniglot benchmark: load the whole background zip at 28×28 (targets: < 20 s, < 300 MB resident),
// then episodic sampling throughput. Run with `pnpm --filter @automl-ts/datasets bench`.
// Data: AUTOML_DATA_DIR, else ../shared/data beside the checkout.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@automl-ts/core';
import { createEpisodeSampler, loadOmniglot, splitByClass } from '../src/index.js';

interface Figure {
  name: string;
  metric: string;
  value: number;
  unit: string;
  target?: string;
}

const dataDir =
  process.env['AUTOML_DATA_DIR'] ?? fileURLToPath(new URL('../../../../shared/data', import.meta.url));
const zipPath = join(dataDir, 'omniglot', 'images_background.zip');
if (!existsSync(zipPath)) {
  console.log(
    `omniglot bench skipped: ${zipPath} not found (set AUTOML_DATA_DIR to a folder holding omniglot/)`,
  );
  process.exit(0);
}

const figures: Figure[] = [];

// maxRSS is the peak resident set of the process so far (KiB on Linux): the honest "memory needed
// to load", since garbage freed later still had to fit. It includes TF.js (imported with the
// package) and tsx; the backend is initialised after the load, which does not use it.
const rssBefore = process.memoryUsage().rss;
const start = performance.now();
const cpuStart = process.cpuUsage();
const omniglot = await loadOmniglot({ dataDir, size: 28 });
const seconds = (performance.now() - start) / 1000;
// CPU time (user + system) does not depend on other processes sharing the cores, wall time does.
const cpu = process.cpuUsage(cpuStart);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const peakRssMb = process.resourceUsage().maxRSS / 1024;
figures.push({ name: 'omniglot-load', metric: 'seconds', value: seconds, unit: 's', target: '< 20' });
figures.push({ name: 'omniglot-load', metric: 'cpu_seconds', value: cpuSeconds, unit: 's' });
figures.push({ name: 'omniglot-load', metric: 'rss_mb', value: peakRssMb, unit: 'MB', target: '< 300' });
figures.push({
  name: 'omniglot-load',
  metric: 'rss_added_mb',
  value: peakRssMb - rssBefore / 2 ** 20,
  unit: 'MB',
});

const backend = await initBackend();

const { train } = splitByClass(omniglot, {
  ratios: { train: 25, val: 5 },
  groupOf: (c, d) => d.classInfo![c]!.alphabet,
  seed: 0,
});

function episodesPerSecond(ways: number, shots: number, queries: number, count: number): number {
  const sampler = createEpisodeSampler(train, { ways, shots, queries, seed: 0 });
  for (let i = 0; i < 20; i++) sampler.sample().dispose();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) sampler.sample().dispose();
  return count / ((performance.now() - t0) / 1000);
}

figures.push({
  name: 'episode-sampling',
  metric: 'episodes_per_second',
  value: episodesPerSecond(5, 1, 15, 2000),
  unit: 'episodes/s',
});
figures.push({
  name: 'episode-sampling-20way-5shot',
  metric: 'episodes_per_second',
  value: episodesPerSecond(20, 5, 15, 500),
  unit: 'episodes/s',
});

console.log(
  `Omniglot background: ${omniglot.size} images, ${omniglot.classNames.length} classes, ` +
    `${omniglot.alphabets.length} alphabets, ${omniglot.shape.height}×${omniglot.shape.width}; ` +
    `backend ${backend.name}; RSS before load ${(rssBefore / 2 ** 20).toFixed(0)} MB`,
);
const rows = figures.map((f) => [
  f.name,
  f.metric,
  f.value.toFixed(f.value < 100 ? 2 : 0),
  f.unit,
  f.target ?? '',
]);
const header = ['benchmark', 'metric', 'value', 'unit', 'target'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ');
console.log(line(header));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const row of rows) console.log(line(row));
for (const f of figures) {
  const value = Number(f.value.toFixed(3));
  console.log(
    `BENCH ${JSON.stringify({ name: f.name, backend: backend.name, metric: f.metric, value, unit: f.unit })}`,
  );
}
