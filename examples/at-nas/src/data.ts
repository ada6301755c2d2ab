import {
  findOmniglotSet,
  type ImageDataset,
  loadEmbeddedDataset,
  loadOmniglotMetaSplit,
  splitByClass,
  splitDataset,
} from '@automl-ts/datasets';

// Omniglot's classes come from datasets' loadOmniglotMetaSplit (by alphabet, fixed split seed), the
// split examples/few-shot uses too, so both examples meta-test on the same classes.

/** Meta-train, meta-val (fitness and model selection) and meta-test (the reported number) classes, disjoint. */
export interface AtNasData {
  readonly name: string;
  readonly description: string;
  readonly train: ImageDataset;
  readonly val: ImageDataset;
  readonly test: ImageDataset;
  readonly metaTest: 'evaluation' | 'background' | 'embedded';
}

const SPLIT_SEED = 0;

/**
 * Omniglot with rotations as classes, split by alphabet: with the official evaluation set as
 * meta-test (`auto` when it is there), 25 / 5 background alphabets for meta-train / meta-val;
 * without it 20 / 5 / 5. Without a data directory, the embedded MNIST (a smoke test, not a benchmark).
 */
export async function loadAtNasData(
  dataDir: string | undefined,
  metaTest: 'auto' | 'evaluation' | 'background',
): Promise<AtNasData> {
  if (dataDir === undefined) {
    const full = await loadEmbeddedDataset({ split: 'train', limit: 5000 });
    const { train, held } = splitByClass(full, {
      ratios: { train: 1, held: 1 },
      groupOf: (c) => (c < 5 ? 'low' : 'high'),
      seed: SPLIT_SEED,
    });
    const { val, test } = splitDataset(held, { ratios: { val: 1, test: 1 }, seed: SPLIT_SEED });
    return {
      name: 'mnist',
      description: 'embedded MNIST: digits 0–4 meta-train, 5–9 meta-val and meta-test on disjoint halves',
      train,
      val,
      test,
      metaTest: 'embedded',
    };
  }
  const { found, lookedAt } = await findOmniglotSet(dataDir, 'evaluation');
  if (metaTest === 'evaluation' && found === undefined) {
    throw new Error(
      `@automl-ts/example-at-nas: --meta-test evaluation needs Omniglot's images_evaluation.zip; looked for ${lookedAt
        .map((p) => `"${p}"`)
        .join(', ')}`,
    );
  }
  const useEvaluation = metaTest === 'evaluation' || (metaTest === 'auto' && found !== undefined);
  const split = await loadOmniglotMetaSplit({
    dataDir,
    metaTest: useEvaluation ? 'evaluation' : 'background',
  });
  return { name: 'omniglot', ...split };
}
