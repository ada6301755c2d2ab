// Second-order gradients of the depthwise convolution's backward kernels (MAML through
// MobileNet-style blocks). Both are bilinear; with ⟨depthwise(x, w), dy⟩ as the common form:
//   dx = DepthwiseConv2dNativeBackpropInput(dy, w):  ∂/∂dy = depthwise(ddx, w),
//                                                    ∂/∂w  = DepthwiseConv2dNativeBackpropFilter(ddx, dy)
//   dw = DepthwiseConv2dNativeBackpropFilter(x, dy): ∂/∂x  = DepthwiseConv2dNativeBackpropInput(dy, ddw),
//                                                    ∂/∂dy = depthwise(x, ddw)
import * as tf from '@tensorflow/tfjs';

type DepthwiseAttrs = tf.DepthwiseConv2dNativeBackpropInputAttrs;

function forwardAttrs(attrs: tf.NamedAttrMap): tf.NamedAttrMap {
  const { strides, pad, dilations, dimRoundingMode } = attrs as unknown as DepthwiseAttrs;
  return { strides, pad, dilations, dimRoundingMode } as unknown as tf.NamedAttrMap;
}

/** TF.js lacks this gradient (4.22). */
export const depthwiseConv2dNativeBackpropInputGradConfig: tf.GradConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  inputsToSave: ['dy', 'filter'],
  gradFunc: (ddx, saved, attrs) => {
    const [dy, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const x = ddx as tf.Tensor4D;
    return {
      dy: () => tf.engine().runKernel('DepthwiseConv2dNative', { x, filter }, forwardAttrs(attrs)),
      filter: () =>
        tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, {
          ...forwardAttrs(attrs),
          filterShape: filter.shape,
        } as unknown as tf.NamedAttrMap),
    };
  },
};

/** TF.js lacks this gradient (4.22). */
export const depthwiseConv2dNativeBackpropFilterGradConfig: tf.GradConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  inputsToSave: ['x', 'dy'],
  gradFunc: (ddw, saved, attrs) => {
    const [x, dy] = saved as [tf.Tensor4D, tf.Tensor4D];
    const filter = ddw as tf.Tensor4D;
    return {
      x: () =>
        tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter }, {
          ...forwardAttrs(attrs),
          inputShape: x.shape,
        } as unknown as tf.NamedAttrMap),
      dy: () => tf.engine().runKernel('DepthwiseConv2dNative', { x, filter }, forwardAttrs(attrs)),
    };
  },
};
