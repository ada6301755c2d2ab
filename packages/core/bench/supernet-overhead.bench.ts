// Supernet overhead benchmark: one SGD training step (forward in training mode, cross-entropy,
// gradients, momentum update) of a sub-network run through its supernet (sliced weights, elastic
// kernels, skipped blocks) against the same sub-network extracted and trained standalone, on the
// same batch, in the same run. Cases: the largest and random architectures of the OFA MobileNetV2
// and slimmable ResNet-20 supernets. Target: median-time ratio ≤ 1.15 (geometric mean over cases).
//
// Both clocks are reported; the ratio uses process CPU time (`--clock cpu`, the default), which
// other processes on a shared machine cannot inflate (wasm computes on one thread), while wall
// time is what a user sees on a quiet machine.
//
//   pnpm --filter @automl-ts/core exec tsx bench/supernet-overhead.bench.ts [--runs 9] [--batch 16]
//       [--archs 3] [--nets ofa-mobilenetv2,resnet20-slim] [--backend wasm] [--clock cpu|wall]
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import {
  type Architecture,
  type BackendName,
  createRng,
  createSupernet,
  initBackend,
  type Module,
  SGD,
  type Supernet,
  trainStep,
} from '../src/index.js';

interface Options {
  runs: number;
  batch: number;
  archs: number;
  nets: string[];
  backend: BackendName;
  clock: 'cpu' | 'wall';
}

function parseOptions(argv: readonly string[]): Options {
  const value = (flag: string, fallback: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 && argv[i + 1] !== undefined ? (argv[i + 1] as string) : fallback;
  };
  return {
    runs: Number(value('--runs', '9')),
    batch: Number(value('--batch', '16')),
    archs: Number(value('--archs', '3')),
    nets: value('--nets', 'ofa-mobilenetv2,resnet20-slim').split(','),
    backend: value('--backend', 'wasm') as BackendName,
    clock: value('--clock', 'cpu') === 'wall' ? 'wall' : 'cpu',
  };
}

/** CIFAR-sized configurations, kept small enough for a single-threaded wasm run of a few minutes. */
const NETS: Record<string, () => Supernet> = {
  'ofa-mobilenetv2': () =>
    createSupernet('ofa-mobilenetv2', {
      stages: [
        { channels: 24, stride: 2 },
        { channels: 40, stride: 2 },
        { channels: 80, stride: 2 },
      ],
      lastChannels: 320,
      seed: 1,
    }),
  'resnet20-slim': () => createSupernet('resnet20-slim', { seed: 2 }),
};

interface Timing {
  supernetMs: number;
  standaloneMs: number;
}

interface Row {
  net: string;
  arch: string;
  subnetParams: number;
  cpu: Timing;
  wall: Timing;
  ratio: number;
}

/** Milliseconds of process CPU time and of wall time taken by `fn`. */
function timed(fn: () => void): { cpu: number; wall: number } {
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  fn();
  const wall = performance.now() - wallStart;
  const cpu = process.cpuUsage(cpuStart);
  return { cpu: (cpu.user + cpu.system) / 1000, wall };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Times `supernet` on `arch` and the extracted subnet alternately, so drift hits both alike. */
function measure(
  supernet: Supernet,
  arch: Architecture,
  batch: { x: tf.Tensor; y: tf.Tensor },
  runs: number,
) {
  const subnet: Module = supernet.extract(arch);
  const superOptimizer = new SGD(supernet.namedParameters(), { learningRate: 0.01, momentum: 0.9 });
  const subOptimizer = new SGD(subnet.namedParameters(), { learningRate: 0.01, momentum: 0.9 });
  const viaSupernet = () => {
    trainStep(supernet, superOptimizer, batch, { arch });
  };
  const standalone = () => {
    trainStep(subnet, subOptimizer, batch);
  };
  for (let i = 0; i < 2; i++) {
    viaSupernet();
    standalone();
  }
  const times = {
    super: { cpu: [] as number[], wall: [] as number[] },
    sub: { cpu: [] as number[], wall: [] as number[] },
  };
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? (['super', 'sub'] as const) : (['sub', 'super'] as const);
    for (const side of order) {
      const t = timed(side === 'super' ? viaSupernet : standalone);
      times[side].cpu.push(t.cpu);
      times[side].wall.push(t.wall);
    }
  }
  const result = {
    subnetParams: subnet.countParameters(),
    cpu: { supernetMs: median(times.super.cpu), standaloneMs: median(times.sub.cpu) },
    wall: { supernetMs: median(times.super.wall), standaloneMs: median(times.sub.wall) },
  };
  superOptimizer.dispose();
  subOptimizer.dispose();
  subnet.dispose();
  return result;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  let note = '';
  let backend: BackendName;
  try {
    backend = (await initBackend({ prefer: options.backend })).name;
  } catch (error) {
    backend = (await initBackend({ prefer: 'cpu' })).name;
    note = ` (fell back to cpu: ${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
  }
  console.log(
    `supernet-overhead on ${backend}${note}; batch ${options.batch}, ${options.runs} timed steps per side, ` +
      `ratio on the ${options.clock} clock, load ${loadavg()[0]?.toFixed(2)}`,
  );
  const rows: Row[] = [];
  for (const name of options.nets) {
    const build = NETS[name];
    if (build === undefined) throw new Error(`unknown net "${name}"; known: ${Object.keys(NETS).join(', ')}`);
    const supernet = build();
    const rng = createRng(`bench:${name}`);
    const [h, w, c] = supernet.inputShape as [number, number, number];
    const x = tf.randomNormal([options.batch, h, w, c], 0, 1, 'float32', 1);
    const y = tf.oneHot(
      tf.tensor1d(
        Array.from({ length: options.batch }, (_, i) => i % 10),
        'int32',
      ),
      10,
    );
    const cases: Array<[string, Architecture]> = [['largest', supernet.largestArchitecture()]];
    for (let i = 0; i < options.archs; i++) cases.push([`random ${i + 1}`, supernet.sample(rng)]);
    for (const [label, arch] of cases) {
      const m = measure(supernet, arch, { x, y }, options.runs);
      const clock = m[options.clock];
      const row: Row = { net: name, arch: label, ...m, ratio: clock.supernetMs / clock.standaloneMs };
      rows.push(row);
      console.log(
        `  ${name.padEnd(16)} ${label.padEnd(9)} params ${String(row.subnetParams).padStart(8)}  ratio ${row.ratio.toFixed(3)}`,
      );
    }
    tf.dispose([x, y]);
    supernet.dispose();
  }
  const geometricMean = Math.exp(rows.reduce((sum, row) => sum + Math.log(row.ratio), 0) / rows.length);
  console.log('');
  console.log(
    '| supernet | architecture | subnet params | via supernet, cpu (ms) | standalone, cpu (ms) | via supernet, wall (ms) | standalone, wall (ms) | ratio |',
  );
  console.log('|---|---|---:|---:|---:|---:|---:|---:|');
  const ms = (value: number) => value.toFixed(1);
  for (const row of rows) {
    console.log(
      `| ${row.net} | ${row.arch} | ${row.subnetParams} | ${ms(row.cpu.supernetMs)} | ${ms(row.cpu.standaloneMs)} | ` +
        `${ms(row.wall.supernetMs)} | ${ms(row.wall.standaloneMs)} | ${row.ratio.toFixed(3)} |`,
    );
  }
  console.log(
    `geometric mean ratio ${geometricMean.toFixed(3)} (target ≤ 1.15); load ${loadavg()[0]?.toFixed(2)}`,
  );
  console.log(
    `BENCH ${JSON.stringify({ name: 'supernet-overhead', backend, metric: 'ratio', value: Number(geometricMean.toFixed(4)), unit: 'ratio' })}`,
  );
}

await main();
