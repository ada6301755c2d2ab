import type { Rng } from '@automl-ts/core';
import type { ImageShape } from '../dataset.js';
import { describeValue, errorFactory, type Fail } from '../internal/errors.js';
import { checkInteger } from '../internal/validate.js';

/**
 * Seeded training-time augmentation on uint8 images (applied before normalisation, as
 * torchvision's `RandomCrop(size, padding)` then `RandomHorizontalFlip()`).
 */
export interface AugmentOptions {
  /**
   * Pad every side by `padding` pixels (of value `fill`), then crop back to the original size at a
   * random offset: the CIFAR recipe is `{ padding: 4 }`.
   * @default undefined (no crop)
   */
  randomCrop?: { padding: number; fill?: number };
  /**
   * Mirror left–right with this probability (`true` means 0.5).
   * @default false
   */
  horizontalFlip?: boolean | number;
}

/** Augmentation options with defaults filled in and validated. */
export interface ResolvedAugment {
  readonly padding: number;
  readonly fill: number;
  readonly flipProbability: number;
}

/** Validates {@link AugmentOptions}; undefined when nothing is to be done. */
export function resolveAugment(fail: Fail, options: AugmentOptions | undefined): ResolvedAugment | undefined {
  if (options === undefined) return undefined;
  const crop = options.randomCrop;
  const padding =
    crop === undefined ? 0 : checkInteger(fail, 'augment.randomCrop.padding', crop.padding, 0, 1024);
  const fill =
    crop?.fill === undefined ? 0 : checkInteger(fail, 'augment.randomCrop.fill', crop.fill, 0, 255);
  const flip = options.horizontalFlip ?? false;
  const flipProbability = flip === true ? 0.5 : flip === false ? 0 : flip;
  if (typeof flipProbability !== 'number' || !(flipProbability >= 0 && flipProbability <= 1)) {
    throw fail(
      `augment.horizontalFlip must be a boolean or a probability in [0, 1], got ${describeValue(flip)}`,
    );
  }
  if (padding === 0 && flipProbability === 0) return undefined;
  return { padding, fill, flipProbability };
}

/**
 * Writes an augmented copy of `image` into `out` (same shape). Draws from `rng` in a fixed order
 * (crop offsets, then the flip), so a seed reproduces the augmentation.
 */
export function augmentInto(
  image: Uint8Array,
  shape: ImageShape,
  augment: ResolvedAugment,
  rng: Rng,
  out: Uint8Array,
): void {
  const { height, width, channels } = shape;
  const { padding, fill } = augment;
  const dy = padding > 0 ? rng.int(0, 2 * padding) - padding : 0;
  const dx = padding > 0 ? rng.int(0, 2 * padding) - padding : 0;
  const flip = augment.flipProbability > 0 && rng.bernoulli(augment.flipProbability);
  for (let y = 0; y < height; y++) {
    const sy = y + dy;
    for (let x = 0; x < width; x++) {
      // Crop first, then mirror the crop: output column x shows crop column width-1-x.
      const sx = (flip ? width - 1 - x : x) + dx;
      const to = (y * width + x) * channels;
      if (sy < 0 || sy >= height || sx < 0 || sx >= width) {
        out.fill(fill, to, to + channels);
      } else {
        const from = (sy * width + sx) * channels;
        for (let c = 0; c < channels; c++) out[to + c] = image[from + c]!;
      }
    }
  }
}

const failAugment = errorFactory('augmentImage');

/**
 * Returns an augmented copy of one uint8 image (HWC), seeded by `rng`.
 *
 * @example
 * const rng = createRng(0);
 * const out = augmentImage(imageAt(cifar, 0), cifar.shape, { randomCrop: { padding: 4 }, horizontalFlip: true }, rng);
 */
export function augmentImage(
  image: Uint8Array,
  shape: ImageShape,
  options: AugmentOptions,
  rng: Rng,
): Uint8Array {
  const augment = resolveAugment(failAugment, options);
  if (image.length !== shape.height * shape.width * shape.channels) {
    throw failAugment(
      `image has ${image.length} values, expected ${shape.height}×${shape.width}×${shape.channels} = ${shape.height * shape.width * shape.channels}`,
    );
  }
  if (augment === undefined) return image.slice();
  const out = new Uint8Array(image.length);
  augmentInto(image, shape, augment, rng, out);
  return out;
}
