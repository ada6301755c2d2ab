/** A tensor shape without the batch dimension, channels last (`[H, W, C]`, `[features]`). */
export type LayerShape = readonly number[];

/**
 * What a {@link LayerNode} computes. `conv2d` covers plain, grouped and depthwise convolutions
 * (`groups === inChannels`); `separableConv2d` is Keras's fused depthwise + pointwise layer.
 */
export type GraphOp =
  | 'input'
  | 'conv2d'
  | 'separableConv2d'
  | 'dense'
  | 'batchNorm'
  | 'activation'
  | 'maxPool'
  | 'avgPool'
  | 'globalAvgPool'
  | 'globalMaxPool'
  | 'flatten'
  | 'add'
  | 'concat'
  | 'mul'
  | 'identity'
  | 'dropout'
  | 'pad';

/** Spatial padding of a convolution or pooling: TF.js's `'same'`/`'valid'`, or explicit `[[top, bottom], [left, right]]`. */
export type SpatialPadding =
  | 'same'
  | 'valid'
  | readonly [readonly [number, number], readonly [number, number]];

/**
 * A layer's settings: everything that determines its output shape, multiply-adds and parameters
 * given its input shapes. Fields that do not apply to an op are absent.
 */
export interface LayerSettings {
  readonly op: GraphOp;
  /** Convolution kernel or pooling window, `[height, width]`. */
  readonly kernelSize?: readonly [number, number];
  /** Convolution or pooling strides, `[height, width]`; for `pad`, a subsampling applied before padding. */
  readonly strides?: readonly [number, number];
  /** Convolution or pooling padding. */
  readonly padding?: SpatialPadding;
  /** Convolution dilation, `[height, width]`. */
  readonly dilation?: readonly [number, number];
  /** Convolution groups: 1 for a plain conv, `inChannels` for a depthwise conv. */
  readonly groups?: number;
  /** Input channels of a convolution, input features of a dense layer. */
  readonly inChannels?: number;
  /** Output channels of a convolution, output units of a dense layer. */
  readonly outChannels?: number;
  /** Whether a convolution or dense layer adds a bias. */
  readonly useBias?: boolean;
  /** Output channels per input channel of a depthwise or separable convolution. */
  readonly depthMultiplier?: number;
  /**
   * The activation function: the kind of an `activation` node (`relu`, `relu6`, `sigmoid`, ...),
   * or the activation a conv/dense layer fuses (absent when linear).
   */
  readonly activation?: string;
  /** Slope of `leakyRelu` / scale of `elu`. */
  readonly alpha?: number;
  /** Batch-norm variance epsilon. */
  readonly epsilon?: number;
  /** Batch norm has a learned offset (beta). */
  readonly center?: boolean;
  /** Batch norm has a learned scale (gamma). */
  readonly scale?: boolean;
  /**
   * Zero padding of a `pad` node: `[[top, bottom], [left, right], [channelsBefore, channelsAfter]]`.
   * Channel padding is how the ResNet option-A shortcut widens its input.
   */
  readonly paddings?: readonly [
    readonly [number, number],
    readonly [number, number],
    readonly [number, number],
  ];
  /** Dropout rate (inactive at inference). */
  readonly rate?: number;
}

/**
 * A layer of a {@link NetworkGraph}: its settings, shapes and cost. Shapes exclude the batch
 * dimension. `macs` counts multiply-accumulates of convolutions and dense layers only (the
 * convention of the MobileNet and ResNet papers); `params` counts trainable parameters.
 */
export interface LayerNode extends LayerSettings {
  /** Unique name: the module path (`stage1.block0.conv1`) or the Keras layer name. */
  readonly name: string;
  /** The class it came from: a Keras class (`Conv2D`) or a Module class (`Conv2d`). */
  readonly className: string;
  /** Producer node names, in input order (a name repeats when a tensor is used twice). */
  readonly inputs: readonly string[];
  /** Input shapes, one per entry of `inputs`. */
  readonly inputShapes: readonly LayerShape[];
  readonly outputShape: LayerShape;
  /** Multiply-accumulates for one example. */
  readonly macs: number;
  /** Trainable parameters. */
  readonly params: number;
}

/** A tensor flowing from one layer to another. */
export interface TensorEdge {
  /** LayerShape without the batch dimension. */
  readonly shape: LayerShape;
}

/** Where a {@link NetworkGraph} came from. */
export type GraphSource = 'module' | 'layers-model';

/** Graph-level attributes of a {@link NetworkGraph}. */
export interface NetworkAttributes {
  readonly source: GraphSource;
  /** Names of the `input` nodes, in model input order. */
  readonly inputs: readonly string[];
  /** Names of the nodes whose outputs are the model outputs, in order. */
  readonly outputs: readonly string[];
  /** The architecture a supernet was traced with, if any. */
  readonly arch?: Readonly<Record<string, string | number | boolean>>;
}
