// @automl-ts/datasets public API. Each area keeps its own section; name every export.

// ── dataset ────────────────────────────────────────────────────────────────
export type { ImageDataset, ImageDatasetInput, ImageShape, SubsetOptions } from './dataset.js';
export { createImageDataset, imageAt, indicesByClass, pixelsPerImage, subsetDataset } from './dataset.js';
// ── embedded dataset ───────────────────────────────────────────────────────
export type { EmbeddedDatasetOptions } from './embedded.js';
export { EMBEDDED_DATASET, loadEmbeddedDataset } from './embedded.js';
// ── formats: CIFAR ─────────────────────────────────────────────────────────
export type {
  Cifar100Options,
  CifarBatch,
  CifarDecodeOptions,
  CifarOptions,
  CifarRecord,
  CifarVariant,
} from './formats/cifar.js';
export {
  CIFAR10_CLASS_NAMES,
  CIFAR100_COARSE_CLASS_NAMES,
  CIFAR100_FINE_CLASS_NAMES,
  decodeCifarBatch,
  loadCifar10,
  loadCifar100,
  streamCifarRecords,
} from './formats/cifar.js';
// ── formats: IDX (MNIST, Fashion-MNIST, KMNIST) ────────────────────────────
export type {
  IdxArray,
  IdxDatasetOptions,
  IdxDataType,
  IdxHeader,
  IdxReadOptions,
  IdxRecord,
  IdxTypedArray,
  MnistOptions,
  MnistVariant,
} from './formats/idx.js';
export {
  decodeIdx,
  loadIdxDataset,
  loadMnist,
  MNIST_CLASS_NAMES,
  readIdxFile,
  streamIdxRecords,
} from './formats/idx.js';
// ── formats: image folders ─────────────────────────────────────────────────
export type { ImageFolderOptions } from './formats/image-folder.js';
export { decodeImageFolder, loadImageFolder } from './formats/image-folder.js';
// ── formats: Omniglot ──────────────────────────────────────────────────────
export type {
  OmniglotCharacter,
  OmniglotDataset,
  OmniglotDecodeOptions,
  OmniglotOptions,
  OmniglotRotation,
  OmniglotSet,
} from './formats/omniglot.js';
export { decodeOmniglotZip, loadOmniglot } from './formats/omniglot.js';
export type {
  OmniglotMetaSplit,
  OmniglotMetaSplitOptions,
  OmniglotMetaTest,
} from './formats/omniglot-meta-split.js';
export { findOmniglotSet, loadOmniglotMetaSplit } from './formats/omniglot-meta-split.js';
// ── images ─────────────────────────────────────────────────────────────────
export type { ImageFormat, RawImage } from './image/decode-image.js';
export { decodeImage, detectImageFormat } from './image/decode-image.js';
export type { ColorMode, Interpolation, ResizeOptions } from './image/transform.js';
export { convertColor, resizeImage, rotateImage } from './image/transform.js';
// ── pipeline ───────────────────────────────────────────────────────────────
export type { AugmentOptions } from './pipeline/augment.js';
export { augmentImage } from './pipeline/augment.js';
export type { ImageBatch, BatchLoader, BatchLoaderOptions, LabelEncoding } from './pipeline/batches.js';
export { createBatchLoader } from './pipeline/batches.js';
export type {
  Episode,
  EpisodeIndices,
  EpisodeSampler,
  EpisodeSamplerOptions,
  EpisodeSet,
} from './pipeline/episodes.js';
export { createEpisodeSampler } from './pipeline/episodes.js';
export type { ChannelStats, Normalization } from './pipeline/normalize.js';
export { computeChannelStats } from './pipeline/normalize.js';
export type { ClassSplitOptions, SplitOptions, SplitRatios } from './pipeline/split.js';
export { splitByClass, splitDataset } from './pipeline/split.js';
