// Per-axis index algebra shared by the convolution gradient kernels. Padding, output sizes and
// rounding all come from `backend_util.computeConv2DInfo`, so every padding mode TF.js accepts
// ('same', 'valid', a number, an explicit array, dimRoundingMode) means here what it means there.
import type * as tf from '@tensorflow/tfjs';

/** One spatial axis of a convolution: output index `o` reads input `o*stride + k*dilation - padBefore`. */
export interface ConvAxis {
  readonly inSize: number;
  readonly outSize: number;
  readonly filterSize: number;
  readonly stride: number;
  readonly dilation: number;
  /** Zero padding before the first input element (top or left). */
  readonly padBefore: number;
}

/** The row and column axes of a convolution. */
export function convAxes(info: tf.backend_util.Conv2DInfo): [ConvAxis, ConvAxis] {
  return [
    {
      inSize: info.inHeight,
      outSize: info.outHeight,
      filterSize: info.filterHeight,
      stride: info.strideHeight,
      dilation: info.dilationHeight,
      padBefore: info.padInfo.top,
    },
    {
      inSize: info.inWidth,
      outSize: info.outWidth,
      filterSize: info.filterWidth,
      stride: info.strideWidth,
      dilation: info.dilationWidth,
      padBefore: info.padInfo.left,
    },
  ];
}

/**
 * Filter-gradient layout of one axis. The padded input is split into `phases` (= stride)
 * interleaved planes of `gridSize` positions; filter tap `k` reads plane `tapPhase[k]` at output
 * position `o + tapShift[k]`. So, per tap, the input rows a convolution reads are one contiguous
 * shift of a plane, and dy embedded in the same grid lines up with every shift.
 */
export interface PhaseGridAxis {
  readonly phases: number;
  readonly gridSize: number;
  /** Input elements to add before / after (negative: drop) so the input spans `phases * gridSize`. */
  readonly before: number;
  readonly after: number;
  readonly tapPhase: readonly number[];
  readonly tapShift: readonly number[];
  readonly outSize: number;
}

/** See {@link PhaseGridAxis}: padded index `o*s + k*d = (o + ⌊k*d/s⌋)*s + (k*d mod s)`. */
export function phaseGridAxis(axis: ConvAxis): PhaseGridAxis {
  const { inSize, outSize, filterSize, stride, dilation, padBefore } = axis;
  const gridSize = outSize + Math.floor(((filterSize - 1) * dilation) / stride);
  const tapPhase: number[] = [];
  const tapShift: number[] = [];
  for (let k = 0; k < filterSize; k++) {
    tapPhase.push((k * dilation) % stride);
    tapShift.push(Math.floor((k * dilation) / stride));
  }
  return {
    phases: stride,
    gridSize,
    before: padBefore,
    after: gridSize * stride - inSize - padBefore,
    tapPhase,
    tapShift,
    outSize,
  };
}

/**
 * Input-gradient layout of one axis ("sub-pixel" transposed convolution). With
 * `t = i + padBefore`, `dx[i] = Σ_k dy[(t - k*d)/s] w[k]` over the taps where the division is exact.
 * Writing `t = q*s + r`, phase `r` of dx is a stride-1 correlation of dy with a flipped sub-filter,
 * so all phases come out of one stride-1 convolution with `phases` outputs per channel, which are
 * then interleaved. For stride 1 this is the usual convolution with the flipped filter.
 */
export interface SubPixelAxis {
  readonly phases: number;
  /** Taps of each sub-filter. */
  readonly taps: number;
  /** Dilation of the sub-pixel convolution. */
  readonly dilation: number;
  /** `tapSource[r][u]`: the filter tap feeding tap `u` of phase `r`'s sub-filter, or -1 (zero). */
  readonly tapSource: readonly (readonly number[])[];
  /** Zero padding (negative: crop) of dy for a 'valid' stride-1 convolution. */
  readonly dyBefore: number;
  readonly dyAfter: number;
  /** Positions per phase the convolution produces. */
  readonly gridSize: number;
  /** Interleaved positions to drop before / after to get the input size. */
  readonly cropBefore: number;
  readonly cropAfter: number;
}

/** See {@link SubPixelAxis}. Strides and dilations may both exceed 1. */
export function subPixelAxis(axis: ConvAxis): SubPixelAxis {
  const { inSize, outSize, filterSize, stride, dilation, padBefore } = axis;
  const subStride1 = stride === 1;
  const taps = subStride1 ? filterSize : Math.floor(((filterSize - 1) * dilation) / stride) + 1;
  const subDilation = subStride1 ? dilation : 1;
  const tapSource: number[][] = [];
  for (let r = 0; r < stride; r++) {
    const sources: number[] = [];
    for (let u = 0; u < taps; u++) {
      if (subStride1) {
        sources.push(filterSize - 1 - u);
        continue;
      }
      const offset = r + stride * (taps - 1 - u);
      sources.push(offset % dilation === 0 && offset / dilation < filterSize ? offset / dilation : -1);
    }
    tapSource.push(sources);
  }
  const firstGrid = Math.floor(padBefore / stride);
  const gridSize = Math.floor((padBefore + inSize - 1) / stride) - firstGrid + 1;
  const extent = (taps - 1) * subDilation;
  const dyBefore = extent - firstGrid;
  const cropBefore = padBefore - firstGrid * stride;
  return {
    phases: stride,
    taps,
    dilation: subDilation,
    tapSource,
    dyBefore,
    dyAfter: gridSize - outSize + firstGrid,
    gridSize,
    cropBefore,
    cropAfter: gridSize * stride - inSize - cropBefore,
  };
}
