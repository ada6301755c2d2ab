import { createImageDataset, imageAt, indicesByClass, pixelsPerImage } from '@automl-ts/datasets';
import { describe, expect, test } from 'vitest';

const shape = { height: 2, width: 2, channels: 1 };

describe('createImageDataset', () => {
  test('builds a dataset and indexes it by class', () => {
    const dataset = createImageDataset({
      images: Uint8Array.from({ length: 12 }, (_, i) => i),
      labels: [1, 0, 1],
      shape,
      classNames: ['a', 'b'],
    });
    expect(dataset.size).toBe(3);
    expect(dataset.name).toBe('dataset');
    expect(pixelsPerImage(dataset)).toBe(4);
    expect(Array.from(imageAt(dataset, 2))).toEqual([8, 9, 10, 11]);
    expect(indicesByClass(dataset).map((indices) => Array.from(indices))).toEqual([[1], [0, 2]]);
  });

  test.each([
    [{ images: new Uint8Array(7), labels: [0, 0] }, 'images has 7 values but 2 labels × 2×2×1 needs 8'],
    [{ images: new Uint8Array(8), labels: [0, 2] }, 'labels[1] is 2, outside [0, 1] (2 classes)'],
    [
      { images: new Uint8Array(0), labels: [], shape: { height: 0, width: 2, channels: 1 } },
      'shape.height must be an integer >= 1, got 0',
    ],
    [{ images: new Uint8Array(4), labels: [0], classInfo: [{}] }, 'classInfo has 1 entries for 2 classes'],
  ])('rejects inconsistent input %#', (input, message) => {
    expect(() => createImageDataset({ shape, classNames: ['a', 'b'], ...input })).toThrowError(
      `@automl-ts/datasets/createImageDataset: ${message}`,
    );
  });
});
