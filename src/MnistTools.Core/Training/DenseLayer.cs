using System.Numerics;
using System.Runtime.CompilerServices;
using MnistTools.Numerics;

namespace MnistTools.Training;

/// <summary>
/// The affine part of a dense layer, on whole batches. Shapes: B rows, I inputs, O outputs.
///   forward   Z[B x O] = X[B x I] · Wᵀ + b        (W [O x I], b [O])
///   backward  dW[O x I] = dZᵀ · X,  db[O] = Σ_rows dZ,  dX[B x I] = dZ · W
/// All products go through <see cref="Gemm.Multiply"/>. The bias loops are written out (not one library call per row):
/// rows are short (10-800 values) and there are B of them per layer.
/// </summary>
internal static class DenseLayer
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DenseForward(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> biases,
        Span<float> output, int batch, int inputs, int outputs)
    {
        // Z = X · Wᵀ, then add b to every row.
        Gemm.Multiply(input, weights, output, batch, outputs, inputs, transposeA: false, transposeB: true, accumulate: false);
        AddBias(output, biases, batch, outputs);
    }

    /// <summary>Z[r, :] += b for every row r. Z [B x O], b [O].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void AddBias(Span<float> output, ReadOnlySpan<float> biases, int batch, int outputs)
    {
        int width = Vector<float>.Count;
        for (int r = 0; r < batch; r++)
        {
            Span<float> row = output.Slice(r * outputs, outputs);
            int j = 0;
            if (Vector.IsHardwareAccelerated)
                for (; j <= outputs - width; j += width)
                    (new Vector<float>(row.Slice(j)) + new Vector<float>(biases.Slice(j))).CopyTo(row.Slice(j));
            for (; j < outputs; j++) row[j] += biases[j];
        }
    }

    /// <summary>db[j] = Σ_r dZ[r, j], summed in row order (the same bits whatever the vector width). dZ [B x O], db [O].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void BiasGradient(ReadOnlySpan<float> outputGradient, Span<float> biasGradient, int batch, int outputs)
    {
        int width = Vector<float>.Count, j = 0;
        if (Vector.IsHardwareAccelerated)
            for (; j <= outputs - width; j += width)
            {
                Vector<float> sum = Vector<float>.Zero;
                for (int r = 0; r < batch; r++) sum += new Vector<float>(outputGradient.Slice(r * outputs + j));
                sum.CopyTo(biasGradient.Slice(j));
            }
        for (; j < outputs; j++)
        {
            float sum = 0f;
            for (int r = 0; r < batch; r++) sum += outputGradient[r * outputs + j];
            biasGradient[j] = sum;
        }
    }

    /// <param name="outputGradient">dZ [B x O].</param>
    /// <param name="input">X [B x I], the layer's forward input.</param>
    /// <param name="weightGradient">dW [O x I], overwritten.</param>
    /// <param name="biasGradient">db [O], overwritten.</param>
    /// <param name="inputGradient">dX [B x I], overwritten; empty to skip (first layer).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DenseBackward(ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> input, ReadOnlySpan<float> weights,
        Span<float> weightGradient, Span<float> biasGradient, Span<float> inputGradient, int batch, int inputs, int outputs)
    {
        Gemm.Multiply(outputGradient, input, weightGradient, outputs, inputs, batch, transposeA: true, transposeB: false, accumulate: false);
        BiasGradient(outputGradient, biasGradient, batch, outputs);
        if (!inputGradient.IsEmpty)
            Gemm.Multiply(outputGradient, weights, inputGradient, batch, inputs, outputs, transposeA: false, transposeB: false, accumulate: false);
    }
}
