// Li et al., "Pruning Filters for Efficient ConvNets", ICLR 2017, §3.1 (keep the filters of largest
// L1 norm); the searched widths become a real, smaller network through core's dependency-group pruning.
import {
  type Architecture,
  dependencyGroups,
  errorFactory,
  type Module,
  NetworkGraph,
  prune,
  selectChannels,
} from '@automl-ts/core';

/**
 * Removes channels of `model` for real so that every dependency group keeps the width `widths`
 * gives it (keys are group ids, as `toChannelSupernet(model)` names its choices), keeping the
 * channels of largest L1 norm (the ones a `toChannelSupernet` subnet keeps first). Returns a new
 * Module; `model` is untouched. Throws naming an unknown group or a width out of range.
 *
 * @example
 * const pruned = pruneToWidths(teacher, result.best.arch, { inputShape: [32, 32, 3] });
 */
export function pruneToWidths(
  model: Module,
  widths: Architecture,
  options: { inputShape: readonly number[] },
): Module {
  const fail = errorFactory('@automl-ts/graph-pruning/pruneToWidths');
  const groups = new Map(
    dependencyGroups(NetworkGraph.fromModule(model, options.inputShape)).map((g) => [g.id, g.channels]),
  );
  const ratio: Record<string, number> = {};
  for (const [group, width] of Object.entries(widths)) {
    const channels = groups.get(group);
    if (channels === undefined) {
      throw fail(
        `"${group}" is not a dependency group of the model; groups: ${[...groups.keys()].join(', ')}`,
      );
    }
    if (!(typeof width === 'number' && Number.isInteger(width) && width >= 1 && width <= channels)) {
      throw fail(`width of "${group}" must be an integer in [1, ${channels}], got ${JSON.stringify(width)}`);
    }
    // ⌊ratio·channels⌋ channels are removed; the nudge keeps float rounding from removing one too few.
    ratio[group] = (channels - width) / channels + 1e-9;
  }
  const selection = selectChannels(model, { ratio, criterion: 'l1', inputShape: options.inputShape });
  return prune(model, selection, { inputShape: options.inputShape });
}
