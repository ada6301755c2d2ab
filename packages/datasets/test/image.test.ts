import {
  convertColor,
  decodeImage,
  detectImageFormat,
  type RawImage,
  resizeImage,
  rotateImage,
} from '@automl-ts/datasets';
import { encode as encodePng } from 'fast-png';
import { describe, expect, test } from 'vitest';
import { jpeg, png, png1Bit, solidRgb } from './helpers/fixtures.js';

const gray = (width: number, height: number, values: number[]): RawImage => ({
  width,
  height,
  channels: 1,
  data: Uint8Array.from(values),
});

describe('decodeImage', () => {
  test.each([
    ['8-bit gray', png(2, 1, 1, [10, 200]), 1, [10, 200]],
    ['gray + alpha (alpha dropped)', png(2, 1, 2, [10, 0, 200, 255]), 1, [10, 200]],
    ['RGB', png(1, 1, 3, [1, 2, 3]), 3, [1, 2, 3]],
    ['RGBA (alpha dropped)', png(2, 1, 4, [1, 2, 3, 0, 4, 5, 6, 255]), 3, [1, 2, 3, 4, 5, 6]],
    [
      '1-bit gray (Omniglot)',
      png1Bit(10, 1, (x) => x % 3 === 0),
      1,
      [0, 255, 255, 0, 255, 255, 0, 255, 255, 0],
    ],
    [
      '16-bit gray',
      encodePng({ width: 2, height: 1, channels: 1, depth: 16, data: Uint16Array.of(0x1234, 0xff00) }),
      1,
      [0x12, 0xff],
    ],
    [
      'palette',
      encodePng({
        width: 2,
        height: 1,
        channels: 1,
        depth: 8,
        data: Uint8Array.of(1, 0),
        palette: [
          [9, 8, 7],
          [1, 2, 3],
        ],
      }),
      3,
      [1, 2, 3, 9, 8, 7],
    ],
  ])('decodes a PNG with %s', (_, bytes, channels, values) => {
    expect(detectImageFormat(bytes)).toBe('png');
    const image = decodeImage(bytes);
    expect(image.channels).toBe(channels);
    expect(Array.from(image.data)).toEqual(values);
  });

  test('decodes a JPEG to RGB (lossy, close to the source)', () => {
    const bytes = jpeg(16, 8, solidRgb(16, 8, 200, 40, 90));
    expect(detectImageFormat(bytes)).toBe('jpeg');
    const image = decodeImage(bytes, 'a.jpg');
    expect([image.width, image.height, image.channels]).toEqual([16, 8, 3]);
    for (let p = 0; p < 16 * 8; p++) {
      expect(Math.abs(image.data[p * 3]! - 200)).toBeLessThanOrEqual(4);
      expect(Math.abs(image.data[p * 3 + 1]! - 40)).toBeLessThanOrEqual(4);
      expect(Math.abs(image.data[p * 3 + 2]! - 90)).toBeLessThanOrEqual(4);
    }
  });

  const goodPng = png(8, 8, 1, Array(64).fill(7));
  const goodJpeg = jpeg(16, 16, solidRgb(16, 16, 1, 2, 3));
  const flipped = goodPng.slice();
  flipped[40] = flipped[40]! ^ 0xff;
  test.each([
    ['a truncated PNG', goodPng.subarray(0, goodPng.length - 20), /"x" is not a valid PNG \(/],
    ['a PNG with a corrupt byte (CRC mismatch)', flipped, /"x" is not a valid PNG \(/],
    ['a truncated JPEG', goodJpeg.subarray(0, Math.floor(goodJpeg.length / 2)), /"x" is not a valid JPEG \(/],
    [
      'a JPEG with garbage after the signature',
      Uint8Array.of(0xff, 0xd8, 0xff, 1, 2, 3, 4, 5),
      /"x" is not a valid JPEG \(/,
    ],
    [
      'a text file',
      new TextEncoder().encode('hello'),
      /"x" is neither PNG nor JPEG \(it starts with bytes 68 65 6c 6c\)/,
    ],
    [
      'an empty file',
      new Uint8Array(0),
      /"x" is neither PNG nor JPEG \(it starts with bytes \(none: empty file\)\)/,
    ],
  ])('rejects %s with an error naming it, not a decoder stack', (_, bytes, message) => {
    expect(() => decodeImage(bytes, 'x')).toThrowError(message);
    expect(() => decodeImage(bytes, 'x')).toThrowError(/^@automl-ts\/datasets\/decodeImage: /);
  });
});

describe('resizeImage', () => {
  test('bilinear upsampling matches PIL on a ramp', () => {
    const out = resizeImage(gray(2, 1, [0, 255]), 1, 4, { interpolation: 'bilinear' });
    expect(Array.from(out.data)).toEqual([0, 64, 191, 255]);
  });

  test('box downsampling averages blocks', () => {
    const out = resizeImage(gray(4, 2, [0, 100, 10, 20, 200, 100, 30, 40]), 1, 2, { interpolation: 'box' });
    expect(Array.from(out.data)).toEqual([100, 25]);
  });

  test('nearest picks source pixels', () => {
    const out = resizeImage(gray(4, 1, [1, 2, 3, 4]), 1, 2, { interpolation: 'nearest' });
    expect(Array.from(out.data)).toEqual([2, 4]);
  });

  test.each(['nearest', 'box', 'bilinear', 'lanczos'] as const)(
    '%s keeps a constant image constant (105 → 28, RGB)',
    (interpolation) => {
      const image: RawImage = {
        width: 105,
        height: 105,
        channels: 3,
        data: Uint8Array.from(solidRgb(105, 105, 9, 128, 250)),
      };
      const out = resizeImage(image, 28, 28, { interpolation });
      expect([out.width, out.height, out.channels]).toEqual([28, 28, 3]);
      expect(new Set(out.data)).toEqual(new Set([9, 128, 250]));
    },
  );

  // PIL's separable resampling written the plain way (gather, per output), as a reference.
  function referenceResize(
    image: RawImage,
    height: number,
    width: number,
    filter: (x: number) => number,
    support: number,
  ) {
    const weightsFor = (inSize: number, outSize: number) =>
      Array.from({ length: outSize }, (_, o) => {
        const scale = inSize / outSize;
        const filterScale = Math.max(scale, 1);
        const reach = support * filterScale;
        const center = (o + 0.5) * scale;
        const start = Math.max(0, Math.trunc(center - reach + 0.5));
        const end = Math.min(inSize, Math.trunc(center + reach + 0.5));
        const w = Array.from({ length: end - start }, (_, k) =>
          filter((k + start - center + 0.5) / filterScale),
        );
        const total = w.reduce((a, b) => a + b, 0);
        return { start, w: w.map((x) => x / total) };
      });
    const wx = weightsFor(image.width, width);
    const wy = weightsFor(image.height, height);
    const out: number[] = [];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        for (let c = 0; c < image.channels; c++) {
          let sum = 0;
          wy[y]!.w.forEach((a, i) => {
            wx[x]!.w.forEach((b, j) => {
              sum +=
                a *
                b *
                image.data[((wy[y]!.start + i) * image.width + wx[x]!.start + j) * image.channels + c]!;
            });
          });
          out.push(Math.min(255, Math.max(0, Math.round(sum))));
        }
      }
    }
    return out;
  }

  const sinc = (x: number) => (x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x));
  test.each([
    ['bilinear', (x: number) => Math.max(0, 1 - Math.abs(x)), 1],
    ['box', (x: number) => (x > -0.5 && x <= 0.5 ? 1 : 0), 0.5],
    ['lanczos', (x: number) => (Math.abs(x) < 3 ? sinc(x) * sinc(x / 3) : 0), 3],
  ] as const)(
    '%s matches the plain PIL formula (shrink, enlarge, RGB, sparse pixels)',
    (interpolation, filter, support) => {
      let seed = 7;
      const random = () => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed / 2147483648;
      };
      const image: RawImage = {
        width: 23,
        height: 17,
        channels: 3,
        data: Uint8Array.from({ length: 23 * 17 * 3 }, () =>
          random() < 0.6 ? 0 : Math.floor(random() * 256),
        ),
      };
      for (const [h, w] of [
        [5, 7],
        [31, 40],
        [17, 9],
      ] as const) {
        const got = Array.from(resizeImage(image, h, w, { interpolation }).data);
        const want = referenceResize(image, h, w, filter, support);
        const worst = Math.max(...got.map((v, i) => Math.abs(v - want[i]!)));
        expect(worst).toBeLessThanOrEqual(1);
      }
    },
  );

  test('antialiases when shrinking: a one-pixel stroke survives 105 → 28', () => {
    const data = new Uint8Array(105 * 105).fill(255);
    for (let y = 0; y < 105; y++) data[y * 105 + 50] = 0;
    const out = resizeImage({ width: 105, height: 105, channels: 1, data }, 28, 28, {
      interpolation: 'lanczos',
    });
    expect(Math.min(...out.data)).toBeLessThan(230);
  });
});

describe('convertColor and rotateImage', () => {
  test('RGB → gray uses ITU-R 601-2 luma like PIL', () => {
    const rgb: RawImage = {
      width: 3,
      height: 1,
      channels: 3,
      data: Uint8Array.of(255, 0, 0, 0, 255, 0, 0, 0, 255),
    };
    expect(Array.from(convertColor(rgb, 'grayscale').data)).toEqual([76, 150, 29]);
    expect(Array.from(convertColor(gray(1, 1, [42]), 'rgb').data)).toEqual([42, 42, 42]);
  });

  test('rotates counter-clockwise like numpy.rot90', () => {
    // a b c        c f
    // d e f   →    b e
    //              a d
    const image = gray(3, 2, [1, 2, 3, 4, 5, 6]);
    const once = rotateImage(image, 1);
    expect([once.width, once.height]).toEqual([2, 3]);
    expect(Array.from(once.data)).toEqual([3, 6, 2, 5, 1, 4]);
    expect(Array.from(rotateImage(image, 2).data)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(Array.from(rotateImage(image, 3).data)).toEqual([4, 1, 5, 2, 6, 3]);
    expect(Array.from(rotateImage(rotateImage(image, 3), 1).data)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
