// pnpm --filter @automl-ts/rep-blocks bench: fusion exactness, fused vs plain inference latency,
// training-step cost of the forms, and the time to reparameterize a DBB backbone. Ratios are
// measured in one run on the current backend.
import {
  Activation,
  Conv2d,
  createRng,
  crossEntropy,
  Dense,
  GlobalAvgPool,
  initBackend,
  type Module,
  measureLatency,
  namedGradients,
  Sequential,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import {
  createRepNet,
  forwardSelected,
  fuseBlock,
  REPNET_PRESETS,
  RepBlock,
  reparameterize,
  repBlocksOf,
  topKMask,
} from '../src/index.js';

const SIZE = 'cifar-small';
const INPUT = [32, 32, 3];
const BATCH = 32;
const rows: Array<{ name: string; metric: string; value: number; unit: string }> = [];
const info = await initBackend();
const backend = info.name;

function bench(name: string, metric: string, value: number, unit: string): void {
  rows.push({ name, metric, value, unit });
}

// ── fusion exactness over random configurations ───────────────────────────
{
  const rng = createRng(7);
  const types = ['conv_kxk', 'conv_1x1', 'conv_1xk', 'conv_kx1', 'conv_1x1_kxk', 'conv_1x1_avg', 'identity'];
  let worst = 0;
  for (let i = 0; i < 200; i++) {
    const kernelSize = rng.choice([1, 3, 5, 7] as const);
    const strides = rng.choice([1, 2] as const);
    const groups = rng.choice([1, 2] as const);
    const inChannels = groups * rng.int(1, 3);
    const outChannels = rng.next() < 0.5 ? inChannels : groups * rng.int(1, 3);
    const eligible = types.filter((t) => t !== 'identity' || (strides === 1 && inChannels === outChannels));
    const branches = eligible.filter(() => rng.next() < 0.6);
    if (branches.length === 0) branches.push('conv_kxk');
    const block = new RepBlock({
      inChannels,
      outChannels,
      kernelSize,
      strides,
      groups,
      branches,
      activation: null,
      seed: rng,
    });
    tf.tidy(() => {
      for (const [name, v] of block.namedVariables()) {
        const scale =
          v.rank === 4 ? Math.sqrt(3 / ((v.shape[0] ?? 1) * (v.shape[1] ?? 1) * (v.shape[2] ?? 1))) : 1;
        const values = Float32Array.from({ length: v.size }, () =>
          name.endsWith('runningVar')
            ? 0.2 + 2 * rng.next()
            : name.endsWith('gamma')
              ? 0.3 + rng.next()
              : scale * (2 * rng.next() - 1),
        );
        v.assign(tf.tensor(values, v.shape));
      }
    });
    const fused = fuseBlock(block);
    const error = tf.tidy(() => {
      const x = tf.randomNormal([2, rng.int(3, 12), rng.int(3, 12), inChannels], 0, 1, 'float32', rng.seed());
      const expected = block.apply(x);
      return tf
        .max(tf.div(tf.abs(tf.sub(fused.apply(x), expected)), tf.maximum(1, tf.abs(expected))))
        .dataSync()[0] as number;
    });
    worst = Math.max(worst, error);
    block.dispose();
    fused.dispose();
  }
  bench('fusion-exactness', 'max_rel_error', worst, 'ratio');
}

// ── fused vs plain latency; DBB training form vs fused ───────────────────
/** The fused net's structure built directly from plain layers (what one would write by hand). */
function plainNetDirect(): Module {
  const size = REPNET_PRESETS[SIZE]!;
  const rng = createRng(1);
  const layers: Array<readonly [string, Module]> = [];
  const conv = (name: string, cin: number, cout: number, strides: number) => {
    layers.push([
      `${name}_conv`,
      new Conv2d({
        inChannels: cin,
        outChannels: cout,
        kernelSize: 3,
        strides,
        padding: [
          [1, 1],
          [1, 1],
        ],
        seed: rng,
      }),
    ]);
    layers.push([`${name}_relu`, new Activation('relu')]);
  };
  conv('stem', 3, size.stemWidth, size.stemStride);
  let c = size.stemWidth;
  size.depths.forEach((depth, s) => {
    for (let i = 0; i < depth; i++) {
      conv(`stage${s + 1}_${i}`, c, size.widths[s]!, i === 0 ? size.stageStrides[s]! : 1);
      c = size.widths[s]!;
    }
  });
  layers.push(['pool', new GlobalAvgPool()], ['fc', new Dense({ inUnits: c, outUnits: 10, seed: rng })]);
  return new Sequential(layers);
}

const repvgg = createRepNet({ size: SIZE, form: 'repvgg', seed: 0 });
const fusedRepvgg = reparameterize(repvgg);
const plain = plainNetDirect();
const dbb = createRepNet({ size: SIZE, form: 'dbb', seed: 0 });
const latencyOptions = { warmup: 5, warmupMs: 500, runs: 30, batchSize: 1 };
{
  // Interleave the two measurements so that load changes hit both alike.
  const fusedMs: number[] = [];
  const plainMs: number[] = [];
  for (let round = 0; round < 3; round++) {
    fusedMs.push((await measureLatency(fusedRepvgg, INPUT, latencyOptions)).median);
    plainMs.push((await measureLatency(plain, INPUT, latencyOptions)).median);
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[1] as number;
  bench('fused-latency', 'fused_over_plain', med(fusedMs) / med(plainMs), 'ratio');
  const dbbMs = (await measureLatency(dbb, INPUT, latencyOptions)).median;
  bench('fused-latency', 'dbb_over_fused', dbbMs / med(fusedMs), 'ratio');
  bench('fused-latency', 'fused_ms', med(fusedMs), 'ms');
}

// ── one training step: ODBB at RepVGG's budget vs DBB vs plain ────────────
async function stepMs(net: Module, forward?: (x: tf.Tensor) => tf.Tensor): Promise<number> {
  const parameters = net.namedParameters();
  const times: number[] = [];
  for (let i = 0; i < 8; i++) {
    const started = performance.now();
    tf.tidy(() => {
      const x = tf.randomNormal([BATCH, ...INPUT], 0, 1, 'float32', i + 1);
      const labels = tf.tensor1d(
        Array.from({ length: BATCH }, (_, k) => k % 10),
        'int32',
      );
      const { value, gradients } = namedGradients(
        () => crossEntropy(forward === undefined ? net.apply(x, { training: true }) : forward(x), labels),
        parameters,
      );
      value.dataSync();
      tf.dispose([value, ...gradients.values()]);
    });
    times.push(performance.now() - started);
  }
  return [...times.slice(2)].sort((a, b) => a - b)[3] as number;
}
{
  const odbb = createRepNet({ size: SIZE, form: 'odbb', seed: 0 });
  const layers = repBlocksOf(odbb);
  const budget = 2 * layers.length;
  const rng = createRng(3);
  const mask = topKMask(
    Float32Array.from({ length: layers.length * 6 }, () => rng.next()),
    budget,
  );
  const coefficients = layers.map((layer, l) => {
    const names = layer.config.branches.map(([n]) => n).filter((n) => n !== 'identity');
    const map = new Map<string, 1>();
    names.forEach((n, b) => {
      if (mask[l * 6 + b] === 1) map.set(n, 1);
    });
    if (layer.config.branches.some(([n]) => n === 'identity')) map.set('identity', 1);
    if (map.size === 0) map.set('conv_kxk', 1);
    return map;
  });
  const odbbMs = await stepMs(odbb, (x) => forwardSelected(odbb, x, true, coefficients));
  const dbbMs = await stepMs(dbb);
  const plainMs = await stepMs(createRepNet({ size: SIZE, form: 'plain', seed: 0 }));
  bench('train-step', 'odbb_over_dbb', odbbMs / dbbMs, 'ratio');
  bench('train-step', 'dbb_over_plain', dbbMs / plainMs, 'ratio');
  bench('train-step', 'dbb_ms', dbbMs, 'ms');
}

// ── reparameterize the whole DBB backbone ─────────────────────────────────
{
  const started = performance.now();
  const fused = reparameterize(dbb);
  bench('reparameterize', 'seconds', (performance.now() - started) / 1000, 's');
  fused.dispose();
}

console.log(
  `rep-blocks bench on ${backend} (${info.threads} thread(s)), ${SIZE}, batch ${BATCH} for training steps`,
);
console.log(['name'.padEnd(18), 'metric'.padEnd(18), 'value'.padStart(12), 'unit'].join('  '));
for (const r of rows) {
  console.log(
    [r.name.padEnd(18), r.metric.padEnd(18), r.value.toPrecision(4).padStart(12), r.unit].join('  '),
  );
}
for (const r of rows)
  console.log(
    `BENCH ${JSON.stringify({ name: r.name, backend, metric: r.metric, value: r.value, unit: r.unit })}`,
  );
