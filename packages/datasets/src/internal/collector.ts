import type { ImageShape } from '../dataset.js';
import type { RawImage } from '../image/decode-image.js';
import { type ColorMode, convertColor, type Interpolation, resizeImage } from '../image/transform.js';
import type { Fail } from './errors.js';

/** How a reader normalises decoded images before storing them. */
export interface CollectorOptions {
  /** Target size; undefined keeps the decoded size, which must then be the same for every image. */
  readonly size: { readonly height: number; readonly width: number } | undefined;
  readonly colorMode: ColorMode;
  readonly interpolation: Interpolation;
  /** How many images will be added, when known (avoids growing the buffer). */
  readonly expectedCount?: number;
}

/**
 * Gathers decoded images into one contiguous uint8 NHWC buffer: converts colour, resizes, and
 * rejects mixed sizes (naming both files) when no target size is given.
 */
export class ImageCollector {
  readonly #fail: Fail;
  readonly #options: CollectorOptions;
  #shape: ImageShape | undefined;
  #firstSource = '';
  #images = new Uint8Array(0);
  #labels = new Int32Array(0);
  #count = 0;

  constructor(fail: Fail, options: CollectorOptions) {
    this.#fail = fail;
    this.#options = options;
    if (options.size !== undefined) {
      this.#shape = { ...options.size, channels: options.colorMode === 'grayscale' ? 1 : 3 };
    }
  }

  /** Number of images added so far. */
  get count(): number {
    return this.#count;
  }

  /** Shape of the stored images (undefined before the first image when no size was given). */
  get shape(): ImageShape | undefined {
    return this.#shape;
  }

  /** Converts `image` as configured and stores it; returns its index. */
  add(image: RawImage, label: number, source: string): number {
    const { size, colorMode, interpolation } = this.#options;
    let converted = convertColor(image, colorMode);
    if (size !== undefined) {
      converted = resizeImage(converted, size.height, size.width, { interpolation });
    }
    return this.addConverted(converted, label, source);
  }

  /** Stores an image that already has the final colour mode and size (checked). */
  addConverted(image: RawImage, label: number, source: string): number {
    if (this.#shape === undefined) {
      this.#shape = { height: image.height, width: image.width, channels: image.channels };
      this.#firstSource = source;
    } else if (image.height !== this.#shape.height || image.width !== this.#shape.width) {
      throw this.#fail(
        `mixed image sizes: ${source} is ${image.width}×${image.height} but ${this.#firstSource || 'the first image'} is ` +
          `${this.#shape.width}×${this.#shape.height}; pass size to resize every image`,
      );
    }
    const n = image.data.length;
    this.#reserve(this.#count + 1, n);
    this.#images.set(image.data, this.#count * n);
    this.#labels[this.#count] = label;
    return this.#count++;
  }

  #reserve(count: number, pixels: number): void {
    if (this.#labels.length >= count) return;
    const capacity = Math.max(count, this.#options.expectedCount ?? 0, this.#labels.length * 2, 16);
    const images = new Uint8Array(capacity * pixels);
    images.set(this.#images.subarray(0, this.#count * pixels));
    const labels = new Int32Array(capacity);
    labels.set(this.#labels.subarray(0, this.#count));
    this.#images = images;
    this.#labels = labels;
  }

  /** The stored images and labels, trimmed to `count` (no copy when the capacity was exact). */
  finish(): { images: Uint8Array; labels: Int32Array; shape: ImageShape } {
    const shape = this.#shape ?? {
      height: 0,
      width: 0,
      channels: this.#options.colorMode === 'grayscale' ? 1 : 3,
    };
    const pixels = shape.height * shape.width * shape.channels;
    const images =
      this.#images.length === this.#count * pixels
        ? this.#images
        : this.#images.slice(0, this.#count * pixels);
    const labels = this.#labels.length === this.#count ? this.#labels : this.#labels.slice(0, this.#count);
    return { images, labels, shape };
  }
}
