import { AutomlError, describeValue } from '../../internal/errors.js';
import { Registry } from '../../registry/registry.js';
import type { Module } from '../module.js';
import type { ActivationConfig } from './activation.js';
import { Activation } from './activation.js';
import { AvgPool2d } from './avg-pool2d.js';
import type { BatchNormConfig } from './batch-norm.js';
import { BatchNorm } from './batch-norm.js';
import type { ConcatConfig } from './concat.js';
import { Concat } from './concat.js';
import type { Conv2dConfig } from './conv2d.js';
import { Conv2d } from './conv2d.js';
import type { DenseConfig } from './dense.js';
import { Dense } from './dense.js';
import type { DropoutConfig } from './dropout.js';
import { Dropout } from './dropout.js';
import { Flatten } from './flatten.js';
import { GlobalAvgPool } from './global-avg-pool.js';
import type { GraphConvConfig } from './graph-conv.js';
import { GraphConv } from './graph-conv.js';
import type { JsonObject, ModuleBuilder, SerializedModule } from './layer-utils.js';
import { MaxPool2d } from './max-pool2d.js';
import type { Pool2dConfig } from './pool2d.js';
import type { ResidualConfig } from './residual.js';
import { Residual } from './residual.js';
import type { SequentialConfig } from './sequential.js';
import { Sequential } from './sequential.js';
import type { SumConfig } from './sum.js';
import { Sum } from './sum.js';
import { Zero } from './zero.js';
import type { ZeroPadShortcutConfig } from './zero-pad-shortcut.js';
import { ZeroPadShortcut } from './zero-pad-shortcut.js';

/** How to rebuild one module class from its config; composition classes use `build` for children. */
export interface ModuleClassEntry {
  fromConfig(config: JsonObject, build: ModuleBuilder): Module;
}

/**
 * Module classes by `className`, for {@link moduleFromConfig}. Preloaded with the built-in
 * layers; other modules (supernet layers, rep blocks) add theirs with `register`.
 */
export const moduleClasses = new Registry<ModuleClassEntry>(
  {
    kind: 'module class',
    sources: { get: '@automl-ts/core/moduleFromConfig', register: '@automl-ts/core/moduleClasses.register' },
  },
  [
    ['Activation', { fromConfig: (c) => Activation.fromConfig(c as ActivationConfig) }],
    ['AvgPool2d', { fromConfig: (c) => AvgPool2d.fromConfig(c as Pool2dConfig) }],
    ['BatchNorm', { fromConfig: (c) => BatchNorm.fromConfig(c as BatchNormConfig) }],
    ['Concat', { fromConfig: (c, build) => Concat.fromConfig(c as ConcatConfig, build) }],
    ['Conv2d', { fromConfig: (c) => Conv2d.fromConfig(c as Conv2dConfig) }],
    ['Dense', { fromConfig: (c) => Dense.fromConfig(c as DenseConfig) }],
    ['Dropout', { fromConfig: (c) => Dropout.fromConfig(c as DropoutConfig) }],
    ['Flatten', { fromConfig: () => new Flatten() }],
    ['GraphConv', { fromConfig: (c) => GraphConv.fromConfig(c as GraphConvConfig) }],
    ['Zero', { fromConfig: () => new Zero() }],
    ['GlobalAvgPool', { fromConfig: () => new GlobalAvgPool() }],
    ['MaxPool2d', { fromConfig: (c) => MaxPool2d.fromConfig(c as Pool2dConfig) }],
    ['Residual', { fromConfig: (c, build) => Residual.fromConfig(c as ResidualConfig, build) }],
    ['Sequential', { fromConfig: (c, build) => Sequential.fromConfig(c as SequentialConfig, build) }],
    ['Sum', { fromConfig: (c, build) => Sum.fromConfig(c as SumConfig, build) }],
    ['ZeroPadShortcut', { fromConfig: (c) => ZeroPadShortcut.fromConfig(c as ZeroPadShortcutConfig) }],
  ],
);

/**
 * Rebuilds a module tree from `serializeModule(module)` output (plain JSON). Weights are fresh;
 * restore them by name from `namedVariables()` of the original or a checkpoint.
 *
 * @example
 * const json = JSON.stringify(serializeModule(model));
 * const twin = moduleFromConfig(JSON.parse(json)); // same structure and variable names
 */
export function moduleFromConfig(serialized: SerializedModule): Module {
  if (typeof serialized !== 'object' || serialized === null || typeof serialized.className !== 'string') {
    throw new AutomlError(
      '@automl-ts/core/moduleFromConfig',
      `expected { className, config }, got ${describeValue(serialized)}`,
    );
  }
  return moduleClasses.get(serialized.className).fromConfig(serialized.config ?? {}, moduleFromConfig);
}
