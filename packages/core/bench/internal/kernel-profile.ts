// Per-kernel CPU time of a computation (see cpuNowMs): every kernel registered for the backend is
// wrapped with a timer for the duration of the run. Time is charged to top-level kernels only (a composite kernel,
// such as the wasm training kernels, includes the kernels it runs); the kernels run inside each
// composite are reported separately.
import * as tf from '@tensorflow/tfjs';
import { cpuNowMs } from './timing.js';

/** Time of one kernel name. */
export interface KernelTime {
  readonly name: string;
  readonly calls: number;
  readonly ms: number;
}

/** What {@link profileKernels} measured. */
export interface KernelProfile {
  /** Top-level kernels, slowest first. */
  readonly topLevel: KernelTime[];
  /** For each composite kernel, the kernels it ran (slowest first). */
  readonly nested: Map<string, KernelTime[]>;
  readonly totalMs: number;
}

function sorted(times: Map<string, { calls: number; ms: number }>): KernelTime[] {
  return [...times].map(([name, t]) => ({ name, ...t })).sort((a, b) => b.ms - a.ms);
}

function charge(times: Map<string, { calls: number; ms: number }>, name: string, ms: number): void {
  const entry = times.get(name) ?? { calls: 0, ms: 0 };
  entry.calls++;
  entry.ms += ms;
  times.set(name, entry);
}

/**
 * Runs `run` on the active backend with every kernel timed by `clock` (CPU time of this process by
 * default; pass `performance.now` for wall time when kernels run on several threads); the registry
 * is restored afterwards.
 */
export function profileKernels(run: () => void, clock: () => number = cpuNowMs): KernelProfile {
  const backendName = tf.getBackend();
  const originals = tf.getKernelsForBackend(backendName);
  const top = new Map<string, { calls: number; ms: number }>();
  const nested = new Map<string, Map<string, { calls: number; ms: number }>>();
  const stack: string[] = [];
  for (const config of originals) {
    const inner = config.kernelFunc;
    tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        const parent = stack[0];
        stack.push(config.kernelName);
        const start = clock();
        try {
          return inner(args);
        } finally {
          const ms = clock() - start;
          stack.pop();
          if (parent === undefined) charge(top, config.kernelName, ms);
          else if (stack.length === 1) {
            const children = nested.get(parent) ?? new Map();
            charge(children, config.kernelName, ms);
            nested.set(parent, children);
          }
        }
      },
    });
  }
  const start = clock();
  try {
    run();
  } finally {
    for (const config of originals) {
      tf.unregisterKernel(config.kernelName, backendName);
      tf.registerKernel(config);
    }
  }
  return {
    topLevel: sorted(top),
    nested: new Map([...nested].map(([name, children]) => [name, sorted(children)])),
    totalMs: clock() - start,
  };
}
