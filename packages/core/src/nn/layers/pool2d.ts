import { AutomlError, describeValue } from '../../internal/errors.js';
import { Module } from '../module.js';
import { checkPair } from './layer-utils.js';

/** Options of {@link MaxPool2d} and {@link AvgPool2d}. */
export interface Pool2dOptions {
  poolSize: number | readonly [number, number];
  /** @default poolSize */
  strides?: number | readonly [number, number];
  /** `same` average pooling averages over the in-bounds cells only (TF semantics). @default 'valid' */
  padding?: 'same' | 'valid';
}

/** The JSON form of a pooling layer. */
export type Pool2dConfig = {
  readonly poolSize: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: 'same' | 'valid';
};

/** Shared body of the spatial pooling layers over NHWC inputs ({@link MaxPool2d}, {@link AvgPool2d}). */
export abstract class Pool2d extends Module {
  readonly poolSize: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: 'same' | 'valid';

  constructor(options: Pool2dOptions, source: string) {
    super();
    this.poolSize = checkPair(source, 'poolSize', options?.poolSize, Number.NaN);
    this.strides =
      options.strides === undefined ? this.poolSize : checkPair(source, 'strides', options.strides, 1);
    const padding = options.padding ?? 'valid';
    if (padding !== 'same' && padding !== 'valid') {
      throw new AutomlError(source, `padding must be 'same' or 'valid', got ${describeValue(padding)}`);
    }
    this.padding = padding;
  }

  /** Plain JSON enough to rebuild the layer. */
  getConfig(): Pool2dConfig {
    return {
      poolSize: [...this.poolSize] as [number, number],
      strides: [...this.strides] as [number, number],
      padding: this.padding,
    };
  }

  protected traceAttrs(): Record<string, unknown> {
    return { poolSize: [...this.poolSize], strides: [...this.strides], padding: this.padding };
  }
}
