import { AutomlError, describeValue } from '../internal/errors.js';
import type { ArchValues } from '../nn/module.js';
import type { Choice } from '../search-space/choices.js';

/**
 * How a dynamic layer picks an active size (output channels, kernel size) on each call:
 * - a number: fixed;
 * - a {@link Choice} with numeric values: the architecture's value for that choice (the layer
 *   declares the choice, so a supernet's search space picks it up);
 * - a function of the architecture and the active input channels, for derived sizes such as an
 *   inverted bottleneck's `inChannels × expandRatio`. Declare the choices it reads yourself
 *   (the layer's `choices` option or the block that owns it).
 */
export type SizeRule = number | Choice | ((arch: ArchValues | undefined, inChannels: number) => number);

/** The choices a rule declares: the rule itself when it is a {@link Choice}. */
export function choicesOfRule(rule: SizeRule | undefined): Choice[] {
  return isChoice(rule) ? [rule] : [];
}

/** Whether a size rule is a search-space {@link Choice}. */
export function isChoice(rule: SizeRule | undefined): rule is Choice {
  return typeof rule === 'object' && rule !== null && typeof (rule as Choice).kind === 'string';
}

/**
 * Checks a rule at construction: a number must be an integer in `[1, max]`; a choice must hold only
 * such integers (and, when `allowed` is given, only those values).
 */
export function checkRule(
  source: string,
  what: string,
  rule: SizeRule,
  max: number,
  allowed?: readonly number[],
): void {
  if (typeof rule === 'function') return;
  const values: unknown[] =
    typeof rule === 'number'
      ? [rule]
      : isChoice(rule)
        ? rule.kind === 'categorical'
          ? [...rule.values]
          : rule.kind === 'int'
            ? [rule.min, rule.max]
            : [Number.NaN]
        : [rule];
  for (const value of values) {
    const ok =
      typeof value === 'number' &&
      Number.isInteger(value) &&
      value >= 1 &&
      value <= max &&
      (allowed === undefined || allowed.includes(value));
    if (!ok) {
      const name = isChoice(rule) ? ` (choice "${rule.name}")` : '';
      const range = allowed === undefined ? `integers in [1, ${max}]` : `one of ${allowed.join(', ')}`;
      throw new AutomlError(source, `${what}${name} allows ${describeValue(value)}; expected ${range}`);
    }
  }
}

/** The active size for one call; throws naming the layer and the choice when the architecture lacks it or it is out of range. */
export function resolveSize(
  rule: SizeRule,
  arch: ArchValues | undefined,
  inChannels: number,
  source: string,
  what: string,
  max: number,
): number {
  let value: unknown;
  if (typeof rule === 'number') {
    value = rule;
  } else if (typeof rule === 'function') {
    value = rule(arch, inChannels);
  } else {
    if (arch === undefined || !Object.hasOwn(arch, rule.name)) {
      throw new AutomlError(
        source,
        `${what} reads choice "${rule.name}" but the architecture ${arch === undefined ? 'is missing' : `has no "${rule.name}"`}; pass apply(x, { arch })`,
      );
    }
    value = arch[rule.name];
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    const name = isChoice(rule) ? ` (choice "${rule.name}")` : '';
    throw new AutomlError(
      source,
      `${what}${name} is ${describeValue(value)}; expected an integer in [1, ${max}]`,
    );
  }
  return value;
}
