// The baselines SWP is compared with (Wang et al., 2020, §4): uniform width (every layer keeps the
// same fraction) and L1-norm filter pruning (Li et al., "Pruning Filters for Efficient ConvNets",
// ICLR 2017, §3.1), both sized to the same MACs budget.
import {
  type Architecture,
  architectureCost,
  describeValue,
  type Module,
  profileModel,
  pruneByRatio,
  type Supernet,
} from '@automl-ts/core';
import { failFor } from './internal/errors.js';

/** Every choice at the allowed value closest to `ratio` of its largest (ties: the smaller). */
export function uniformArchitecture(supernet: Supernet, ratio: number): Architecture {
  if (typeof ratio !== 'number' || !(ratio > 0 && ratio <= 1)) {
    throw failFor('uniformArchitecture')(`ratio must be a number in (0, 1], got ${describeValue(ratio)}`);
  }
  const arch: Record<string, number> = {};
  for (const choice of supernet.searchSpace.choices) {
    if (choice.kind !== 'categorical' || !choice.values.every((v) => typeof v === 'number')) {
      throw failFor('uniformArchitecture')(`choice "${choice.name}" is not a list of widths`);
    }
    const values = choice.values as number[];
    const target = ratio * Math.max(...values);
    arch[choice.name] = values.reduce((best, v) =>
      Math.abs(v - target) < Math.abs(best - target) ? v : best,
    );
  }
  return arch;
}

/**
 * The uniform-width baseline at a MACs budget: the widest uniform architecture of the supernet's
 * width list whose MACs fit.
 *
 * @example
 * const { arch, ratio } = uniformAtBudget(supernet, 0.5 * fullMacs);
 */
export function uniformAtBudget(
  supernet: Supernet,
  maxMacs: number,
): { arch: Architecture; ratio: number; macs: number } {
  const ratios = new Set<number>();
  for (const choice of supernet.searchSpace.choices) {
    if (choice.kind !== 'categorical') continue;
    const values = choice.values as number[];
    const top = Math.max(...values);
    for (const v of values) ratios.add(Math.round((v / top) * 100) / 100);
  }
  const fits = [...ratios]
    .sort((a, b) => b - a)
    .map((ratio) => ({ ratio, arch: uniformArchitecture(supernet, ratio) }))
    .map((c) => ({ ...c, macs: architectureCost(supernet, c.arch).macs }))
    .find((c) => c.macs <= maxMacs);
  if (fits === undefined) {
    const smallest = architectureCost(supernet, supernet.smallestArchitecture()).macs;
    throw failFor('uniformAtBudget')(
      `no uniform width meets ${maxMacs} MACs; the smallest architecture has ${smallest}`,
    );
  }
  return fits;
}

/**
 * The L1-norm filter-pruning baseline at a MACs budget: `pruneByRatio` (criterion `l1`, the same
 * ratio in every dependency group) with the smallest ratio whose MACs fit, found by bisection.
 * Returns the pruned model (real channel removal) to fine-tune.
 *
 * @example
 * const { model } = l1PruneAtBudget(teacher, 0.5 * fullMacs, [32, 32, 3]);
 */
export function l1PruneAtBudget(
  model: Module,
  maxMacs: number,
  inputShape: readonly number[],
): { model: Module; ratio: number; macs: number } {
  const macsAt = (ratio: number): { pruned: Module; macs: number } => {
    const pruned = pruneByRatio(model, { ratio, criterion: 'l1', inputShape });
    return { pruned, macs: profileModel(pruned, { inputShape }).macs };
  };
  let low = 0;
  let high = 0.99;
  const top = macsAt(high);
  if (top.macs > maxMacs) {
    top.pruned.dispose();
    throw failFor('l1PruneAtBudget')(`no pruning ratio meets ${maxMacs} MACs; ratio 0.99 gives ${top.macs}`);
  }
  let best = { pruned: top.pruned, macs: top.macs, ratio: high };
  for (let i = 0; i < 12; i++) {
    const mid = (low + high) / 2;
    const candidate = macsAt(mid);
    if (candidate.macs <= maxMacs) {
      best.pruned.dispose();
      best = { ...candidate, ratio: mid };
      high = mid;
    } else {
      candidate.pruned.dispose();
      low = mid;
    }
  }
  return { model: best.pruned, ratio: best.ratio, macs: best.macs };
}
