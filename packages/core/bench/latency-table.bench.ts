// Latency lookup table benchmark: builds a per-layer table on wasm for MobileNetV2 (widths 0.5 and
// 1.0, inputs 96 and 128; as a Module and as a tf.LayersModel), predicts each network's latency as
// the sum of its layers' entries, measures the end-to-end median, and reports the prediction error
// |predicted − measured| / measured. Target: within 20%.
//
// The table is timed in rounds (each calls every layer once, in network order) after a second of
// warm-up, and the end-to-end median after half a second of it: V8 compiles TF.js's dispatch code
// only after ~100 calls, and a cold start alone once made the measured latency 2× the steady state.
//
// Both clocks are reported: `wall` is the latency a user sees; `cpu` (process CPU time) is what
// other processes on a busy machine cannot inflate. On a quiet machine they agree; on a loaded
// one, preemption stretches a 10 ms end-to-end run more than the ~1 ms samples a table entry is
// made of, so the wall-clock error grows with the load average (printed before and after).
//
//   pnpm --filter @automl-ts/core exec tsx bench/latency-table.bench.ts [--runs 30]
//       [--kinds module,layers-model] [--widths 0.5,1] [--sizes 96,128] [--clocks wall,cpu] [--backend wasm]
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import {
  type BackendName,
  buildLatencyTable,
  createModel,
  initBackend,
  type LatencyClock,
  type LatencyTable,
  type Module,
  measureLatency,
  NetworkGraph,
  predictLatency,
  profileModel,
} from '../src/index.js';
import { kerasMobileNetV2 } from '../test/profile/keras-mobilenets.js';

interface Options {
  runs: number;
  kinds: string[];
  widths: number[];
  sizes: number[];
  clocks: LatencyClock[];
  backend: BackendName;
}

function parseOptions(argv: readonly string[]): Options {
  const value = (flag: string, fallback: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 && argv[i + 1] !== undefined ? (argv[i + 1] as string) : fallback;
  };
  return {
    runs: Number(value('--runs', '30')),
    kinds: value('--kinds', 'module,layers-model').split(','),
    widths: value('--widths', '0.5,1').split(',').map(Number),
    sizes: value('--sizes', '96,128').split(',').map(Number),
    clocks: value('--clocks', 'wall,cpu').split(',') as LatencyClock[],
    backend: value('--backend', 'wasm') as BackendName,
  };
}

interface Row {
  clock: LatencyClock;
  model: string;
  macs: number;
  entries: number;
  buildSeconds: number;
  predictedMs: number;
  measuredMs: number;
  measuredMinMs: number;
  error: number;
}

async function benchOne(
  clock: LatencyClock,
  kind: string,
  width: number,
  size: number,
  runs: number,
  cache: LatencyTable | undefined,
): Promise<{ row: Row; table: LatencyTable }> {
  const inputShape = [size, size, 3];
  const target: Module | tf.LayersModel =
    kind === 'module'
      ? createModel('mobilenetv2', { widthMultiplier: width, inputSize: size, numClasses: 1000 })
      : kerasMobileNetV2(width, size, 1000);
  try {
    const graph =
      kind === 'module'
        ? NetworkGraph.fromModule(target as Module, inputShape)
        : NetworkGraph.fromLayersModel(target as tf.LayersModel);
    const start = performance.now();
    const table = await buildLatencyTable(target, {
      clock,
      ...(kind === 'module' ? { inputShape } : {}),
      ...(cache === undefined ? {} : { cache }),
    });
    const buildSeconds = (performance.now() - start) / 1000;
    const predictedMs = predictLatency(table, graph).ms;
    const measured = await measureLatency(target, inputShape, { warmup: 5, runs, clock });
    return {
      table,
      row: {
        clock,
        model: `mobilenetv2-${width.toFixed(1)}-${size} (${kind})`,
        macs: profileModel(graph).macs,
        entries: Object.keys(table.entries).length,
        buildSeconds,
        predictedMs,
        measuredMs: measured.median,
        measuredMinMs: measured.min,
        error: Math.abs(predictedMs - measured.median) / measured.median,
      },
    };
  } finally {
    target.dispose();
  }
}

function printTable(rows: readonly Row[]): void {
  const header = [
    'clock',
    'model',
    'MMACs',
    'LUT entries',
    'LUT build s',
    'predicted ms',
    'median ms',
    'min ms',
    'error',
  ];
  const cells = rows.map((r) => [
    r.clock,
    r.model,
    (r.macs / 1e6).toFixed(1),
    String(r.entries),
    r.buildSeconds.toFixed(1),
    r.predictedMs.toFixed(2),
    r.measuredMs.toFixed(2),
    r.measuredMinMs.toFixed(2),
    `${(100 * r.error).toFixed(1)}%`,
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => (row[c] ?? '').length)));
  const line = (row: string[]) =>
    row.map((cell, c) => (c <= 1 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ');
  console.log(line(header));
  for (const row of cells) console.log(line(row));
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const info = await initBackend({ prefer: options.backend });
  const load = (): string =>
    loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
  console.log(`backend ${info.name} (simd ${info.simd}, threads ${info.threads}), tfjs ${info.tfjsVersion}`);
  console.log(`load average before: ${load()}`);
  const rows: Row[] = [];
  for (const clock of options.clocks) {
    for (const kind of options.kinds) {
      // One table per clock and model kind (Modules and Keras layers compute batch norm differently).
      let table: LatencyTable | undefined;
      for (const width of options.widths) {
        for (const size of options.sizes) {
          const result = await benchOne(clock, kind, width, size, options.runs, table);
          table = result.table;
          rows.push(result.row);
        }
      }
    }
  }
  console.log(`load average after: ${load()}\n`);
  printTable(rows);

  const backend = tf.getBackend();
  const bench = (name: string, value: number): void =>
    console.log(
      `BENCH ${JSON.stringify({ name, backend, metric: 'prediction_error', value, unit: 'fraction' })}`,
    );
  console.log('');
  for (const r of rows) {
    const suffix = r.clock === 'wall' ? '' : `/${r.clock}-clock`;
    bench(`latency-table/${r.model.replace(/ \((.*)\)$/, '/$1')}${suffix}`, r.error);
  }
  const summary: string[] = [];
  for (const clock of options.clocks) {
    const worst = Math.max(...rows.filter((r) => r.clock === clock).map((r) => r.error));
    bench(clock === 'wall' ? 'latency-table' : `latency-table/${clock}-clock`, worst);
    summary.push(`worst prediction error, ${clock} clock: ${(100 * worst).toFixed(1)}% (target: within 20%)`);
  }
  console.log(`\n${summary.join('\n')}`);
}

await main();
