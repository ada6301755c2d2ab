import { createImageDataset, type ImageDataset } from '@automl-ts/datasets';

/**
 * A synthetic dataset: `perClass[c]` images of class c, each filled with a value that encodes its
 * index (so tests can tell images apart after shuffling), `height`×`width`×`channels`.
 */
export function synthetic(
  perClass: readonly number[],
  shape: { height: number; width: number; channels: number } = { height: 4, width: 4, channels: 1 },
): ImageDataset {
  const labels = perClass.flatMap((count, c) => Array<number>(count).fill(c));
  const n = shape.height * shape.width * shape.channels;
  const images = new Uint8Array(labels.length * n);
  for (let i = 0; i < labels.length; i++) images.fill(i % 256, i * n, (i + 1) * n);
  return createImageDataset({
    name: 'synthetic',
    images,
    labels,
    shape,
    classNames: perClass.map((_, c) => `class${c}`),
  });
}
