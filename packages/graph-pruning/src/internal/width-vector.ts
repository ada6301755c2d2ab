import type { Architecture, CategoricalChoice, SearchSpace } from '@automl-ts/core';

/** The width choices of a channel supernet, in search-space order, with their channel counts. */
export interface WidthChoice {
  readonly name: string;
  /** Allowed channel counts, ascending. */
  readonly widths: readonly number[];
  readonly max: number;
}

/** Reads every choice of `space` as a width choice (numeric categorical values). */
export function widthChoices(space: SearchSpace, fail: (message: string) => Error): WidthChoice[] {
  return space.names.map((name) => {
    const choice = space.choice(name) as CategoricalChoice;
    const values = (choice as { values?: readonly unknown[] }).values;
    if (!Array.isArray(values) || !values.every((v) => typeof v === 'number' && v >= 1)) {
      throw fail(`choice "${name}" is not a width choice (channel counts); got ${JSON.stringify(values)}`);
    }
    const widths = [...(values as number[])].sort((a, b) => a - b);
    return { name, widths, max: widths[widths.length - 1] as number };
  });
}

/** The width vector: each choice's width over its largest (MetaPruning's network encoding). */
export function widthVector(choices: readonly WidthChoice[], arch: Architecture): number[] {
  return choices.map((c) => (arch[c.name] as number) / c.max);
}

/** The allowed width nearest to `ratio · max` (ties to the larger). */
export function nearestWidth(choice: WidthChoice, ratio: number): number {
  const target = ratio * choice.max;
  let best = choice.widths[0] as number;
  for (const w of choice.widths) if (Math.abs(w - target) <= Math.abs(best - target)) best = w;
  return best;
}
