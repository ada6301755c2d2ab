// Training step of automl-ts on wasm against PyTorch on the CPU, at 1 thread and at all cores, in
// one run: the reference CNN, ResNet-20 and MobileNetV2 (batch 64 of 32×32×3, SGD). Each engine ×
// thread count is its own child process, built and warmed up once; then, round by round, every
// engine times a few steps of every net in turn (one engine computes at a time), so a machine whose
// speed drifts within minutes slows both sides of each ratio alike. Figures are medians over
// rounds of the per-round ratios (wall clock):
//   over_pytorch        our step time / PyTorch's at equal threads
//   speedup_all_cores   our step time at 1 thread / at all cores
//   train_over_forward  our step time / our forward time
// The machine load (/proc/loadavg) is printed and stored with the results.
//
//   pnpm --filter @automl-ts/core bench:train-step [--rounds 5] [--steps 3] [--batch 64]
//       [--nets reference-net,resnet20,mobilenetv2] [--threads N] [--profile] [--write]
//
// PyTorch is never a dependency; without it the comparison is skipped with a message (Debian:
// `apt-get install -y python3-torch`; AUTOML_BENCH_PYTHON picks the interpreter). `--write` stores
// the results in bench/results/train-step.json, from which `node scripts/update-backend-figures.mjs`
// regenerates the tables of docs/backends.md and the README. `--profile` prints the per-kernel
// CPU time of one step of each net at 1 thread first.
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';

interface Options {
  rounds: number;
  steps: number;
  batch: number;
  nets: string[];
  threads: number;
  profile: boolean;
  write: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const value = (flag: string, fallback: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 && argv[i + 1] !== undefined ? (argv[i + 1] as string) : fallback;
  };
  return {
    rounds: Number(value('--rounds', '5')),
    steps: Number(value('--steps', '3')),
    batch: Number(value('--batch', '64')),
    nets: value('--nets', 'reference-net,resnet20,mobilenetv2').split(','),
    threads: Number(value('--threads', String(Math.min(8, availableParallelism())))),
    profile: argv.includes('--profile'),
    write: argv.includes('--write'),
  };
}

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** A child process speaking the engines' line protocol (see internal/wasm-train-step-engine.ts). */
class Engine {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;
  readonly #stderr: string[] = [];
  readonly #reader: Interface;

  constructor(
    readonly label: string,
    command: string,
    args: string[],
    env: Record<string, string>,
  ) {
    this.#child = spawn(command, args, { env: { ...process.env, ...env }, stdio: 'pipe' });
    this.#child.stderr.on('data', (chunk: Buffer) => this.#stderr.push(chunk.toString()));
    this.#reader = createInterface({ input: this.#child.stdout });
    this.#lines = this.#reader[Symbol.asyncIterator]();
  }

  async read(): Promise<Record<string, unknown>> {
    const next = await this.#lines.next();
    if (next.done) {
      throw new Error(`${this.label} exited: ${this.#stderr.join('').slice(-2000)}`);
    }
    return JSON.parse(next.value) as Record<string, unknown>;
  }

  async ask(request: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.#child.stdin.write(`${JSON.stringify(request)}\n`);
    return this.read();
  }

  close(): void {
    this.#reader.close();
    this.#child.stdin.end();
    this.#child.kill();
  }
}

function findPython(): { command: string; version: string } | string {
  const candidates = [process.env.AUTOML_BENCH_PYTHON, 'python3', '/usr/bin/python3'].filter(
    (c): c is string => c !== undefined && c !== '',
  );
  for (const command of candidates) {
    try {
      const version = execFileSync(command, ['-c', 'import torch; print(torch.__version__)'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
      return { command, version };
    } catch {
      // no interpreter, or no torch for it: try the next one
    }
  }
  return `PyTorch not found (tried ${candidates.join(', ')}): skipping the comparison with PyTorch. Install it with \`apt-get install -y python3-torch\` (Debian/Ubuntu) or \`pip install torch==1.13.1\`, or set AUTOML_BENCH_PYTHON to an interpreter that has it.`;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function bench(fields: Record<string, unknown>): void {
  const value = Number((fields.value as number).toPrecision(4));
  console.log(`BENCH ${JSON.stringify({ ...fields, value })}`);
}

function machineLoad(): number[] {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
  } catch {
    return loadavg();
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const threadCounts = options.threads > 1 ? [1, options.threads] : [1];
  const python = findPython();
  if (typeof python === 'string') console.log(python);
  const loadBefore = machineLoad();
  const engines = new Map<string, Engine>();
  const key = (engine: 'wasm' | 'pytorch', threads: number) => `${engine}@${threads}`;
  const common = ['--batch', String(options.batch), '--nets', options.nets.join(',')];
  try {
    for (const threads of threadCounts) {
      engines.set(
        key('wasm', threads),
        new Engine(
          key('wasm', threads),
          process.execPath,
          ['--import', 'tsx', here('./internal/wasm-train-step-engine.ts'), ...common],
          { AUTOML_THREADS: String(threads) },
        ),
      );
      if (typeof python !== 'string') {
        engines.set(
          key('pytorch', threads),
          new Engine(
            key('pytorch', threads),
            python.command,
            [here('./internal/pytorch_train_step.py'), '--threads', String(threads), ...common],
            { OMP_NUM_THREADS: String(threads) },
          ),
        );
      }
    }
    // Started one at a time, so that warm-up does not overlap.
    for (const engine of engines.values()) {
      const ready = await engine.read();
      if (engine.label.startsWith('wasm') && ready.threads !== Number(engine.label.split('@')[1])) {
        throw new Error(`${engine.label} started with ${String(ready.threads)} threads`);
      }
    }
    if (options.profile) {
      for (const net of options.nets) {
        const reply = await (engines.get(key('wasm', 1)) as Engine).ask({ net, profile: true });
        console.log(`\nper-kernel CPU time of one ${net} training step on wasm, 1 thread:`);
        for (const line of reply.lines as string[]) console.log(line);
      }
    }
    // times[engine][net] = per-round medians of the step time; forward[net] likewise (1 thread).
    const times = new Map<string, Map<string, number[]>>();
    const forward = new Map<string, number[]>();
    const record = (label: string, net: string, ms: number) => {
      const perNet = times.get(label) ?? new Map<string, number[]>();
      perNet.set(net, [...(perNet.get(net) ?? []), ms]);
      times.set(label, perNet);
    };
    for (let round = 0; round < options.rounds; round++) {
      for (const net of options.nets) {
        for (const [label, engine] of engines) {
          const reply = await engine.ask({ net, steps: options.steps });
          record(label, net, median(reply.ms as number[]));
        }
        const fwd = await (engines.get(key('wasm', 1)) as Engine).ask({ net, forward: options.steps });
        forward.set(net, [...(forward.get(net) ?? []), median(fwd.ms as number[])]);
      }
      process.stderr.write(`round ${round + 1}/${options.rounds} done\n`);
    }
    const loadAfter = machineLoad();
    const series = (label: string, net: string) => times.get(label)?.get(net);
    const ratio = (a: number[] | undefined, b: number[] | undefined) =>
      a === undefined || b === undefined ? undefined : median(a.map((v, i) => v / (b[i] as number)));
    const rows = options.nets.map((net) => {
      const row: Record<string, unknown> = { net };
      for (const threads of threadCounts) {
        const ours = series(key('wasm', threads), net);
        const theirs = series(key('pytorch', threads), net);
        row[`wasm_ms_${threads}`] = ours === undefined ? undefined : median(ours);
        row[`pytorch_ms_${threads}`] = theirs === undefined ? undefined : median(theirs);
        row[`over_pytorch_${threads}`] = ratio(ours, theirs);
      }
      const all = threadCounts[threadCounts.length - 1] as number;
      row.speedup_all_cores =
        all > 1 ? ratio(series(key('wasm', 1), net), series(key('wasm', all), net)) : undefined;
      row.pytorch_speedup_all_cores =
        all > 1 ? ratio(series(key('pytorch', 1), net), series(key('pytorch', all), net)) : undefined;
      row.train_over_forward = ratio(series(key('wasm', 1), net), forward.get(net));
      return row;
    });

    const fmt = (v: unknown, digits = 1) => (typeof v === 'number' ? v.toFixed(digits) : '–');
    const all = threadCounts[threadCounts.length - 1] as number;
    console.log(
      `\ntraining step, batch ${options.batch} of 32×32×3, SGD; wall ms, medians over ${options.rounds} interleaved rounds of ${options.steps} steps`,
    );
    console.log(
      `machine: ${cpus().length} cores; load ${loadBefore.join(' ')} before, ${loadAfter.join(' ')} after; PyTorch ${typeof python === 'string' ? 'absent' : python.version}\n`,
    );
    const header = threadCounts.map((t) => `wasm@${t} ms  torch@${t} ms  ours/torch@${t}`).join('  ');
    console.log(`${'net'.padEnd(14)} ${header}  speed-up@${all} (torch)  train/fwd`);
    for (const r of rows) {
      const cells = threadCounts
        .map(
          (t) =>
            `${fmt(r[`wasm_ms_${t}`]).padStart(10)} ${fmt(r[`pytorch_ms_${t}`]).padStart(12)} ${fmt(r[`over_pytorch_${t}`], 2).padStart(15)}`,
        )
        .join('  ');
      console.log(
        `${String(r.net).padEnd(14)} ${cells}  ${`${fmt(r.speedup_all_cores, 2)} (${fmt(r.pytorch_speedup_all_cores, 2)})`.padStart(20)}  ${fmt(r.train_over_forward, 2).padStart(9)}`,
      );
    }
    console.log('');
    for (const r of rows) {
      const net = r.net as string;
      for (const threads of threadCounts) {
        const value = r[`over_pytorch_${threads}`];
        if (typeof value === 'number') {
          bench({
            name: 'train-step',
            net,
            backend: 'wasm',
            threads,
            metric: 'over_pytorch',
            value,
            unit: 'ratio',
          });
        }
        const ms = r[`wasm_ms_${threads}`] as number;
        bench({
          name: 'train-step',
          net,
          backend: 'wasm',
          threads,
          metric: 'train_step_ms',
          value: ms,
          unit: 'ms',
        });
      }
      if (typeof r.speedup_all_cores === 'number') {
        bench({
          name: 'train-step',
          net,
          backend: 'wasm',
          threads: all,
          metric: 'speedup_all_cores',
          value: r.speedup_all_cores,
          unit: 'ratio',
        });
      }
      bench({
        name: 'train-step',
        net,
        backend: 'wasm',
        threads: 1,
        metric: 'train_over_forward',
        value: r.train_over_forward as number,
        unit: 'ratio',
      });
    }
    if (options.write) {
      const file = here('./results/train-step.json');
      const result = {
        date: new Date().toISOString(),
        machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', loadBefore, loadAfter },
        pytorch: typeof python === 'string' ? null : python.version,
        batch: options.batch,
        rounds: options.rounds,
        steps: options.steps,
        threads: threadCounts,
        rows,
      };
      writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
      console.log(`wrote ${file}`);
    }
  } finally {
    for (const engine of engines.values()) engine.close();
  }
}

await main();
