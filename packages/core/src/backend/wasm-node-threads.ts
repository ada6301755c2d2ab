// Starts the threaded-SIMD build of @tensorflow/tfjs-backend-wasm under Node's worker_threads.
//
// tfjs-backend-wasm 4.22 never enables threads in Node (its WASM_HAS_MULTITHREAD_SUPPORT flag
// returns false there, tensorflow/tfjs#3830), although its Emscripten glue supports Node. Three
// browser-only habits of the loader stand in the way, and this file bridges each one while the
// module starts, then restores the globals it touched:
//   1. it hands Emscripten the pthread worker script as a `blob:` URL, which Node's `Worker`
//      cannot load: a `Worker` subclass reads the script text back (recorded when the Blob is made)
//      and runs it with `eval: true`;
//   2. it sends each worker the main script as a Blob for `importScripts`: the subclass sends the
//      text instead, and the worker's `importScripts` evaluates it (the one free-variable prelude
//      below supplies what the bundled glue expects from its CommonJS scope);
//   3. XNNPACK sizes its thread pool from `emscripten_num_logical_cores() / 2` (it assumes
//      hyper-threading): `os.cpus()` reports `2 × threads` entries while the module starts.
// Once started, the workers share the module's memory and XNNPACK splits each convolution and
// matrix product across them; results are the same for any thread count (work is split by output
// tiles, never inside a sum).
import { AutomlError } from '../internal/errors.js';

type WorkerCtor = new (script: string, options?: { eval?: boolean }) => NodeWorkerLike;

/** The parts of a Node `Worker` used here. */
interface NodeWorkerLike {
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  postMessage(message: unknown, transfer?: unknown): void;
  terminate(): Promise<number>;
  unref(): void;
}

/** What the Emscripten pthread worker script is sent as `urlOrBlob`, followed by the main script. */
const MAIN_SCRIPT_MARK = 'automl-ts:wasm-main-script:';

/** Free variables of the bundled glue (tf-backend-wasm.node.js binds them in its CommonJS scope). */
const WORKER_PRELUDE =
  "var require$$0=require('fs'),require$$1=require('path'),require$$3=require('perf_hooks')," +
  "require$$4=require('os'),commonjsGlobal=globalThis;" +
  'Object.assign(globalThis,{require$$0,require$$1,require$$3,require$$4,commonjsGlobal});';

/** The `importScripts` of Emscripten's pthread worker script, which this file extends. */
const IMPORT_SCRIPTS = 'importScripts:function(f){';

const SOURCE = '@automl-ts/core/initBackend';

let liveWorkers = 0;

/** Worker threads started by {@link startWasmWithNodeThreads} that are still running (for leak tests). */
export function liveWasmThreadWorkers(): number {
  return liveWorkers;
}

/** Options of {@link startWasmWithNodeThreads}. */
export interface StartWasmThreadsOptions {
  /** XNNPACK threads, the calling thread included (≥ 2). */
  readonly threads: number;
  /** Starts the wasm module (`tf.setBackend('wasm')`) while the bridges are in place. */
  readonly start: () => Promise<boolean>;
}

/**
 * Runs `start` with the Node bridges for the threaded wasm build in place (see the file comment)
 * and restores them afterwards. A worker thread that throws or exits before it has loaded the
 * module rejects with an `AutomlError` naming the worker and the cause, instead of leaving
 * `start` waiting forever.
 */
export async function startWasmWithNodeThreads(options: StartWasmThreadsOptions): Promise<boolean> {
  const workerThreads = (await import('node:worker_threads')).default as unknown as {
    Worker: WorkerCtor;
  };
  const os = (await import('node:os')).default as { cpus: () => unknown[] };
  const NodeWorker = workerThreads.Worker;
  const OriginalBlob = globalThis.Blob;
  const originalCreateObjectURL = URL.createObjectURL;
  const originalCpus = os.cpus;
  const blobText = new WeakMap<Blob, string>();
  const urlText = new Map<string, string>();
  let failWorker: (error: AutomlError) => void = () => {};
  const workerFailed = new Promise<never>((_, reject) => {
    failWorker = reject;
  });
  // A failure after `start` settled has nobody to tell; the race below reports the first one.
  workerFailed.catch(() => {});
  let workerIndex = 0;

  class RecordingBlob extends OriginalBlob {
    constructor(...args: ConstructorParameters<typeof Blob>) {
      super(...args);
      const parts = args[0] as unknown[] | undefined;
      if (parts?.every((p) => typeof p === 'string')) blobText.set(this, parts.join(''));
    }
  }

  class PthreadWorker extends NodeWorker {
    constructor(url: string) {
      const script = urlText.get(String(url));
      if (script === undefined || !script.includes(IMPORT_SCRIPTS)) {
        throw new AutomlError(
          SOURCE,
          `the threaded wasm build asked for a worker script this version of automl-ts cannot run in Node (${String(url).slice(0, 60)}); pass threads: 1`,
        );
      }
      const patched = script.replace(
        IMPORT_SCRIPTS,
        `${IMPORT_SCRIPTS}if(f.startsWith(${JSON.stringify(MAIN_SCRIPT_MARK)})){(0,eval)(f.slice(${MAIN_SCRIPT_MARK.length}));return}`,
      );
      super(WORKER_PRELUDE + patched, { eval: true });
      const index = workerIndex++;
      let loaded = false;
      liveWorkers++;
      this.on('message', (message) => {
        if ((message as { cmd?: string } | null)?.cmd === 'loaded') loaded = true;
      });
      // A pthread only serves synchronous calls from the main thread (which wait on shared
      // memory, not on the event loop), so it must not keep Node alive: without this a CLI on
      // threaded wasm never exits. While the module starts, a timer below keeps the process up.
      this.unref();
      this.on('error', (error) => {
        if (!loaded) {
          failWorker(
            new AutomlError(SOURCE, `wasm worker thread ${index} failed to start: ${error.message}`, {
              cause: error,
            }),
          );
        }
      });
      this.on('exit', (code) => {
        liveWorkers--;
        if (!loaded) {
          failWorker(
            new AutomlError(
              SOURCE,
              `wasm worker thread ${index} exited with code ${code} before loading the wasm module`,
            ),
          );
        }
      });
    }

    /** Emscripten refs a worker while it runs a pthread (XNNPACK's pool threads never return). */
    ref(): void {}

    override postMessage(message: unknown, transfer?: unknown): void {
      const load = message as { cmd?: string; urlOrBlob?: unknown } | null;
      if (load?.cmd === 'load' && load.urlOrBlob instanceof OriginalBlob) {
        const text = blobText.get(load.urlOrBlob);
        if (text !== undefined) message = { ...load, urlOrBlob: MAIN_SCRIPT_MARK + text };
      }
      super.postMessage(message, transfer);
    }
  }

  globalThis.Blob = RecordingBlob as typeof Blob;
  URL.createObjectURL = (blob: Blob) => {
    const url = originalCreateObjectURL(blob);
    const text = blobText.get(blob);
    if (text !== undefined) urlText.set(url, text);
    return url;
  };
  workerThreads.Worker = PthreadWorker as unknown as WorkerCtor;
  os.cpus = () => {
    const cpus = originalCpus();
    return Array.from({ length: 2 * options.threads }, (_, i) => cpus[i % Math.max(1, cpus.length)]);
  };
  // The workers are unref'd: this keeps a process that only awaits the start from exiting early.
  const keepAlive = setInterval(() => {}, 1 << 30);
  try {
    return await Promise.race([options.start(), workerFailed]);
  } finally {
    clearInterval(keepAlive);
    globalThis.Blob = OriginalBlob;
    URL.createObjectURL = originalCreateObjectURL;
    workerThreads.Worker = NodeWorker;
    os.cpus = originalCpus;
    for (const url of urlText.keys()) URL.revokeObjectURL(url);
  }
}
