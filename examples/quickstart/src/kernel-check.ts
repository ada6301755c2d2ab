import { createRng, initBackend, type Rng } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';

/** Worst disagreement between two backends for one kind of computation. */
export interface KernelCheckRow {
  readonly computation: string;
  readonly configs: number;
  /** Worst over the configs of ‖a − b‖₂ / ‖b‖₂ (b: the cpu result). */
  readonly maxRelativeError: number;
}

interface ConvConfig {
  readonly depthwise: boolean;
  readonly x: number[];
  readonly w: number[];
  readonly strides: number;
  readonly padding: 'same' | 'valid';
  readonly xData: Float32Array;
  readonly wData: Float32Array;
}

function randomConfig(rng: Rng, depthwise: boolean): ConvConfig {
  const batch = rng.int(1, 3);
  const size = rng.int(5, 12);
  const inChannels = rng.int(1, 6);
  const kernel = rng.choice([1, 3, 5]);
  const outChannels = depthwise ? rng.int(1, 2) : rng.int(1, 6);
  const x = [batch, size, size + rng.int(0, 2), inChannels];
  const w = [kernel, kernel, inChannels, outChannels];
  const fill = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  return {
    depthwise,
    x,
    w,
    strides: rng.int(1, 2),
    padding: rng.choice(['same', 'valid'] as const),
    xData: fill(x.reduce((a, b) => a * b, 1)),
    wData: fill(w.reduce((a, b) => a * b, 1)),
  };
}

/** Forward output and both gradients of sum(conv(x, w)²), on the current backend. */
function convAndGradients(config: ConvConfig): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(config.xData, config.x as [number, number, number, number]);
    const w = tf.tensor4d(config.wData, config.w as [number, number, number, number]);
    const conv = (a: tf.Tensor4D, b: tf.Tensor4D) =>
      config.depthwise
        ? tf.depthwiseConv2d(a, b, config.strides, config.padding)
        : tf.conv2d(a, b, config.strides, config.padding);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.square(conv(a as tf.Tensor4D, b as tf.Tensor4D))),
    )([x, w]);
    return [conv(x, w), dx!, dw!].map((t) => t.dataSync() as Float32Array);
  });
}

/** ‖a − b‖₂ / ‖b‖₂ in float64: float32 sums in a different order differ element-wise, not in norm. */
function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i]! - b[i]!) ** 2;
    norm += b[i]! ** 2;
  }
  return norm === 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
}

/**
 * Checks the wasm backend's convolution kernels and automl-ts's wasm training kernels
 * against the reference `cpu` backend on random configurations. Leaves `backend` active.
 */
export async function checkKernelsAgainstCpu(
  backend: string,
  configs = 40,
  seed = 0,
): Promise<KernelCheckRow[]> {
  const rng = createRng(seed);
  const rows: KernelCheckRow[] = [];
  for (const depthwise of [false, true]) {
    const cases = Array.from({ length: configs }, () => randomConfig(rng, depthwise));
    await tf.setBackend(backend);
    const fast = cases.map(convAndGradients);
    await initBackend({ prefer: 'cpu' });
    const reference = cases.map(convAndGradients);
    await tf.setBackend(backend);
    const name = depthwise ? 'depthwiseConv2d' : 'conv2d';
    ['forward', 'input gradient', 'filter gradient'].forEach((part, k) => {
      rows.push({
        computation: `${name} ${part}`,
        configs,
        maxRelativeError: Math.max(...fast.map((f, i) => relativeError(f[k]!, reference[i]![k]!))),
      });
    });
  }
  return rows;
}
