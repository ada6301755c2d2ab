import * as tf from '@tensorflow/tfjs';
import { describeValue, errorFactory } from '../internal/errors.js';
import { registerFileSystemRouter } from '../io/file-system-router.js';
import { startWasmWithNodeThreads } from './wasm-node-threads.js';
import { registerWasmTrainingKernels } from './wasm-training-kernels/register-wasm-training-kernels.js';

/** A TF.js backend automl-ts knows how to set up. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

/** `auto` picks the fastest available: `tensorflow` (CUDA, then CPU libtensorflow) → `wasm` → `cpu`. */
export type BackendPreference = 'auto' | BackendName;

/** What {@link initBackend} chose. */
export interface BackendInfo {
  /** The TF.js backend now active (`tf.getBackend()`). */
  readonly name: BackendName;
  /** `cuda` when the backend came from `@tensorflow/tfjs-node-gpu`, else `cpu`. */
  readonly device: 'cuda' | 'cpu';
  /** The npm package that provides the backend. */
  readonly package: string;
  /** WebAssembly SIMD in use (wasm only). */
  readonly simd: boolean;
  /** Threads the backend computes with. */
  readonly threads: number;
  /** Version of `@tensorflow/tfjs-core` in use. */
  readonly tfjsVersion: string;
}

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /**
   * Which backend to use. An explicit name that cannot be loaded throws.
   * @default 'auto'
   */
  prefer?: BackendPreference;
  /**
   * Threads the wasm backend computes with (XNNPACK's thread pool: convolutions and matrix
   * products, which is where training spends its time). In Node, 2 or more starts the
   * threaded-SIMD build under `worker_threads`; 1 runs the single-threaded build. The count is
   * fixed when the wasm module first starts in a process; later calls report the running count.
   * Browsers use their own detection (threads need cross-origin isolation there).
   * @default the `AUTOML_THREADS` environment variable if set, else in Node's main thread the
   * machine's cores (`os.availableParallelism()`, at most 8), and 1 inside a worker thread (a pool
   * of workers, such as evolution's, already uses the cores)
   */
  threads?: number;
  /** @deprecated use `threads`. */
  wasmThreads?: number;
  /**
   * Loads an optional backend package. Replace it to bundle the backends yourself, or to fake
   * them in tests.
   * @default (specifier) => import(specifier)
   */
  importModule?: (specifier: string) => Promise<unknown>;
}

const fail = errorFactory('@automl-ts/core/initBackend');

/** Package and device behind each way of getting the `tensorflow` backend, in the order `auto` tries them. */
export const TENSORFLOW_PACKAGES = [
  { package: '@tensorflow/tfjs-node-gpu', device: 'cuda' },
  { package: '@tensorflow/tfjs-node', device: 'cpu' },
] as const;

const WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm';

const INSTALL_HINTS: Record<BackendName, string> = {
  tensorflow:
    `install the CUDA build with \`npm install @tensorflow/tfjs-node-gpu@${tf.version_core}\` ` +
    '(Linux x86_64, an NVIDIA driver, CUDA 11.2 and cuDNN 8.1 libraries on the library path: it links libtensorflow 2.9.1) ' +
    `or the CPU build with \`npm install @tensorflow/tfjs-node@${tf.version_core}\`; ` +
    'both download libtensorflow at install time (see the README section "GPU (CUDA)")',
  wasm: `install \`${WASM_PACKAGE}@${tf.version_core}\` (a dependency of @automl-ts/core; reinstall if it is missing)`,
  cpu: 'the cpu backend ships with @tensorflow/tfjs; reinstall @tensorflow/tfjs',
};

type Attempt = { ok: true; info: BackendInfo } | { ok: false; reason: string };

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

async function detectThreads(): Promise<number> {
  try {
    const os = await import('node:os');
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  } catch {
    const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
    return nav?.hardwareConcurrency ?? 1;
  }
}

async function tryTensorflow(importModule: (s: string) => Promise<unknown>): Promise<Attempt> {
  const reasons: string[] = [];
  for (const candidate of TENSORFLOW_PACKAGES) {
    try {
      await importModule(candidate.package);
    } catch (error) {
      reasons.push(`${candidate.package} could not be loaded (${reasonOf(error)})`);
      continue;
    }
    if (!(await tf.setBackend('tensorflow'))) {
      reasons.push(`${candidate.package} loaded but the "tensorflow" backend failed to initialise`);
      continue;
    }
    await tf.ready();
    return {
      ok: true,
      info: {
        name: 'tensorflow',
        device: candidate.device,
        package: candidate.package,
        simd: false,
        threads: await detectThreads(),
        tfjsVersion: tf.version_core,
      },
    };
  }
  return { ok: false, reason: reasons.join('; ') };
}

interface WasmModule {
  setThreadsCount?: (n: number) => void;
  getThreadsCount?: () => number;
}

/** The most threads the threaded wasm build can start in Node (Emscripten's pool of pthread workers + this thread). */
export const MAX_WASM_THREADS = 8;

function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof proc?.versions?.node === 'string';
}

/** The wasm thread count `initBackend` uses when `threads` is not given; `undefined` leaves it to the runtime. */
async function defaultWasmThreads(): Promise<number | undefined> {
  if (!isNode()) return undefined;
  const fromEnv = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
    ?.AUTOML_THREADS;
  if (fromEnv !== undefined && fromEnv !== '') {
    const n = Number(fromEnv);
    if (!Number.isInteger(n) || n < 1 || n > MAX_WASM_THREADS) {
      throw fail(
        `the AUTOML_THREADS environment variable must be an integer from 1 to ${MAX_WASM_THREADS}, got ${describeValue(fromEnv)}`,
      );
    }
    return n;
  }
  const { isMainThread } = await import('node:worker_threads');
  if (!isMainThread) return 1;
  return Math.min(MAX_WASM_THREADS, await detectThreads());
}

function checkThreads(threads: unknown): void {
  if (threads === undefined) return;
  if (
    typeof threads !== 'number' ||
    !Number.isInteger(threads) ||
    threads < 1 ||
    threads > MAX_WASM_THREADS
  ) {
    throw fail(`threads must be an integer from 1 to ${MAX_WASM_THREADS}, got ${describeValue(threads)}`);
  }
}

async function tryWasm(
  importModule: (s: string) => Promise<unknown>,
  requested: number | undefined,
): Promise<Attempt> {
  let wasm: WasmModule;
  try {
    wasm = (await importModule(WASM_PACKAGE)) as WasmModule;
  } catch (error) {
    return { ok: false, reason: `${WASM_PACKAGE} could not be loaded (${reasonOf(error)})` };
  }
  registerWasmTrainingKernels();
  const alreadyStarted = tf.engine().registry.wasm !== undefined;
  const threads = requested ?? (await defaultWasmThreads());
  if (threads !== undefined) wasm.setThreadsCount?.(threads);
  const threaded = !alreadyStarted && isNode() && threads !== undefined && threads > 1;
  if (threaded) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  const start = () => withoutEmscriptenRethrowHandlers(() => tf.setBackend('wasm'));
  const ready = threaded ? await startWasmWithNodeThreads({ threads, start }) : await start();
  if (!ready) {
    return { ok: false, reason: `${WASM_PACKAGE} loaded but the wasm module failed to initialise` };
  }
  await tf.ready();
  return {
    ok: true,
    info: {
      name: 'wasm',
      device: 'cpu',
      package: WASM_PACKAGE,
      simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
      threads: wasm.getThreadsCount?.() ?? 1,
      tfjsVersion: tf.version_core,
    },
  };
}

/**
 * The wasm module's Emscripten glue adds process handlers that rethrow every uncaught error
 * from inside its minified source, so Node prints 20 kB of minified code instead of the
 * error. They do nothing else; remove the ones added while the module starts.
 */
async function withoutEmscriptenRethrowHandlers<T>(start: () => Promise<T>): Promise<T> {
  type Listener = (...args: unknown[]) => void;
  type ListenerHost = {
    listeners(event: string): Listener[];
    removeListener(event: string, l: Listener): unknown;
  };
  const proc = (globalThis as { process?: Partial<ListenerHost> }).process;
  if (proc?.listeners === undefined || proc.removeListener === undefined) return start();
  const host = proc as ListenerHost;
  const events = ['uncaughtException', 'unhandledRejection'] as const;
  const before = events.map((event) => new Set(host.listeners(event)));
  try {
    return await start();
  } finally {
    events.forEach((event, i) => {
      for (const listener of host.listeners(event)) {
        if (!before[i]!.has(listener)) host.removeListener(event, listener);
      }
    });
  }
}

async function tryCpu(chosen: boolean): Promise<Attempt> {
  // The pack also replaces cpu's AvgPoolGrad (wrong at 'same'-padded borders in TF.js 4.22).
  registerWasmTrainingKernels();
  if (!(await tf.setBackend('cpu'))) return { ok: false, reason: 'the cpu backend failed to initialise' };
  await tf.ready();
  // In Node, TF.js's cpu backend prints a banner recommending tfjs-node on its first tensor. A
  // caller who asked for cpu by name (tests, reference computations) has chosen it; a fallback
  // from 'auto' keeps the banner, which then is useful advice.
  const backend = tf.backend() as { firstUse?: unknown };
  if (chosen && backend.firstUse === true) backend.firstUse = false;
  return {
    ok: true,
    info: {
      name: 'cpu',
      device: 'cpu',
      package: '@tensorflow/tfjs',
      simd: false,
      threads: 1,
      tfjsVersion: tf.version_core,
    },
  };
}

const ORDER: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

/**
 * Selects and initialises the fastest available TF.js backend and reports what it chose.
 * On `wasm` it first registers automl-ts's training kernels, so CNNs train there.
 *
 * @example
 * const info = await initBackend(); // { name: 'wasm', device: 'cpu', simd: true, threads: <cores>, ... }
 * const gpu = await initBackend({ prefer: 'tensorflow' }); // throws with install steps if absent
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const prefer = options.prefer ?? 'auto';
  if (prefer !== 'auto' && !ORDER.includes(prefer)) {
    throw fail(
      `prefer must be one of "auto", ${ORDER.map((n) => `"${n}"`).join(', ')}; got ${describeValue(prefer)}`,
    );
  }
  const threads = options.threads ?? options.wasmThreads;
  checkThreads(threads);
  const importModule = options.importModule ?? ((specifier: string) => import(specifier));
  // `model.save('file://…')` in Node without tfjs-node; steps aside if tfjs-node registers its own.
  registerFileSystemRouter();
  const attempt = (name: BackendName): Promise<Attempt> =>
    name === 'tensorflow'
      ? tryTensorflow(importModule)
      : name === 'wasm'
        ? tryWasm(importModule, threads)
        : tryCpu(prefer === 'cpu');

  if (prefer === 'auto') {
    const reasons: string[] = [];
    for (const name of ORDER) {
      const result = await attempt(name);
      if (result.ok) return result.info;
      reasons.push(`${name}: ${result.reason}`);
    }
    throw fail(`no backend could be initialised: ${reasons.join('; ')}`);
  }

  const result = await attempt(prefer);
  if (result.ok) return result.info;
  const available = await listAvailableBackends(importModule, prefer);
  throw fail(
    `backend "${prefer}" is not available: ${result.reason}. ` +
      `Available: ${available.length > 0 ? available.join(', ') : 'none'}. To use "${prefer}", ${INSTALL_HINTS[prefer]}.`,
  );
}

/** Backends whose package can be loaded, without switching to them. */
async function listAvailableBackends(
  importModule: (s: string) => Promise<unknown>,
  exclude: BackendName,
): Promise<BackendName[]> {
  const out: BackendName[] = [];
  for (const name of ORDER) {
    if (name === exclude) continue;
    if (name === 'cpu') {
      if (tf.findBackendFactory('cpu') != null) out.push('cpu');
      continue;
    }
    const specifiers = name === 'wasm' ? [WASM_PACKAGE] : TENSORFLOW_PACKAGES.map((c) => c.package);
    for (const specifier of specifiers) {
      try {
        await importModule(specifier);
        out.push(name);
        break;
      } catch {
        // not installed or fails to load: not available
      }
    }
  }
  return out;
}
