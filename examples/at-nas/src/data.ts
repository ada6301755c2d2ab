import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ImageDataset,
  loadEmbeddedDataset,
  loadOmniglot,
  splitByClass,
  splitDataset,
} from '@automl-ts/datasets';

// The class split of examples/few-shot (by alphabet, fixed seed 0), so both examples meta-test on
// the same classes. To be replaced by the shared helper once it moves to @automl-ts/datasets
// (requested in /work/team/F-to-A.md): an example must not import another example.

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

function omniglotPaths(dataDir: string, set: 'background' | 'evaluation'): string[] {
  const folder = `images_${set}`;
  return [
    join(dataDir, 'omniglot', `${folder}.zip`),
    join(dataDir, 'omniglot', folder),
    join(dataDir, `${folder}.zip`),
    join(dataDir, folder),
  ];
}

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
  const hasEvaluation = omniglotPaths(dataDir, 'evaluation').some((path) => existsSync(path));
  if (metaTest === 'evaluation' && !hasEvaluation) {
    throw new Error(
      `@automl-ts/example-at-nas: --meta-test evaluation needs Omniglot's images_evaluation.zip; looked for ${omniglotPaths(
        dataDir,
        'evaluation',
      )
        .map((p) => `"${p}"`)
        .join(', ')}`,
    );
  }
  const useEvaluation = metaTest === 'evaluation' || (metaTest === 'auto' && hasEvaluation);
  const rotations = [0, 90, 180, 270] as const;
  const background = await loadOmniglot({ dataDir, rotations: [...rotations] });
  const groupOf = (c: number, d: ImageDataset) =>
    (d.classInfo?.[c] as { alphabet?: string } | undefined)?.alphabet ?? String(c);
  if (useEvaluation) {
    const { train, val } = splitByClass(background, {
      ratios: { train: 25, val: 5 },
      groupOf,
      seed: SPLIT_SEED,
    });
    const test = await loadOmniglot({ dataDir, set: 'evaluation', rotations: [...rotations] });
    return {
      name: 'omniglot',
      description:
        'Omniglot: 25 / 5 background alphabets for meta-train / meta-val, the official evaluation set as meta-test',
      train,
      val,
      test,
      metaTest: 'evaluation',
    };
  }
  const { train, val, test } = splitByClass(background, {
    ratios: { train: 20, val: 5, test: 5 },
    groupOf,
    seed: SPLIT_SEED,
  });
  return {
    name: 'omniglot',
    description:
      'Omniglot: 20 / 5 / 5 background alphabets for meta-train / meta-val / meta-test (held-out background alphabets: images_evaluation.zip not found)',
    train,
    val,
    test,
    metaTest: 'background',
  };
}
