// He et al., "AMC: AutoML for Model Compression and Acceleration on Mobile Devices", ECCV 2018,
// §3.4 (the action wall: each layer's action is clipped so that the remaining layers, even at the
// smallest ratio, can still meet the resource budget).
import { type Architecture, architectureCost, errorFactory, type Supernet } from '@automl-ts/core';
import { nearestWidth, type WidthChoice } from './internal/width-vector.js';

/** The MACs budget of a width search over a supernet's choices. */
export interface MacsBudget {
  readonly supernet: Supernet;
  readonly choices: readonly WidthChoice[];
  /** Target MACs (one example). */
  readonly targetMacs: number;
  /** The smallest keep ratio a layer may get. */
  readonly minRatio: number;
}

/** The smallest allowed width at or above `minRatio · max`. */
export function minWidth(choice: WidthChoice, minRatio: number): number {
  const floor = minRatio * choice.max;
  return choice.widths.find((w) => w >= floor - 1e-9) ?? choice.max;
}

/** MACs of `arch` (core's analytic count: one trace, cached, then arithmetic). */
export function macsOf(supernet: Supernet, arch: Architecture): number {
  return architectureCost(supernet, arch).macs;
}

/**
 * Checks that the budget is reachable: every layer at its smallest width must fit. Throws naming
 * the target, the smallest reachable MACs and the ratio.
 */
export function checkBudget(budget: MacsBudget, source: string): void {
  const fail = errorFactory(source);
  const { minRatio, targetMacs } = budget;
  if (!(typeof minRatio === 'number' && minRatio > 0 && minRatio <= 1)) {
    throw fail(`minRatio (a_min) must be in (0, 1], got ${minRatio}`);
  }
  const smallest = macsOf(
    budget.supernet,
    Object.fromEntries(budget.choices.map((c) => [c.name, minWidth(c, minRatio)])),
  );
  if (!(targetMacs >= smallest)) {
    throw fail(
      `the MACs budget ${targetMacs} is below ${smallest}, the MACs with every layer at a_min = ${minRatio}`,
    );
  }
}

/**
 * AMC's action wall for layer `index` of an episode: `decided` holds the widths of the layers
 * before it. Returns the largest allowed width ≤ the proposed `ratio · max` (and ≥ a_min's width)
 * for which the layers after it, at a_min, still fit the budget. The last layer gets the largest
 * width that fits, so an episode ends on the budget as closely as the channel counts allow.
 */
export function actionWall(budget: MacsBudget, decided: Architecture, index: number, ratio: number): number {
  const { choices, supernet, targetMacs, minRatio } = budget;
  const choice = choices[index] as WidthChoice;
  const last = index === choices.length - 1;
  const floor = minWidth(choice, minRatio);
  const proposed = last ? choice.max : Math.max(floor, nearestWidth(choice, ratio));
  const rest = Object.fromEntries(choices.slice(index + 1).map((c) => [c.name, minWidth(c, minRatio)]));
  for (let i = choice.widths.length - 1; i >= 0; i--) {
    const width = choice.widths[i] as number;
    if (width > proposed || width < floor) continue;
    if (macsOf(supernet, { ...decided, [choice.name]: width, ...rest }) <= targetMacs) return width;
  }
  return floor;
}
