// Liu et al., "MetaPruning", ICCV 2019, §3.2: a random network encoding every training step,
// each layer's width drawn uniformly from its choices.
import type { Architecture, Rng } from '@automl-ts/core';
import type { WidthChoice } from './internal/width-vector.js';

/** A random architecture: every width choice drawn uniformly from its allowed widths. */
export function sampleWidths(choices: readonly WidthChoice[], rng: Rng): Architecture {
  return Object.fromEntries(choices.map((c) => [c.name, rng.choice(c.widths)]));
}
