// automl-ts side of train-step.bench.ts, run as a child process so that each thread count gets its
// own wasm module (the count is fixed when the module starts): `AUTOML_THREADS=N node --import tsx
// wasm-train-step-engine.ts --batch 64 --nets reference-net,resnet20,mobilenetv2`.
//
// Protocol (one JSON object per line), the same as pytorch_train_step.py: prints {"ready": true,
// "threads": N} once the nets are built and warmed up; then answers {"net", "steps"} with
// {"ms": [wall ms of each training step]}, {"net", "forward": k} with {"ms": [...]} of k forward
// passes, and {"net", "profile": true} with {"lines": [...]}, the per-kernel CPU time of one step.
import { createInterface } from 'node:readline';
import * as tf from '@tensorflow/tfjs';
import {
  createModel,
  createRng,
  crossEntropy,
  initBackend,
  type Module,
  SGD,
  trainStep,
} from '../../src/index.js';
import { profileKernels } from './kernel-profile.js';
import { buildNet, REFERENCE_NET } from './nets.js';

interface EngineNet {
  step(): void;
  forward(): void;
}

function value(argv: readonly string[], flag: string, fallback: string): string {
  const i = argv.indexOf(flag);
  return i >= 0 && argv[i + 1] !== undefined ? (argv[i + 1] as string) : fallback;
}

function labels(batch: number): tf.Tensor2D {
  return tf.tidy(() =>
    tf.oneHot(
      tf.tensor1d(
        Array.from({ length: batch }, (_, i) => i % 10),
        'int32',
      ),
      10,
    ),
  ) as tf.Tensor2D;
}

/** The bench's plain-ops reference CNN with `tf.train.sgd` (as backend.bench.ts measures it). */
function referenceNet(batch: number): EngineNet {
  const net = buildNet('reference-net', REFERENCE_NET, batch, [32, 32, 3], 'reference-net');
  const x = tf.randomNormal(net.inputShape, 0, 1, 'float32', createRng('x').seed()) as tf.Tensor4D;
  const y = labels(batch);
  const optimizer = tf.train.sgd(0.01);
  const loss = () => tf.losses.softmaxCrossEntropy(y, net.forward(x)) as tf.Scalar;
  return {
    step: () => {
      const cost = optimizer.minimize(loss, true);
      cost?.dataSync();
      cost?.dispose();
    },
    forward: () => tf.tidy(() => loss().dataSync()),
  };
}

/** A core model trained the way pipelines train it: core's SGD (momentum 0.9) and `trainStep`. */
function coreNet(model: Module, batch: number): EngineNet {
  const x = tf.randomNormal([batch, 32, 32, 3], 0, 1, 'float32', createRng('x').seed());
  const y = labels(batch);
  const optimizer = new SGD(model.namedParameters(), { learningRate: 0.01, momentum: 0.9 });
  return {
    step: () => {
      trainStep(model, optimizer, { x, y });
    },
    forward: () => tf.tidy(() => crossEntropy(model.apply(x, { training: true }), y).dataSync()),
  };
}

const BUILDERS: Record<string, (batch: number) => EngineNet> = {
  'reference-net': referenceNet,
  resnet20: (batch) => coreNet(createModel('resnet20', { numClasses: 10, inputSize: 32, seed: 0 }), batch),
  mobilenetv2: (batch) =>
    coreNet(createModel('mobilenetv2', { numClasses: 10, inputSize: 32, seed: 0 }), batch),
};

function timeEach(fn: () => void, times: number): number[] {
  return Array.from({ length: times }, () => {
    const start = performance.now();
    fn();
    return performance.now() - start;
  });
}

function profileLines(net: EngineNet, threads: number): string[] {
  // With several threads, CPU time would also count the workers' spinning: time the wall clock.
  const profile = profileKernels(() => net.step(), threads > 1 ? () => performance.now() : undefined);
  const lines = [`total ${profile.totalMs.toFixed(1)} ms (${threads > 1 ? 'wall clock' : 'CPU time'})`];
  const line = (indent: string, name: string, ms: number, calls: number) =>
    `${indent}${name.padEnd(40 - indent.length)} ${ms.toFixed(2).padStart(8)} ms ${String(calls).padStart(5)} calls`;
  for (const k of profile.topLevel.filter((t) => t.ms >= 0.5)) {
    lines.push(line('  ', k.name, k.ms, k.calls));
    for (const child of (profile.nested.get(k.name) ?? []).filter((t) => t.ms >= 0.5)) {
      lines.push(line('      ', child.name, child.ms, child.calls));
    }
  }
  return lines;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const batch = Number(value(argv, '--batch', '64'));
  const info = await initBackend({ prefer: 'wasm' });
  const nets = new Map<string, EngineNet>();
  for (const name of value(argv, '--nets', Object.keys(BUILDERS).join(',')).split(',')) {
    const build = BUILDERS[name];
    if (build === undefined)
      throw new Error(`unknown net "${name}"; known: ${Object.keys(BUILDERS).join(', ')}`);
    const net = build(batch);
    for (let i = 0; i < 2; i++) net.step();
    net.forward();
    nets.set(name, net);
  }
  process.stdout.write(`${JSON.stringify({ ready: true, threads: info.threads })}\n`);
  for await (const text of createInterface({ input: process.stdin })) {
    const request = JSON.parse(text) as { net: string; steps?: number; forward?: number; profile?: boolean };
    const net = nets.get(request.net);
    if (net === undefined) throw new Error(`net "${request.net}" was not built`);
    const reply = request.profile
      ? { lines: profileLines(net, info.threads) }
      : {
          ms: request.forward
            ? timeEach(net.forward, request.forward)
            : timeEach(net.step, request.steps ?? 1),
        };
    process.stdout.write(`${JSON.stringify(reply)}\n`);
  }
}

await main();
