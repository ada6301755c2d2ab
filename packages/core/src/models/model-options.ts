import { AutomlError, describeValue } from '../internal/errors.js';

/** Options every registered model takes. */
export interface BaseModelOptions {
  /** Classifier outputs. */
  numClasses: number;
  /** Input height and width (square NHWC inputs). */
  inputSize: number;
  /** Input channels. */
  inChannels: number;
  /** Seed of the weight initialisation. */
  seed: number | string;
}

/** Throws unless every base option is valid; `minInputSize` is the model's total downsampling. */
export function checkBaseOptions(source: string, options: BaseModelOptions, minInputSize: number): void {
  for (const key of ['numClasses', 'inChannels'] as const) {
    const value = options[key];
    if (!Number.isInteger(value) || value < 1) {
      throw new AutomlError(source, `${key} must be an integer >= 1, got ${describeValue(value)}`);
    }
  }
  if (!Number.isInteger(options.inputSize) || options.inputSize < minInputSize) {
    throw new AutomlError(
      source,
      `inputSize must be an integer >= ${minInputSize}, got ${describeValue(options.inputSize)}`,
    );
  }
}

/** The MobileNet channel rounding: nearest multiple of `divisor`, at least `divisor`, never below 90% of `value`. */
export function makeDivisible(value: number, divisor = 8): number {
  const rounded = Math.max(divisor, Math.floor((value + divisor / 2) / divisor) * divisor);
  return rounded < 0.9 * value ? rounded + divisor : rounded;
}
