using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MnistTools.Layers;

/// <summary>
/// Batch normalisation per channel over X [B x C x S] (S = H·W after a convolution, 1 after a dense layer), for the
/// channels [first, first + count) of a call; N = B·S values per channel. γ, β, μ, 1/σ and the running statistics are [C].
///   training forward   μ_c = Σ X[:, c, :] / N,  σ²_c = Σ (X[:, c, :] − μ_c)² / N (biased),  1/σ_c = 1/√(σ²_c + ε)
///                      X̂ = (X − μ_c)·(1/σ_c),  Y = X̂·γ_c + β_c
///                      running μ ← (1 − m)·running μ + m·μ_c,  running σ² ← (1 − m)·running σ² + m·σ²_c·N/(N − 1)
///                      (PyTorch's momentum m); with N = 1 (one row after a dense layer) X̂ = 0, Y = β and the running
///                      statistics are left as they are (the unbiased variance of one value is undefined)
///   inference forward  the same Y with the running μ and 1/√(running σ² + ε)
///   backward           dβ_c = Σ dY[:, c, :],  dγ_c = Σ dY·X̂,  dX = γ_c·(1/σ_c)·(dY − dβ_c/N − X̂·dγ_c/N)   (X̂ from X, μ, 1/σ)
/// Sums are taken in one fixed order whatever the machine: within each run of S values of one row, value s goes to lane
/// s mod 8 of a float accumulator; the eight lanes are added in lane order into a double, row after row (a run shorter
/// than 8, such as one feature after a dense layer, is added value by value: the same order without a vector). Each channel is
/// summed whole by one call, so cutting the channels between cores does not change a bit. Element-wise passes do the
/// same float operations on 8-wide vectors and on the scalar tail.
/// </summary>
[SkipLocalsInit]
internal static class BatchNormKernels
{
    private const int Lanes = 8;

    /// <param name="input">X [rows x C x S].</param>
    /// <param name="output">Y [rows x C x S]; only channels [first, first + count) are written.</param>
    /// <param name="mean">μ [C]: the batch means, written for the call's channels.</param>
    /// <param name="inverseStd">1/σ [C]: written for the call's channels.</param>
    /// <param name="runningMean">[C], updated in place when <paramref name="updateRunning"/>.</param>
    /// <param name="runningVariance">[C], updated in place when <paramref name="updateRunning"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TrainingForward(ReadOnlySpan<float> input, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> output,
        Span<float> mean, Span<float> inverseStd, Span<float> runningMean, Span<float> runningVariance, int rows, int channels, int spatial,
        int first, int count, float momentum, float epsilon, bool updateRunning)
    {
        CheckSizes(input.Length, output.Length, rows, channels, spatial, first, count);
        long n = (long)rows * spatial;
        for (int c = first; c < first + count; c++)
        {
            double total = 0;
            for (int r = 0; r < rows; r++) total += Sum(input.Slice((r * channels + c) * spatial, spatial));
            double mu = total / n;
            float meanValue = (float)mu;
            double squares = 0;
            for (int r = 0; r < rows; r++) squares += SumSquaredDeviations(input.Slice((r * channels + c) * spatial, spatial), meanValue);
            double variance = squares / n;
            mean[c] = meanValue;
            inverseStd[c] = (float)(1.0 / Math.Sqrt(variance + epsilon));
            if (updateRunning && n > 1)
            {
                runningMean[c] = (float)((1.0 - momentum) * runningMean[c] + momentum * mu);
                runningVariance[c] = (float)((1.0 - momentum) * runningVariance[c] + momentum * variance * n / (n - 1));
            }
            for (int r = 0; r < rows; r++)
            {
                int start = (r * channels + c) * spatial;
                Normalize(input.Slice(start, spatial), output.Slice(start, spatial), meanValue, inverseStd[c], gamma[c], beta[c]);
            }
        }
    }

    /// <summary>Inference: Y = (X − running μ)·(1/√(running σ² + ε))·γ + β for every channel. X, Y [rows x C x S].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InferenceForward(ReadOnlySpan<float> input, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVariance, Span<float> output, int rows, int channels, int spatial, float epsilon)
    {
        CheckSizes(input.Length, output.Length, rows, channels, spatial, 0, channels);
        for (int c = 0; c < channels; c++)
        {
            float inverse = InverseStd(runningVariance[c], epsilon);
            for (int r = 0; r < rows; r++)
            {
                int start = (r * channels + c) * spatial;
                Normalize(input.Slice(start, spatial), output.Slice(start, spatial), runningMean[c], inverse, gamma[c], beta[c]);
            }
        }
    }

    /// <summary>1/√(σ² + ε) as inference uses it, rounded once from double.</summary>
    public static float InverseStd(float variance, float epsilon) => (float)(1.0 / Math.Sqrt((double)variance + epsilon));

    /// <summary>
    /// Training backward for channels [first, first + count) after <see cref="TrainingForward"/> on the same X.
    /// </summary>
    /// <param name="outputGradient">dY [rows x C x S] (the gradient with respect to the normalised output, before any activation).</param>
    /// <param name="input">X [rows x C x S], the forward input.</param>
    /// <param name="mean">μ [C] and <paramref name="inverseStd"/> 1/σ [C] as the forward pass left them.</param>
    /// <param name="gammaGradient">dγ [C]: written for the call's channels; <paramref name="betaGradient"/> dβ likewise.</param>
    /// <param name="inputGradient">dX [rows x C x S], written for the call's channels, or empty.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TrainingBackward(ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> input, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> inverseStd, Span<float> gammaGradient, Span<float> betaGradient, Span<float> inputGradient,
        int rows, int channels, int spatial, int first, int count)
    {
        CheckSizes(input.Length, outputGradient.Length, rows, channels, spatial, first, count);
        if (!inputGradient.IsEmpty && inputGradient.Length < (long)rows * channels * spatial)
            throw new ArgumentException("dX is shorter than B·C·S.", nameof(inputGradient));
        long n = (long)rows * spatial;
        for (int c = first; c < first + count; c++)
        {
            double sumGradient = 0, sumProduct = 0;
            float mu = mean[c], inverse = inverseStd[c];
            for (int r = 0; r < rows; r++)
            {
                int start = (r * channels + c) * spatial;
                (double g, double p) = SumGradientAndProduct(outputGradient.Slice(start, spatial), input.Slice(start, spatial), mu, inverse);
                sumGradient += g;
                sumProduct += p;
            }
            betaGradient[c] = (float)sumGradient;
            gammaGradient[c] = (float)sumProduct;
            if (inputGradient.IsEmpty) continue;
            float scale = gamma[c] * inverse, meanGradient = (float)(sumGradient / n), meanProduct = (float)(sumProduct / n);
            for (int r = 0; r < rows; r++)
            {
                int start = (r * channels + c) * spatial;
                InputGradient(outputGradient.Slice(start, spatial), input.Slice(start, spatial), inputGradient.Slice(start, spatial),
                    mu, inverse, scale, meanGradient, meanProduct);
            }
        }
    }

    /// <summary>Σ values in the fixed order of the type's remarks (8 lanes, then the lanes in order, in double).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static double Sum(ReadOnlySpan<float> values)
    {
        if (values.Length < Lanes)
        {
            // Value i alone in lane i: the lanes' sum in order is the values' sum in order (the same bits, no vector).
            double total = 0;
            foreach (float value in values) total += value;
            return total;
        }
        Vector256<float> sum = Vector256<float>.Zero;
        int i = 0;
        for (; i <= values.Length - Lanes; i += Lanes) sum += Vector256.Create(values.Slice(i, Lanes));
        if (i < values.Length) sum += Tail(values.Slice(i));
        return Reduce(sum);
    }

    /// <summary>Σ (values − mean)², in the order of <see cref="Sum"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double SumSquaredDeviations(ReadOnlySpan<float> values, float mean)
    {
        if (values.Length < Lanes)
        {
            double total = 0;
            foreach (float value in values)
            {
                float d = value - mean;
                total += d * d;
            }
            return total;
        }
        Vector256<float> sum = Vector256<float>.Zero, m = Vector256.Create(mean);
        int i = 0;
        for (; i <= values.Length - Lanes; i += Lanes)
        {
            Vector256<float> d = Vector256.Create(values.Slice(i, Lanes)) - m;
            sum += d * d;
        }
        if (i < values.Length)
        {
            // The padding lanes hold the mean: they add (mean − mean)² = 0.
            Span<float> tail = stackalloc float[Lanes];
            tail.Fill(mean);
            values.Slice(i).CopyTo(tail);
            Vector256<float> d = Vector256.Create((ReadOnlySpan<float>)tail) - m;
            sum += d * d;
        }
        return Reduce(sum);
    }

    /// <summary>(Σ dY, Σ dY·X̂) with X̂ = (X − μ)·(1/σ), in the order of <see cref="Sum"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (double Gradient, double Product) SumGradientAndProduct(ReadOnlySpan<float> gradient, ReadOnlySpan<float> input, float mean, float inverse)
    {
        if (gradient.Length < Lanes)
        {
            double totalG = 0, totalP = 0;
            for (int j = 0; j < gradient.Length; j++)
            {
                float g = gradient[j];
                totalG += g;
                totalP += g * ((input[j] - mean) * inverse);
            }
            return (totalG, totalP);
        }
        Vector256<float> sumG = Vector256<float>.Zero, sumP = Vector256<float>.Zero, m = Vector256.Create(mean), s = Vector256.Create(inverse);
        int i = 0;
        for (; i <= gradient.Length - Lanes; i += Lanes)
        {
            Vector256<float> g = Vector256.Create(gradient.Slice(i, Lanes));
            sumG += g;
            sumP += g * ((Vector256.Create(input.Slice(i, Lanes)) - m) * s);
        }
        if (i < gradient.Length)
        {
            // Padding: dY = 0 and X = μ add 0 to both sums.
            Span<float> tailG = stackalloc float[Lanes], tailX = stackalloc float[Lanes];
            tailG.Clear();
            tailX.Fill(mean);
            gradient.Slice(i).CopyTo(tailG);
            input.Slice(i, gradient.Length - i).CopyTo(tailX);
            Vector256<float> g = Vector256.Create((ReadOnlySpan<float>)tailG);
            sumG += g;
            sumP += g * ((Vector256.Create((ReadOnlySpan<float>)tailX) - m) * s);
        }
        return (Reduce(sumG), Reduce(sumP));
    }

    /// <summary>Y = ((X − μ)·(1/σ))·γ + β over one run of values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Normalize(ReadOnlySpan<float> input, Span<float> output, float mean, float inverse, float gamma, float beta)
    {
        Vector256<float> m = Vector256.Create(mean), s = Vector256.Create(inverse), g = Vector256.Create(gamma), b = Vector256.Create(beta);
        int i = 0;
        for (; i <= input.Length - Lanes; i += Lanes)
            ((Vector256.Create(input.Slice(i, Lanes)) - m) * s * g + b).CopyTo(output.Slice(i, Lanes));
        for (; i < input.Length; i++) output[i] = (input[i] - mean) * inverse * gamma + beta;
    }

    /// <summary>dX = γ/σ·(dY − mean dY − X̂·mean(dY·X̂)) over one run of values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputGradient(ReadOnlySpan<float> gradient, ReadOnlySpan<float> input, Span<float> inputGradient, float mean, float inverse,
        float scale, float meanGradient, float meanProduct)
    {
        Vector256<float> m = Vector256.Create(mean), s = Vector256.Create(inverse), k = Vector256.Create(scale),
            mg = Vector256.Create(meanGradient), mp = Vector256.Create(meanProduct);
        int i = 0;
        for (; i <= gradient.Length - Lanes; i += Lanes)
        {
            Vector256<float> normalized = (Vector256.Create(input.Slice(i, Lanes)) - m) * s;
            (k * (Vector256.Create(gradient.Slice(i, Lanes)) - mg - normalized * mp)).CopyTo(inputGradient.Slice(i, Lanes));
        }
        for (; i < gradient.Length; i++)
        {
            float normalized = (input[i] - mean) * inverse;
            inputGradient[i] = scale * (gradient[i] - meanGradient - normalized * meanProduct);
        }
    }

    private static Vector256<float> Tail(ReadOnlySpan<float> values)
    {
        Span<float> tail = stackalloc float[Lanes];
        tail.Clear();
        values.CopyTo(tail);
        return Vector256.Create((ReadOnlySpan<float>)tail);
    }

    private static double Reduce(Vector256<float> sum)
    {
        double total = 0;
        for (int lane = 0; lane < Lanes; lane++) total += sum.GetElement(lane);
        return total;
    }

    private static void CheckSizes(int inputLength, int outputLength, int rows, int channels, int spatial, int first, int count)
    {
        if (rows < 0 || channels < 1 || spatial < 1) throw new ArgumentOutOfRangeException(nameof(rows), "B ≥ 0, C ≥ 1 and S ≥ 1 are required.");
        if (first < 0 || count < 0 || first + count > channels) throw new ArgumentOutOfRangeException(nameof(first), "The channel range lies outside [0, C).");
        long size = (long)rows * channels * spatial;
        if (inputLength < size) throw new ArgumentException("X is shorter than B·C·S.", nameof(inputLength));
        if (outputLength < size) throw new ArgumentException("Y (or dY) is shorter than B·C·S.", nameof(outputLength));
    }
}
