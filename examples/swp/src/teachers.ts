// The unpruned base networks (teachers) of the pruning pipelines, trained once on CIFAR-10 and saved
// with their provenance: He et al., "Deep Residual Learning", CVPR 2016, §4.2 (ResNet-20/56);
// Sandler et al., "MobileNetV2", CVPR 2018 (CIFAR-sized input). Importable by other pipelines
// (`@automl-ts/example-swp/teachers`), e.g. graph pruning.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createMobileNetV2,
  createResNetCifar,
  loadModuleWeights,
  type Module,
  profileModel,
  saveModuleWeights,
} from '@automl-ts/core';
import {
  buildResults,
  collectProvenance,
  createRunClock,
  type Results,
  writeResults,
} from '@automl-ts/report';
import { evaluateAccuracy } from '@automl-ts/stagewise-pruning';
import * as tf from '@tensorflow/tfjs';
import { type CifarSplits, fixedBatches } from './data.js';
import { trainClassifier } from './train.js';

/** The teachers the pipelines know. */
export const TEACHERS = ['resnet20', 'resnet56', 'mobilenetv2'] as const;
export type TeacherName = (typeof TEACHERS)[number];

/** Input shape of every teacher (CIFAR). */
export const CIFAR_INPUT_SHAPE: readonly [number, number, number] = [32, 32, 3];

/** Builds an untrained teacher. `width` scales ResNets' first stage (16 in the paper; tests use less). */
export function buildTeacher(name: TeacherName, options: { width?: number; seed?: number } = {}): Module {
  const seed = options.seed ?? 0;
  switch (name) {
    case 'resnet20':
    case 'resnet56':
      return createResNetCifar({
        depth: name === 'resnet20' ? 20 : 56,
        width: options.width ?? 16,
        numClasses: 10,
        seed,
      });
    case 'mobilenetv2':
      return createMobileNetV2({ widthMultiplier: 1, numClasses: 10, inputSize: 32, seed });
    default:
      throw new Error(
        `@automl-ts/example-swp/buildTeacher: unknown teacher ${JSON.stringify(name)}; known: ${TEACHERS.join(', ')}`,
      );
  }
}

/** Options of {@link trainTeacher}. */
export interface TrainTeacherOptions {
  name: TeacherName;
  data: CifarSplits;
  /** Where `weights.json` + shards and `teacher.json` (results with provenance) go. */
  outDir: string;
  /** @default 160 */
  epochs?: number;
  /** @default 128 */
  batchSize?: number;
  /** @default 0.1 */
  learningRate?: number;
  /** @default 0 */
  seed?: number;
  /** ResNet base width. @default 16 */
  width?: number;
  maxBatchesPerEpoch?: number;
  /** Checkpoint directory (resumed). @default `<outDir>/checkpoint` */
  checkpointDir?: string;
  /** The directory whose git repository and node_modules the provenance reads. */
  from?: string;
  onEpoch?: (event: {
    epoch: number;
    epochs: number;
    meanLoss: number;
    seconds: number;
    steps: number;
  }) => void;
}

/**
 * Trains a teacher on the training split (the validation split held out), measures validation and
 * test accuracy, and saves the weights and `teacher.json` (automl-ts/results@1 with provenance,
 * per-example outcomes, per-epoch losses and times).
 */
export async function trainTeacher(options: TrainTeacherOptions): Promise<Results> {
  const clock = createRunClock();
  const epochs = options.epochs ?? 160;
  const batchSize = options.batchSize ?? 128;
  const learningRate = options.learningRate ?? 0.1;
  const seed = options.seed ?? 0;
  const model = buildTeacher(options.name, {
    seed,
    ...(options.width === undefined ? {} : { width: options.width }),
  });
  try {
    const run = await clock.time('training', () =>
      trainClassifier(model, options.data.train, options.data.normalization, {
        epochs,
        batchSize,
        learningRate,
        seed,
        checkpointDir: options.checkpointDir ?? join(options.outDir, 'checkpoint'),
        ...(options.maxBatchesPerEpoch === undefined
          ? {}
          : { maxBatchesPerEpoch: options.maxBatchesPerEpoch }),
        ...(options.onEpoch === undefined ? {} : { onEpoch: options.onEpoch }),
      }),
    );
    const { val, test } = await clock.time('evaluation', async () => {
      const valBatches = await fixedBatches(options.data.val, options.data.normalization, 250);
      const testBatches = await fixedBatches(options.data.test, options.data.normalization, 250);
      try {
        return { val: evaluateAccuracy(model, valBatches), test: evaluateAccuracy(model, testBatches) };
      } finally {
        for (const b of [...valBatches, ...testBatches]) tf.dispose([b.x, b.y]);
      }
    });
    await saveModuleWeights(model, options.outDir);
    const { macs, params } = profileModel(model, { inputShape: CIFAR_INPUT_SHAPE });
    const results = buildResults({
      pipeline: 'swp',
      run: `teacher-${options.name}`,
      protocol: {
        id: 'cifar10-val200-test@1',
        description:
          'trained on the CIFAR-10 training images minus 200 per class (validation, model selection only); test = the 10k official test images',
      },
      config: { name: options.name, epochs, batchSize, learningRate, seed, width: options.width ?? 16 },
      provenance: collectProvenance({
        seeds: { weights: seed, data: seed },
        backend: { name: tf.getBackend(), threads: null },
        startedAt: clock.startedAt,
        phases: clock.phases(),
        ...(options.from === undefined ? {} : { from: options.from }),
      }),
      outcomes: { 'val/correct': val.outcomes, 'test/correct': test.outcomes },
      data: {
        macs,
        params,
        epochLosses: [...run.epochLosses],
        epochSeconds: [...run.epochSeconds],
        resumedAtEpoch: run.resumedAtEpoch,
      },
    });
    await writeResults(join(options.outDir, 'teacher.json'), results);
    return results;
  } finally {
    model.dispose();
  }
}

/** Loads a saved teacher (weights and its `teacher.json`). */
export async function loadTeacher(dir: string): Promise<{ model: Module; record: Results }> {
  const record = JSON.parse(await readFile(join(dir, 'teacher.json'), 'utf8')) as Results;
  const config = record.config as { name: TeacherName; width?: number; seed?: number };
  const model = buildTeacher(config.name, { width: config.width ?? 16, seed: config.seed ?? 0 });
  await loadModuleWeights(model, dir);
  return { model, record };
}
