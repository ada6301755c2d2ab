// Mean over leading axes for wasm (tf.moments in batch norm). Identity:
//   out[c] = (Σ_r x[r, c]) / rows   for x viewed as [rows, cols], in float64 (see leading-axes-reduce.ts)
// Other reductions go to wasm's own kernel.
import type { KernelOverride } from './kernel-override.js';
import { reduceLeadingAxes } from './leading-axes-reduce.js';

/** Mean over leading axes of float32 tensors, without wasm's transpose. */
export const meanOverride: KernelOverride = {
  kernelName: 'Mean',
  run: (args) => reduceLeadingAxes('Mean', args, true),
};
