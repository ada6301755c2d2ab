// @automl-ts/core public API. Each area keeps its own section; name every export.

export type {
  BackendInfo,
  BackendName,
  BackendPreference,
  InitBackendOptions,
} from './backend/init-backend.js';

// ── backend ────────────────────────────────────────────────────────────────
export { initBackend, TENSORFLOW_PACKAGES } from './backend/init-backend.js';
export { registerWasmTrainingKernels } from './backend/wasm-training-kernels/register-wasm-training-kernels.js';
// ── errors ─────────────────────────────────────────────────────────────────
export { AutomlError } from './internal/errors.js';
export type { Rng, RngState } from './random/rng.js';
// ── random ─────────────────────────────────────────────────────────────────
export { createRng, restoreRng, toRng } from './random/rng.js';

// ── nn ─────────────────────────────────────────────────────────────────────
export { Module, resolveApplyOptions } from './nn/module.js';
export type { ApplyContext, ApplyOptions, ArchValues, ParamOverrides, VariableKind } from './nn/module.js';
export type { TraceEvent, TracedOp, TraceRecorder } from './nn/trace.js';
