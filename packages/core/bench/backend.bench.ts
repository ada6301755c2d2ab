// Training-step benchmark: forward time, SGD training-step time, GFLOP/s and their ratio for the
// reference CNN and a MobileNet-style net on every available backend, plus the wasm speed-up over
// cpu measured in the same run. FLOPs are 2 × multiply-adds of convolutions and matrix products.
// Times are medians after warm-up, as wall clock and as CPU time of this process; ratios, speed-ups
// and GFLOP/s use CPU time, which other jobs on a shared machine do not inflate.
//
//   pnpm --filter @automl-ts/core bench [--runs 15] [--cpu-runs 1] [--batch 64]
//       [--nets reference,mobile] [--backends wasm,cpu,tensorflow] [--profile]
//
// The cpu backend needs about two minutes per reference-net training step (`--backends wasm` skips
// it); `--profile` prints the CPU time per kernel of one wasm training step.
import * as tf from '@tensorflow/tfjs';
import { type BackendName, createRng, initBackend } from '../src/index.js';
import { profileKernels } from './internal/kernel-profile.js';
import { type BenchNet, buildNet, type LayerSpec, MOBILE_NET, REFERENCE_NET } from './internal/nets.js';
import { medianTiming, type Timing } from './internal/timing.js';

interface Options {
  runs: number;
  cpuRuns: number;
  batch: number;
  nets: string[];
  backends: BackendName[];
  profile: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const value = (flag: string, fallback: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 && argv[i + 1] !== undefined ? (argv[i + 1] as string) : fallback;
  };
  return {
    runs: Number(value('--runs', '15')),
    cpuRuns: Number(value('--cpu-runs', '1')),
    batch: Number(value('--batch', '64')),
    nets: value('--nets', 'reference,mobile').split(','),
    backends: value('--backends', 'wasm,cpu,tensorflow').split(',') as BackendName[],
    profile: argv.includes('--profile'),
  };
}

const NETS: Record<string, { name: string; specs: readonly LayerSpec[] }> = {
  reference: { name: 'reference-net', specs: REFERENCE_NET },
  mobile: { name: 'mobile-net', specs: MOBILE_NET },
};

interface Row {
  net: string;
  backend: BackendName;
  forward: Timing;
  train: Timing;
  forwardFlops: number;
  trainFlops: number;
}

function batchFor(net: BenchNet, seed: string): { x: tf.Tensor4D; labels: tf.Tensor2D } {
  const rng = createRng(seed);
  const x = tf.randomNormal(net.inputShape, 0, 1, 'float32', rng.seed()) as tf.Tensor4D;
  const classes = Array.from({ length: net.inputShape[0] }, () => rng.int(0, net.classes - 1));
  return { x, labels: tf.oneHot(tf.tensor1d(classes, 'int32'), net.classes) as tf.Tensor2D };
}

function measure(net: BenchNet, runs: number, warmup: number): { forward: Timing; train: Timing } {
  const { x, labels } = batchFor(net, `${net.name}/batch`);
  const optimizer = tf.train.sgd(0.01);
  const loss = () => tf.losses.softmaxCrossEntropy(labels, net.forward(x)) as tf.Scalar;
  const forward = () => tf.tidy(() => loss().dataSync());
  const step = () => {
    const cost = optimizer.minimize(loss, true);
    cost?.dataSync();
    cost?.dispose();
  };
  const result = { forward: medianTiming(forward, runs, warmup), train: medianTiming(step, runs, warmup) };
  optimizer.dispose();
  tf.dispose([x, labels]);
  return result;
}

function printProfile(net: BenchNet): void {
  const { x, labels } = batchFor(net, `${net.name}/batch`);
  const optimizer = tf.train.sgd(0.01);
  const step = () =>
    optimizer.minimize(() => tf.losses.softmaxCrossEntropy(labels, net.forward(x)) as tf.Scalar)?.dispose();
  step();
  const profile = profileKernels(step);
  console.log(
    `\nper-kernel CPU time of one ${net.name} training step on ${tf.getBackend()} (${profile.totalMs.toFixed(1)} ms):`,
  );
  const line = (indent: string, name: string, ms: number, calls: number) =>
    console.log(
      `${indent}${name.padEnd(40 - indent.length)} ${ms.toFixed(2).padStart(8)} ms ${String(calls).padStart(5)} calls`,
    );
  for (const k of profile.topLevel.filter((t) => t.ms >= 0.2)) {
    line('  ', k.name, k.ms, k.calls);
    for (const child of (profile.nested.get(k.name) ?? []).filter((t) => t.ms >= 0.2)) {
      line('      ', child.name, child.ms, child.calls);
    }
  }
  optimizer.dispose();
  tf.dispose([x, labels]);
}

async function selectBackend(name: BackendName): Promise<boolean> {
  try {
    await initBackend({ prefer: name });
    return true;
  } catch (error) {
    console.log(
      `(skipping ${name}: ${(error instanceof Error ? error.message : String(error)).split('.')[0]})`,
    );
    return false;
  }
}

function bench(name: string, backend: string, metric: string, value: number, unit: string): void {
  console.log(
    `BENCH ${JSON.stringify({ name, backend, metric, value: Number(value.toPrecision(4)), unit })}`,
  );
}

function printResults(rows: readonly Row[], options: Options): void {
  const gflops = (flops: number, t: Timing) => flops / t.cpuMs / 1e6;
  const cpuRow = (r: Row) => rows.find((c) => c.net === r.net && c.backend === 'cpu');
  console.log(
    `\nbatch ${options.batch} of 32×32×3, SGD; medians of ${options.runs} runs (cpu: ${options.cpuRuns})`,
  );
  console.log('ms: wall clock / CPU time of this process; train/fwd, speed-up and GFLOP/s from CPU time');
  console.log(
    'GFLOP/s: 2 × multiply-adds of convs and matmuls (train: forward + dW + dx except the first layer)\n',
  );
  console.log(
    'net            backend   forward ms (wall/cpu)  train ms (wall/cpu)  train/fwd  fwd GFLOP/s  train GFLOP/s',
  );
  const pair = (t: Timing) => `${t.wallMs.toFixed(1)} / ${t.cpuMs.toFixed(1)}`;
  for (const r of rows) {
    console.log(
      `${r.net.padEnd(14)} ${r.backend.padEnd(9)} ${pair(r.forward).padStart(21)} ${pair(r.train).padStart(20)} ` +
        `${(r.train.cpuMs / r.forward.cpuMs).toFixed(2).padStart(10)} ` +
        `${gflops(r.forwardFlops, r.forward).toFixed(2).padStart(12)} ${gflops(r.trainFlops, r.train).toFixed(2).padStart(14)}`,
    );
  }
  console.log('');
  for (const r of rows) {
    const cpu = cpuRow(r);
    if (r.backend !== 'cpu' && cpu !== undefined) {
      console.log(
        `${r.net}: training step on ${r.backend} ${(cpu.train.cpuMs / r.train.cpuMs).toFixed(1)}× faster than cpu`,
      );
    }
  }
  for (const r of rows) {
    bench(`forward/${r.net}`, r.backend, 'forward_ms', r.forward.wallMs, 'ms');
    bench(`forward/${r.net}`, r.backend, 'forward_cpu_ms', r.forward.cpuMs, 'ms');
    bench(`train-step/${r.net}`, r.backend, 'train_step_ms', r.train.wallMs, 'ms');
    bench(`train-step/${r.net}`, r.backend, 'train_step_cpu_ms', r.train.cpuMs, 'ms');
    bench(`train-step/${r.net}`, r.backend, 'train_over_forward', r.train.cpuMs / r.forward.cpuMs, 'ratio');
    bench(`forward/${r.net}`, r.backend, 'gflops', gflops(r.forwardFlops, r.forward), 'GFLOP/s');
    bench(`train-step/${r.net}`, r.backend, 'gflops', gflops(r.trainFlops, r.train), 'GFLOP/s');
    const cpu = cpuRow(r);
    if (r.backend !== 'cpu' && cpu !== undefined) {
      bench(`train-step/${r.net}`, r.backend, 'speedup_vs_cpu', cpu.train.cpuMs / r.train.cpuMs, 'ratio');
    }
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const rows: Row[] = [];
  for (const backend of options.backends) {
    if (!(await selectBackend(backend))) continue;
    const runs = backend === 'cpu' ? options.cpuRuns : options.runs;
    const warmup = backend === 'cpu' ? 1 : 3;
    for (const key of options.nets) {
      const spec = NETS[key];
      if (spec === undefined) throw new Error(`unknown net "${key}"; known: ${Object.keys(NETS).join(', ')}`);
      const net = buildNet(spec.name, spec.specs, options.batch, [32, 32, 3], spec.name);
      const { forward, train } = measure(net, runs, warmup);
      rows.push({
        net: spec.name,
        backend,
        forward,
        train,
        forwardFlops: net.forwardFlops,
        trainFlops: net.trainFlops,
      });
      if (options.profile && backend !== 'cpu') printProfile(net);
      net.dispose();
    }
  }
  printResults(rows, options);
}

await main();
