// Zero gradients for comparisons and logical ops. TF.js's own gradients use them as masks (ReLU6:
// lessEqual; Maximum/Minimum: less/greater; Max/Min: equal; Select: logicalNot; LeakyReLU and
// PReLU: greater; ClipByValue: logicalAnd), so a gradient of a gradient reaches them. They are
// piecewise constant in their inputs: the derivative is zero wherever it exists.
import * as tf from '@tensorflow/tfjs';

function zeroGradient(kernelName: string, inputs: readonly string[]): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: [...inputs],
    gradFunc: (_dy, saved) =>
      Object.fromEntries(inputs.map((name, i) => [name, () => tf.zeros((saved[i] as tf.Tensor).shape)])),
  };
}

/** Zero-gradient configs of the comparison and logical kernels TF.js 4.22 leaves without one. */
export const piecewiseConstantGradConfigs: readonly tf.GradConfig[] = [
  zeroGradient('Equal', ['a', 'b']),
  zeroGradient('NotEqual', ['a', 'b']),
  zeroGradient('Greater', ['a', 'b']),
  zeroGradient('Less', ['a', 'b']),
  zeroGradient('LessEqual', ['a', 'b']),
  zeroGradient('LogicalAnd', ['a', 'b']),
  zeroGradient('LogicalOr', ['a', 'b']),
  zeroGradient('LogicalXor', ['a', 'b']),
  zeroGradient('LogicalNot', ['x']),
];
