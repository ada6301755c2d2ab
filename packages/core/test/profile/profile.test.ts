import { createModel, formatProfile, initBackend, NetworkGraph, profileModel } from '@automl-ts/core';
import type * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { kerasMobileNetV1, kerasMobileNetV2 } from './keras-mobilenets.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

/**
 * Published figures: Howard et al. 2017, Table 8 (MobileNetV1 1.0-224: 569M mult-adds, 4.2M
 * parameters); Sandler et al. 2018, Table 4 (MobileNetV2 1.0-224: 300M, 3.4M); He et al. 2016,
 * §4.2 and Table 6 (ResNet-20: 0.27M parameters; ~41M FLOPs as usually quoted, counting
 * multiply-adds). The paper's 3.4M for MobileNetV2 is below the reference implementation's
 * 3,504,872 (TF-Slim, Keras and torchvision all count the latter), hence the 5% tolerance.
 */
const PUBLISHED: ReadonlyArray<
  [
    string,
    () => { model: tf.LayersModel | null; module: ReturnType<typeof createModel> | null },
    number[],
    number,
    number,
    number,
    number,
  ]
> = [
  // name, builder, input, published macs, published params, exact macs, exact params
  [
    'MobileNetV1 1.0-224 (Module)',
    () => ({ model: null, module: createModel('mobilenetv1') }),
    [224, 224, 3],
    569e6,
    4.2e6,
    568_740_352,
    4_231_976,
  ],
  [
    'MobileNetV1 1.0-224 (LayersModel)',
    () => ({ model: kerasMobileNetV1(1, 224, 1000), module: null }),
    [224, 224, 3],
    569e6,
    4.2e6,
    568_740_352,
    4_231_976,
  ],
  [
    'MobileNetV2 1.0-224 (Module)',
    () => ({ model: null, module: createModel('mobilenetv2') }),
    [224, 224, 3],
    300e6,
    3.4e6,
    300_774_272,
    3_504_872,
  ],
  [
    'MobileNetV2 1.0-224 (LayersModel)',
    () => ({ model: kerasMobileNetV2(1, 224, 1000), module: null }),
    [224, 224, 3],
    300e6,
    3.4e6,
    300_774_272,
    3_504_872,
  ],
  [
    'ResNet-20 (Module, option A)',
    () => ({ model: null, module: createModel('resnet20', { shortcut: 'A' }) }),
    [32, 32, 3],
    41e6,
    0.27e6,
    40_551_040,
    269_722,
  ],
];

describe('profileModel against published numbers', () => {
  test.each(PUBLISHED)('%s', (_name, build, inputShape, macs, params, exactMacs, exactParams) => {
    const { model, module } = build();
    // ImageNet Modules are traced at 32×32 and inferred at 224×224 symbolically: no 224 forward on cpu.
    const profile = module
      ? profileModel(module, {
          inputShape,
          traceInputShape: inputShape[0] === 224 ? [32, 32, 3] : inputShape,
        })
      : profileModel(model as tf.LayersModel);
    expect(profile.macs).toBe(exactMacs);
    expect(profile.params).toBe(exactParams);
    expect(Math.abs(profile.macs - macs) / macs).toBeLessThan(0.015);
    expect(Math.abs(profile.params - params) / params).toBeLessThan(0.05);
    expect(profile.params).toBe(module ? module.countParameters() : trainable(model as tf.LayersModel));
    module?.dispose();
    model?.dispose();
  });

  test('per-layer rows add up to the totals; formatProfile prints them', () => {
    const module = createModel('resnet20', { shortcut: 'B' });
    const profile = profileModel(module, { inputShape: [32, 32, 3] });
    expect(profile.layers.reduce((s, l) => s + l.macs, 0)).toBe(profile.macs);
    expect(profile.layers.find((l) => l.name === 'stem.conv')).toEqual({
      name: 'stem.conv',
      op: 'conv2d',
      className: 'Conv2d',
      outputShape: [32, 32, 16],
      macs: 32 * 32 * 16 * 27,
      params: 432,
    });
    const text = formatProfile(profile);
    expect(text).toMatch(/^layer\s+op\s+output\s+macs\s+params$/m);
    expect(text).toMatch(/^total\s+40,813,184\s+272,474$/m);
    module.dispose();
  });

  test('a graph profiles at another input size; errors name the problem', () => {
    const model = kerasMobileNetV2(0.5, 96, 10);
    const graph = NetworkGraph.fromLayersModel(model);
    const at128 = profileModel(graph, { inputShape: [128, 128, 3] });
    expect(at128.macs / profileModel(graph).macs).toBeCloseTo((128 / 96) ** 2, 1);
    expect(at128.params).toBe(profileModel(graph).params);
    const module = createModel('conv4');
    expect(() => profileModel(module)).toThrow(
      /profileModel: options.inputShape is required for a Module \(Sequential\)/,
    );
    expect(() => profileModel(42 as unknown as NetworkGraph)).toThrow(
      /profileModel: expected a Module, a tf.LayersModel or a NetworkGraph, got 42/,
    );
    module.dispose();
    model.dispose();
  });
});

function trainable(model: tf.LayersModel): number {
  return model.trainableWeights.reduce(
    (sum, w) => sum + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1),
    0,
  );
}
