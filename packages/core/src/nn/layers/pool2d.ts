import { AutomlError, describeValue } from '../../internal/errors.js';
import { Module } from '../module.js';
import { checkPair } from './layer-utils.js';

/** Options of {@link MaxPool2d} and {@link AvgPool2d}. */
export interface Pool2dOptions {
  poolSize: number | readonly [number, number];
  /** @default poolSize */
  strides?: number | readonly [number, number];
  /**
   * `'same'` average pooling averages over the in-bounds cells only (TF semantics). Explicit
   * `[[top, bottom], [left, right]]` (average pooling only) zero-pads the input first and counts the
   * padded cells in every window, so the pooling is a fixed convolution everywhere, borders
   * included (what re-parameterisation needs).
   * @default 'valid'
   */
  padding?: PoolPadding;
}

/** Padding of a pooling layer: TF's `'same'` or `'valid'`, or explicit zero padding (average pooling only). */
export type PoolPadding = 'same' | 'valid' | readonly [readonly [number, number], readonly [number, number]];

/** The JSON form of a pooling layer. */
export type Pool2dConfig = {
  readonly poolSize: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: PoolPadding;
};

/** Shared body of the spatial pooling layers over NHWC inputs ({@link MaxPool2d}, {@link AvgPool2d}). */
export abstract class Pool2d extends Module {
  readonly poolSize: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: PoolPadding;

  /** `allowExplicit`: whether the subclass supports explicit padding (average pooling does). */
  constructor(options: Pool2dOptions, source: string, allowExplicit = false) {
    super();
    this.poolSize = checkPair(source, 'poolSize', options?.poolSize, Number.NaN);
    this.strides =
      options.strides === undefined ? this.poolSize : checkPair(source, 'strides', options.strides, 1);
    const padding: unknown = options.padding ?? 'valid';
    if (padding === 'same' || padding === 'valid') {
      this.padding = padding;
    } else if (allowExplicit && isExplicitPadding(padding)) {
      this.padding = [
        [padding[0][0], padding[0][1]],
        [padding[1][0], padding[1][1]],
      ];
    } else {
      throw new AutomlError(
        source,
        `padding must be 'same', 'valid'${allowExplicit ? ' or [[top, bottom], [left, right]] with integers >= 0' : ''}, got ${describeValue(padding)}`,
      );
    }
  }

  /** Plain JSON enough to rebuild the layer. */
  getConfig(): Pool2dConfig {
    return {
      poolSize: [...this.poolSize] as [number, number],
      strides: [...this.strides] as [number, number],
      padding: copyPadding(this.padding),
    };
  }

  protected traceAttrs(): Record<string, unknown> {
    return { poolSize: [...this.poolSize], strides: [...this.strides], padding: copyPadding(this.padding) };
  }
}

function isExplicitPadding(
  value: unknown,
): value is readonly [readonly [number, number], readonly [number, number]] {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    value.every(
      (pair: unknown) =>
        Array.isArray(pair) &&
        pair.length === 2 &&
        pair.every((v: unknown) => Number.isInteger(v) && (v as number) >= 0),
    )
  );
}

function copyPadding(padding: PoolPadding): PoolPadding {
  if (typeof padding === 'string') return padding;
  return [
    [padding[0][0], padding[0][1]],
    [padding[1][0], padding[1][1]],
  ];
}
