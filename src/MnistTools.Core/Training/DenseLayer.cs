using MnistTools.Numerics;
using System.Numerics.Tensors;

namespace MnistTools.Training;

/// <summary>
/// The affine part of a dense layer, on whole batches. Shapes: B rows, I inputs, O outputs.
///   forward   Z[B x O] = X[B x I] · Wᵀ + b        (W [O x I], b [O])
///   backward  dW[O x I] = dZᵀ · X,  db[O] = Σ_rows dZ,  dX[B x I] = dZ · W
/// All products go through <see cref="Gemm.Multiply"/>.
/// </summary>
internal static class DenseLayer
{
    public static void DenseForward(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> biases,
        Span<float> output, int batch, int inputs, int outputs)
    {
        // Z = X · Wᵀ, then add b to every row.
        Gemm.Multiply(input, weights, output, batch, outputs, inputs, transposeA: false, transposeB: true, accumulate: false);
        for (int r = 0; r < batch; r++)
        {
            Span<float> row = output.Slice(r * outputs, outputs);
            TensorPrimitives.Add(row, biases, row);
        }
    }

    /// <param name="outputGradient">dZ [B x O].</param>
    /// <param name="input">X [B x I], the layer's forward input.</param>
    /// <param name="weightGradient">dW [O x I], overwritten.</param>
    /// <param name="biasGradient">db [O], overwritten.</param>
    /// <param name="inputGradient">dX [B x I], overwritten; empty to skip (first layer).</param>
    public static void DenseBackward(ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> input, ReadOnlySpan<float> weights,
        Span<float> weightGradient, Span<float> biasGradient, Span<float> inputGradient, int batch, int inputs, int outputs)
    {
        Gemm.Multiply(outputGradient, input, weightGradient, outputs, inputs, batch, transposeA: true, transposeB: false, accumulate: false);
        biasGradient.Clear();
        for (int r = 0; r < batch; r++) TensorPrimitives.Add(biasGradient, outputGradient.Slice(r * outputs, outputs), biasGradient);
        if (!inputGradient.IsEmpty)
            Gemm.Multiply(outputGradient, weights, inputGradient, batch, inputs, outputs, transposeA: false, transposeB: false, accumulate: false);
    }
}
