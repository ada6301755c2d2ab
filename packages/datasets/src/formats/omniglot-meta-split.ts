// The standard Omniglot few-shot protocol (Vinyals et al. 2016; Finn et al. 2017): meta-train on the
// "background" alphabets, meta-test on the 20 "evaluation" alphabets. Model selection needs a third,
// disjoint pool: meta-val is carved out of the background alphabets, and without the evaluation set
// meta-test is too. Splitting by alphabet (not by character) keeps similar characters in one pool.
import type { ImageDataset } from '../dataset.js';
import { errorFactory } from '../internal/errors.js';
import { dataDirFrom, dataRootCandidates, nodeModules, statOrUndefined } from '../internal/node.js';
import { checkOneOf } from '../internal/validate.js';
import { splitByClass } from '../pipeline/split.js';
import {
  loadOmniglot,
  type OmniglotDecodeOptions,
  type OmniglotRotation,
  type OmniglotSet,
} from './omniglot.js';

/** Where meta-test comes from: `auto` is the evaluation set when it is there, else held-out background alphabets. */
export type OmniglotMetaTest = 'auto' | 'evaluation' | 'background';

/** Options of {@link loadOmniglotMetaSplit}. */
export interface OmniglotMetaSplitOptions extends Omit<OmniglotDecodeOptions, 'set'> {
  /**
   * Data directory holding `omniglot/images_background.zip` (and `images_evaluation.zip` when you
   * have it), searched as {@link loadOmniglot} does.
   * @default process.env.AUTOML_DATA_DIR
   */
  dataDir?: string;
  /**
   * Where meta-test comes from. `evaluation` fails when the evaluation set is missing.
   * @default 'auto'
   */
  metaTest?: OmniglotMetaTest;
  /**
   * Rotations added as new classes; a rotated character stays in its alphabet's pool.
   * @default [0, 90, 180, 270]
   */
  rotations?: readonly OmniglotRotation[];
  /**
   * Seed of the alphabet split: fixed by default so that every run (whatever its training seed)
   * and every example meta-tests on the same classes.
   * @default 0
   */
  splitSeed?: number;
}

/** Three pairwise disjoint class pools of Omniglot, split by alphabet. */
export interface OmniglotMetaSplit {
  readonly train: ImageDataset;
  /** Model selection (periodic evaluations, fitness): never the reported number. */
  readonly val: ImageDataset;
  /** The reported number only. */
  readonly test: ImageDataset;
  /** What meta-test is: the official evaluation set or held-out background alphabets. */
  readonly metaTest: 'evaluation' | 'background';
  /** The alphabets of each pool, sorted. */
  readonly split: {
    readonly train: readonly string[];
    readonly val: readonly string[];
    readonly test: readonly string[];
  };
  /** One sentence for reports: pools, class counts and where meta-test comes from. */
  readonly description: string;
}

const fail = errorFactory('loadOmniglotMetaSplit');

/** Background alphabets per pool: 25 / 5 with the evaluation set as meta-test, else 20 / 5 / 5 (of 30). */
const WITH_EVALUATION = { train: 25, val: 5 } as const;
const WITHOUT_EVALUATION = { train: 20, val: 5, test: 5 } as const;

const alphabetOf = (c: number, dataset: ImageDataset) =>
  (dataset.classInfo?.[c] as { alphabet?: string } | undefined)?.alphabet ?? String(c);

const alphabetsOf = (dataset: ImageDataset) =>
  [...new Set(dataset.classNames.map((_, c) => alphabetOf(c, dataset)))].sort();

/**
 * Whether the data directory holds an Omniglot set (zip or folder, where {@link loadOmniglot} looks),
 * and the paths it looked at (absolute when `dataDir` is), for messages.
 */
export async function findOmniglotSet(
  dataDir: string | undefined,
  set: OmniglotSet,
): Promise<{ found: string | undefined; lookedAt: readonly string[] }> {
  const root = dataDirFrom(dataDir);
  if (root === undefined) return { found: undefined, lookedAt: [] };
  const { path } = await nodeModules(fail);
  const folder = `images_${set}`;
  const lookedAt = dataRootCandidates(path.join, path.resolve(root), 'omniglot', [`${folder}.zip`, folder]);
  for (const candidate of lookedAt) {
    if ((await statOrUndefined(fail, candidate)) !== undefined) return { found: candidate, lookedAt };
  }
  return { found: undefined, lookedAt };
}

/**
 * Loads Omniglot as meta-train / meta-val / meta-test pools split by alphabet with a fixed seed:
 * with the official evaluation set as meta-test, 25 meta-train and 5 meta-val background alphabets;
 * without it, 20 / 5 / 5 with meta-test held out of the background set. Node only.
 *
 * @example
 * const { train, val, test, metaTest } = await loadOmniglotMetaSplit({ dataDir: '../shared/data' });
 * // metaTest === 'background' unless images_evaluation.zip is there
 */
export async function loadOmniglotMetaSplit(
  options: OmniglotMetaSplitOptions = {},
): Promise<OmniglotMetaSplit> {
  const { dataDir, metaTest = 'auto', rotations = [0, 90, 180, 270], splitSeed = 0, ...decode } = options;
  checkOneOf(fail, 'metaTest', metaTest, ['auto', 'evaluation', 'background'] as const);
  const evaluation = metaTest === 'background' ? undefined : await findOmniglotSet(dataDir, 'evaluation');
  if (metaTest === 'evaluation' && evaluation?.found === undefined) {
    const looked = evaluation?.lookedAt ?? [];
    throw fail(
      `metaTest "evaluation" needs Omniglot's images_evaluation.zip; ${
        looked.length === 0
          ? 'no data directory (pass dataDir or set AUTOML_DATA_DIR)'
          : `looked for ${looked.map((p) => `"${p}"`).join(', ')}`
      }`,
    );
  }
  const source = evaluation?.found === undefined ? 'background' : 'evaluation';
  const background = await loadOmniglot({ ...decode, dataDir, rotations: [...rotations] });
  const groupOf = (c: number) => alphabetOf(c, background);
  let train: ImageDataset;
  let val: ImageDataset;
  let test: ImageDataset;
  if (source === 'evaluation') {
    ({ train, val } = splitByClass(background, { ratios: WITH_EVALUATION, groupOf, seed: splitSeed }));
    test = await loadOmniglot({ ...decode, dataDir, set: 'evaluation', rotations: [...rotations] });
  } else {
    ({ train, val, test } = splitByClass(background, {
      ratios: WITHOUT_EVALUATION,
      groupOf,
      seed: splitSeed,
    }));
  }
  const split = { train: alphabetsOf(train), val: alphabetsOf(val), test: alphabetsOf(test) };
  const where = source === 'evaluation' ? 'the official evaluation set' : 'held-out background alphabets';
  const rotated = rotations.length > 1 ? ' with rotations' : '';
  return {
    train,
    val,
    test,
    metaTest: source,
    split,
    description:
      `Omniglot (${background.classNames.length} background classes${rotated}): ` +
      `${train.classNames.length} meta-train classes (${split.train.length} alphabets), ` +
      `${val.classNames.length} meta-val (${split.val.length} alphabets, model selection), ` +
      `${test.classNames.length} meta-test (${split.test.length} alphabets of ${where})`,
  };
}
