import * as tf from '@tensorflow/tfjs';
import { avgPoolGradConfig, avgPoolGradCpuConfig } from './avg-pool-grad.js';
import { batchMatMulOverride } from './batch-mat-mul.js';
import { castOverride } from './cast.js';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2dBackpropInputConfig } from './conv2d-backprop-input.js';
import { depthwiseConv2dNativeBackpropFilterConfig } from './depthwise-conv2d-native-backprop-filter.js';
import { depthwiseConv2dNativeBackpropInputConfig } from './depthwise-conv2d-native-backprop-input.js';
import { fusedBatchNormOverride } from './fused-batch-norm.js';
import { identityOverride } from './identity.js';
import { type KernelOverride, overrideKernel } from './kernel-override.js';
import { lessEqualOverride } from './less-equal.js';
import { maxPoolGradConfig } from './max-pool-grad.js';
import { meanOverride } from './mean.js';
import { exactWhereNonFinite } from './non-finite-exact.js';
import { sumOverride } from './sum.js';
import { tileOverride } from './tile.js';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum.js';

/** Kernels wasm lacks, or whose wasm version is replaced outright. */
const KERNELS: readonly tf.KernelConfig[] = [
  avgPoolGradConfig,
  avgPoolGradCpuConfig,
  // Recomputed by the definition when non-finite, so that NaN/Inf land exactly where cpu's do.
  exactWhereNonFinite(conv2dBackpropFilterConfig, false, 'filter'),
  exactWhereNonFinite(conv2dBackpropInputConfig, false, 'input'),
  exactWhereNonFinite(depthwiseConv2dNativeBackpropFilterConfig, true, 'filter'),
  exactWhereNonFinite(depthwiseConv2dNativeBackpropInputConfig, true, 'input'),
  maxPoolGradConfig,
  unsortedSegmentSumConfig,
];

/** Fast paths in front of wasm kernels, for the calls a training step makes. */
const OVERRIDES: readonly KernelOverride[] = [
  batchMatMulOverride,
  castOverride,
  fusedBatchNormOverride,
  identityOverride,
  lessEqualOverride,
  meanOverride,
  sumOverride,
  tileOverride,
];

/** Kernel functions this pack registered, to recognise its own overrides. */
const registered = new WeakSet<tf.KernelFunc>();

function install(config: tf.KernelConfig): void {
  const current = tf.getKernel(config.kernelName, config.backendName);
  if (current?.kernelFunc === config.kernelFunc) return;
  if (current != null) tf.unregisterKernel(config.kernelName, config.backendName);
  tf.registerKernel(config);
  registered.add(config.kernelFunc);
}

/**
 * Registers automl-ts's training kernels for the TF.js `wasm` backend, so that CNNs train there
 * fast: `Conv2DBackpropFilter`, `DepthwiseConv2dNativeBackpropInput`,
 * `DepthwiseConv2dNativeBackpropFilter` and `UnsortedSegmentSum` (which wasm lacks); faster
 * `Conv2DBackpropInput` and `MaxPoolGrad`; an `AvgPoolGrad` that is correct for 'same' and numeric
 * padding (TF.js 4.22's divides border windows by the full window size), registered for the `cpu`
 * backend too; and fast paths for the calls of a training step that
 * wasm runs slowly: `BatchMatMul` with a transposed operand, `Sum`/`Mean` over leading axes, `Tile`
 * of a whole tensor, `Identity` and same-dtype `Cast` (by reference), per-channel `FusedBatchNorm`
 * and `LessEqual` against a scalar. `Cast` to bool is fixed on the way (wasm's copies the numbers).
 *
 * The kernels are composed from wasm's XNNPACK convolutions and matrix products and match the cpu
 * backend to float32 rounding. NHWC only: NCHW convolution gradients throw. With NaN or ±Inf among
 * their inputs, convolution gradients are non-finite exactly where cpu's are (such results are
 * recomputed by the definition, skipping the padding as cpu does).
 *
 * Idempotent. {@link initBackend} calls it before selecting `wasm`; if you select the backend with
 * `tf.setBackend('wasm')` yourself, call it after importing `@tensorflow/tfjs-backend-wasm` (whose
 * import registers the wasm kernels this pack wraps).
 *
 * @example
 * import '@tensorflow/tfjs-backend-wasm';
 * registerWasmTrainingKernels();
 * await tf.setBackend('wasm');
 */
export function registerWasmTrainingKernels(): void {
  for (const config of KERNELS) install(config);
  for (const override of OVERRIDES) {
    const current = tf.getKernel(override.kernelName, 'wasm');
    if (current == null || registered.has(current.kernelFunc)) continue;
    install(overrideKernel(current, override));
  }
}
