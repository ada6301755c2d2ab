// Second-order gradient of Conv2DBackpropFilter (MAML through a conv net, Finn et al. 2017, §2.2).
// dW = Conv2DBackpropFilter(x, dy) is bilinear in (x, dy): ⟨dW, ddw⟩ = ⟨conv2d(x, ddw), dy⟩, so
//   ∂/∂x  = Conv2DBackpropInput(dy, ddw)   and   ∂/∂dy = conv2d(x, ddw).
import * as tf from '@tensorflow/tfjs';

/** TF.js lacks this gradient (4.22); it is what second-order MAML needs from every conv layer. */
export const conv2dBackpropFilterGradConfig: tf.GradConfig = {
  kernelName: 'Conv2DBackpropFilter',
  inputsToSave: ['x', 'dy'],
  gradFunc: (ddw, saved, attrs) => {
    const [x, dy] = saved as [tf.Tensor4D, tf.Tensor4D];
    const { strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    const filter = ddw as tf.Tensor4D;
    return {
      x: () =>
        tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, {
          strides,
          pad,
          dataFormat,
          dimRoundingMode,
          inputShape: x.shape,
        } as unknown as tf.NamedAttrMap),
      dy: () =>
        tf.engine().runKernel('Conv2D', { x, filter }, {
          strides,
          pad,
          dataFormat,
          dilations: [1, 1],
          dimRoundingMode,
        } as unknown as tf.NamedAttrMap),
    };
  },
};
