// Sum over leading axes for wasm (bias-add and batch-norm gradients; 64×16×16×32 → 32: 1.0 ms CPU in
// wasm's transpose-then-sum, 0.35 ms here). Identity:
//   out[c] = Σ_r x[r, c]   for x viewed as [rows, cols] (see leading-axes-reduce.ts)
// Other reductions go to wasm's own kernel.
import type { KernelOverride } from './kernel-override.js';
import { reduceLeadingAxes } from './leading-axes-reduce.js';

/** Sum over leading axes of float32 tensors, without wasm's transpose. */
export const sumOverride: KernelOverride = {
  kernelName: 'Sum',
  run: (args) => reduceLeadingAxes('Sum', args, false),
};
