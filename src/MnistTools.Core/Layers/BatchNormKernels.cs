using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MnistTools.Layers;

/// <summary>
/// Batch normalisation per channel over X [B x C x S] (S = H·W after a convolution, 1 after a dense layer), for the
/// channels [first, first + count) of a call; N = B·S values per channel. γ, β, μ, 1/σ and the running statistics are [C].
///   training forward   μ_c = Σ X[:, c, :] / N,  σ²_c = Σ (X[:, c, :] − μ_c)² / N (biased),  1/σ_c = 1/√(σ²_c + ε)
///                      X̂ = (X − μ_c)·(1/σ_c),  Y = X̂·γ_c + β_c  (or ReLU(Y), fused)
///                      running μ ← (1 − m)·running μ + m·μ_c,  running σ² ← (1 − m)·running σ² + m·σ²_c·N/(N − 1)
///                      (PyTorch's momentum m); with N = 1 (one row after a dense layer) X̂ = 0, Y = β and the running
///                      statistics are left as they are (the unbiased variance of one value is undefined)
///   inference forward  the same Y with the running μ and 1/√(running σ² + ε)
///   backward           dβ_c = Σ dZ[:, c, :],  dγ_c = Σ dZ·X̂,  dX = γ_c·(1/σ_c)·(dZ − dβ_c/N − X̂·dγ_c/N)   (X̂ from X, μ, 1/σ),
///                      dZ = dY, or after the fused ReLU dY where Z = X̂·γ + β (recomputed from X) is positive and 0 elsewhere
/// Sums are taken in one fixed order whatever the machine: within each run of S values of one row, value s goes to lane
/// s mod 8 of a float accumulator; the eight lanes are added in lane order into a double (the run's sum), and the runs' sums
/// are added row after row (a run shorter than 8, such as one feature after a dense layer, is summed value by value in
/// double: the same order without a vector). Each channel is summed whole by one call, so cutting the channels between
/// cores does not change a bit. The statistics take two passes (the mean, then the squared deviations from it), so a large
/// mean costs no digits of the variance; the second pass and the normalisation read the channel's values from cache.
/// Several rows' runs are summed side by side (independent accumulators, each run's order unchanged). Element-wise passes
/// do the same float operations on 8-wide vectors and on the scalar tail, and the fused ReLU gives the bits of
/// <see cref="ActivationFunctions"/> (Y = 0 where Z ≤ 0; dZ = 0 where Z ≤ 0, which is where Y ≤ 0).
/// </summary>
[SkipLocalsInit]
internal static unsafe class BatchNormKernels
{
    private const int Lanes = 8;

    /// <param name="input">X [rows x C x S].</param>
    /// <param name="output">Y [rows x C x S]; only channels [first, first + count) are written.</param>
    /// <param name="mean">μ [C]: the batch means, written for the call's channels.</param>
    /// <param name="inverseStd">1/σ [C]: written for the call's channels.</param>
    /// <param name="runningMean">[C], updated in place when <paramref name="updateRunning"/>.</param>
    /// <param name="runningVariance">[C], updated in place when <paramref name="updateRunning"/>.</param>
    /// <param name="relu">Y = ReLU(X̂·γ + β) instead of X̂·γ + β.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TrainingForward(ReadOnlySpan<float> input, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> output,
        Span<float> mean, Span<float> inverseStd, Span<float> runningMean, Span<float> runningVariance, int rows, int channels, int spatial,
        int first, int count, float momentum, float epsilon, bool updateRunning, bool relu = false)
    {
        CheckSizes(input.Length, output.Length, rows, channels, spatial, first, count);
        CheckChannels(channels, gamma.Length, beta.Length, mean.Length, inverseStd.Length);
        if (updateRunning) CheckChannels(channels, runningMean.Length, runningVariance.Length);
        long n = (long)rows * spatial, stride = (long)channels * spatial;
        fixed (float* x = input, y = output)
            for (int c = first; c < first + count; c++)
            {
                float* start = x + (long)c * spatial;
                double mu = SumRuns<Identity>(start, rows, stride, spatial, 0f) / n;
                float meanValue = (float)mu;
                double variance = SumRuns<SquaredDeviation>(start, rows, stride, spatial, meanValue) / n;
                float inverse = (float)(1.0 / Math.Sqrt(variance + epsilon));
                mean[c] = meanValue;
                inverseStd[c] = inverse;
                if (updateRunning && n > 1)
                {
                    runningMean[c] = (float)((1.0 - momentum) * runningMean[c] + momentum * mu);
                    runningVariance[c] = (float)((1.0 - momentum) * runningVariance[c] + momentum * variance * n / (n - 1));
                }
                float g = gamma[c], b = beta[c];
                for (int r = 0; r < rows; r++)
                {
                    long at = r * stride + (long)c * spatial;
                    Normalize(x + at, y + at, spatial, meanValue, inverse, g, b, relu);
                }
            }
    }

    /// <summary>Inference: Y = (X − running μ)·(1/√(running σ² + ε))·γ + β for every channel (ReLU of it when
    /// <paramref name="relu"/>). X, Y [rows x C x S].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InferenceForward(ReadOnlySpan<float> input, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVariance, Span<float> output, int rows, int channels, int spatial, float epsilon,
        bool relu = false)
    {
        CheckSizes(input.Length, output.Length, rows, channels, spatial, 0, channels);
        CheckChannels(channels, gamma.Length, beta.Length, runningMean.Length, runningVariance.Length);
        fixed (float* x = input, y = output)
            for (int c = 0; c < channels; c++)
            {
                float inverse = InverseStd(runningVariance[c], epsilon);
                for (int r = 0; r < rows; r++)
                {
                    long at = ((long)r * channels + c) * spatial;
                    Normalize(x + at, y + at, spatial, runningMean[c], inverse, gamma[c], beta[c], relu);
                }
            }
    }

    /// <summary>1/√(σ² + ε) as inference uses it, rounded once from double.</summary>
    public static float InverseStd(float variance, float epsilon) => (float)(1.0 / Math.Sqrt((double)variance + epsilon));

    /// <summary>
    /// Training backward for channels [first, first + count) after <see cref="TrainingForward"/> on the same X.
    /// </summary>
    /// <param name="outputGradient">dY [rows x C x S]: the gradient with respect to the layer's output (left as it is).</param>
    /// <param name="input">X [rows x C x S], the forward input.</param>
    /// <param name="mean">μ [C] and <paramref name="inverseStd"/> 1/σ [C] as the forward pass left them.</param>
    /// <param name="gammaGradient">dγ [C]: written for the call's channels; <paramref name="betaGradient"/> dβ likewise.</param>
    /// <param name="inputGradient">dX [rows x C x S], written for the call's channels, or empty.</param>
    /// <param name="reluBeta">β [C] of a forward pass with the fused ReLU: dZ = dY where X̂·γ + β &gt; 0 (recomputed from X in the
    /// forward pass's float operations: exactly where its output was positive), else 0; empty when it had no ReLU (dZ = dY).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TrainingBackward(ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> input, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> inverseStd, Span<float> gammaGradient, Span<float> betaGradient, Span<float> inputGradient,
        int rows, int channels, int spatial, int first, int count, ReadOnlySpan<float> reluBeta = default)
    {
        CheckSizes(input.Length, outputGradient.Length, rows, channels, spatial, first, count);
        CheckChannels(channels, gamma.Length, mean.Length, inverseStd.Length, gammaGradient.Length, betaGradient.Length);
        if (!reluBeta.IsEmpty) CheckChannels(channels, reluBeta.Length, reluBeta.Length);
        if (!inputGradient.IsEmpty && inputGradient.Length < (long)rows * channels * spatial)
            throw new ArgumentException("dX is shorter than B·C·S.", nameof(inputGradient));
        fixed (float* dy = outputGradient, x = input, dx = inputGradient)
        {
            if (reluBeta.IsEmpty)
                Backward<Linear>(dy, x, dx, gamma, gamma, mean, inverseStd, gammaGradient, betaGradient, rows, channels, spatial, first, count);
            else
                Backward<AfterReLU>(dy, x, dx, gamma, reluBeta, mean, inverseStd, gammaGradient, betaGradient, rows, channels, spatial, first, count);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Backward<TG>(float* dy, float* x, float* dx, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, ReadOnlySpan<float> mean,
        ReadOnlySpan<float> inverseStd, Span<float> gammaGradient, Span<float> betaGradient, int rows, int channels, int spatial, int first, int count)
        where TG : struct, IGradient
    {
        long n = (long)rows * spatial, stride = (long)channels * spatial;
        for (int c = first; c < first + count; c++)
        {
            long offset = (long)c * spatial;
            float mu = mean[c], inverse = inverseStd[c], g = gamma[c], b = beta[c];
            (double sumGradient, double sumProduct) = SumGradientAndProduct<TG>(dy + offset, x + offset, rows, stride, spatial, mu, inverse, g, b);
            betaGradient[c] = (float)sumGradient;
            gammaGradient[c] = (float)sumProduct;
            if (dx == null) continue;
            float scale = g * inverse, meanGradient = (float)(sumGradient / n), meanProduct = (float)(sumProduct / n);
            for (int r = 0; r < rows; r++)
            {
                long at = r * stride + offset;
                InputGradient<TG>(dy + at, x + at, dx + at, spatial, mu, inverse, g, b, scale, meanGradient, meanProduct);
            }
        }
    }

    /// <summary>Σ values in the fixed order of the type's remarks: one run of S values (8 lanes, then the lanes in order, in double).</summary>
    internal static double Sum(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty) return 0;
        fixed (float* start = values) return SumRuns<Identity>(start, 1, values.Length, values.Length, 0f);
    }

    /// <summary>What a statistics pass adds up: a term of each value, on a vector or on one value (the same float operations).</summary>
    private interface ITerm
    {
        static abstract Vector256<float> Of(Vector256<float> values, Vector256<float> mean);

        static abstract float Of(float value, float mean);
    }

    private readonly struct Identity : ITerm
    {
        public static Vector256<float> Of(Vector256<float> values, Vector256<float> mean) => values;

        public static float Of(float value, float mean) => value;
    }

    private readonly struct SquaredDeviation : ITerm
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Of(Vector256<float> values, Vector256<float> mean)
        {
            Vector256<float> d = values - mean;
            return d * d;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Of(float value, float mean)
        {
            float d = value - mean;
            return d * d;
        }
    }

    /// <summary>Σ term(v) over the runs of <paramref name="spatial"/> values at start + r·stride, r &lt; rows, in the order of
    /// the type's remarks; four rows' runs side by side.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double SumRuns<T>(float* start, int rows, long stride, int spatial, float mean) where T : struct, ITerm
    {
        double total = 0;
        if (spatial < Lanes)
        {
            for (int r = 0; r < rows; r++)
            {
                float* run = start + r * stride;
                double sum = 0;
                for (int j = 0; j < spatial; j++) sum += T.Of(run[j], mean);
                total += sum;
            }
            return total;
        }
        Vector256<float> m = Vector256.Create(mean);
        int full = spatial & ~(Lanes - 1), row = 0;
        for (; row <= rows - 4; row += 4)
        {
            float* p0 = start + row * stride, p1 = p0 + stride, p2 = p1 + stride, p3 = p2 + stride;
            Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
            for (int j = 0; j < full; j += Lanes)
            {
                a0 += T.Of(Vector256.Load(p0 + j), m);
                a1 += T.Of(Vector256.Load(p1 + j), m);
                a2 += T.Of(Vector256.Load(p2 + j), m);
                a3 += T.Of(Vector256.Load(p3 + j), m);
            }
            total += Reduce<T>(a0, p0 + full, spatial - full, mean);
            total += Reduce<T>(a1, p1 + full, spatial - full, mean);
            total += Reduce<T>(a2, p2 + full, spatial - full, mean);
            total += Reduce<T>(a3, p3 + full, spatial - full, mean);
        }
        for (; row < rows; row++)
        {
            float* p = start + row * stride;
            Vector256<float> a = Vector256<float>.Zero;
            for (int j = 0; j < full; j += Lanes) a += T.Of(Vector256.Load(p + j), m);
            total += Reduce<T>(a, p + full, spatial - full, mean);
        }
        return total;
    }

    /// <summary>The run's tail (fewer than 8 values) added to lanes 0.. of the accumulator, then the 8 lanes in order in double:
    /// the bits of adding the tail as a vector padded with values whose term is 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Reduce<T>(Vector256<float> lanes, float* tail, int remaining, float mean) where T : struct, ITerm
    {
        double total = 0;
        for (int k = 0; k < Lanes; k++) total += k < remaining ? lanes.GetElement(k) + T.Of(tail[k], mean) : lanes.GetElement(k);
        return total;
    }

    /// <summary>dZ from dY and X̂ = (X − μ)·(1/σ): the gradient before the layer's fused activation.</summary>
    private interface IGradient
    {
        static abstract Vector256<float> Of(Vector256<float> gradient, Vector256<float> normalized, Vector256<float> gamma, Vector256<float> beta);

        static abstract float Of(float gradient, float normalized, float gamma, float beta);
    }

    /// <summary>No activation: dZ = dY.</summary>
    private readonly struct Linear : IGradient
    {
        public static Vector256<float> Of(Vector256<float> gradient, Vector256<float> normalized, Vector256<float> gamma, Vector256<float> beta) => gradient;

        public static float Of(float gradient, float normalized, float gamma, float beta) => gradient;
    }

    /// <summary>The fused ReLU: dZ = dY where Z = X̂·γ + β &gt; 0 (the forward pass's Z, bit for bit), else 0.</summary>
    private readonly struct AfterReLU : IGradient
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Of(Vector256<float> gradient, Vector256<float> normalized, Vector256<float> gamma, Vector256<float> beta) =>
            Vector256.ConditionalSelect(Vector256.GreaterThan(normalized * gamma + beta, Vector256<float>.Zero), gradient, Vector256<float>.Zero);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Of(float gradient, float normalized, float gamma, float beta) => normalized * gamma + beta > 0f ? gradient : 0f;
    }

    /// <summary>(Σ dZ, Σ dZ·X̂) with X̂ = (X − μ)·(1/σ) over the runs at r·stride, in the order of <see cref="SumRuns{T}"/>;
    /// two rows' runs side by side.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (double Gradient, double Product) SumGradientAndProduct<TG>(float* dy, float* x, int rows, long stride, int spatial,
        float mean, float inverse, float gamma, float beta) where TG : struct, IGradient
    {
        double totalG = 0, totalP = 0;
        if (spatial < Lanes)
        {
            for (int r = 0; r < rows; r++)
            {
                long at = r * stride;
                double sumG = 0, sumP = 0;
                for (int j = 0; j < spatial; j++)
                {
                    float normalized = (x[at + j] - mean) * inverse, d = TG.Of(dy[at + j], normalized, gamma, beta);
                    sumG += d;
                    sumP += d * normalized;
                }
                totalG += sumG;
                totalP += sumP;
            }
            return (totalG, totalP);
        }
        Vector256<float> m = Vector256.Create(mean), s = Vector256.Create(inverse), gv = Vector256.Create(gamma), bv = Vector256.Create(beta);
        int full = spatial & ~(Lanes - 1), row = 0;
        for (; row <= rows - 2; row += 2)
        {
            long at0 = row * stride, at1 = at0 + stride;
            Vector256<float> g0 = Vector256<float>.Zero, p0 = g0, g1 = g0, p1 = g0;
            for (int j = 0; j < full; j += Lanes)
            {
                Vector256<float> n0 = (Vector256.Load(x + at0 + j) - m) * s, n1 = (Vector256.Load(x + at1 + j) - m) * s;
                Vector256<float> d0 = TG.Of(Vector256.Load(dy + at0 + j), n0, gv, bv), d1 = TG.Of(Vector256.Load(dy + at1 + j), n1, gv, bv);
                g0 += d0;
                p0 += d0 * n0;
                g1 += d1;
                p1 += d1 * n1;
            }
            AddRun<TG>(ref totalG, ref totalP, g0, p0, dy + at0 + full, x + at0 + full, spatial - full, mean, inverse, gamma, beta);
            AddRun<TG>(ref totalG, ref totalP, g1, p1, dy + at1 + full, x + at1 + full, spatial - full, mean, inverse, gamma, beta);
        }
        for (; row < rows; row++)
        {
            long at = row * stride;
            Vector256<float> g = Vector256<float>.Zero, p = g;
            for (int j = 0; j < full; j += Lanes)
            {
                Vector256<float> normalized = (Vector256.Load(x + at + j) - m) * s, d = TG.Of(Vector256.Load(dy + at + j), normalized, gv, bv);
                g += d;
                p += d * normalized;
            }
            AddRun<TG>(ref totalG, ref totalP, g, p, dy + at + full, x + at + full, spatial - full, mean, inverse, gamma, beta);
        }
        return (totalG, totalP);
    }

    /// <summary>A run's tail into its lanes, the lanes in order into each run sum, the run sums onto the totals (a tail padded
    /// with dY = 0 and X = μ would add 0 to every lane: the same bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRun<TG>(ref double totalG, ref double totalP, Vector256<float> lanesG, Vector256<float> lanesP, float* dy, float* x,
        int remaining, float mean, float inverse, float gamma, float beta) where TG : struct, IGradient
    {
        double sumG = 0, sumP = 0;
        for (int k = 0; k < Lanes; k++)
        {
            float g = lanesG.GetElement(k), p = lanesP.GetElement(k);
            if (k < remaining)
            {
                float normalized = (x[k] - mean) * inverse, d = TG.Of(dy[k], normalized, gamma, beta);
                g += d;
                p += d * normalized;
            }
            sumG += g;
            sumP += p;
        }
        totalG += sumG;
        totalP += sumP;
    }

    /// <summary>Y = ((X − μ)·(1/σ))·γ + β over one run of values, then Y = 0 where Y ≤ 0 when <paramref name="relu"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Normalize(float* input, float* output, int length, float mean, float inverse, float gamma, float beta, bool relu)
    {
        Vector256<float> m = Vector256.Create(mean), s = Vector256.Create(inverse), g = Vector256.Create(gamma), b = Vector256.Create(beta);
        int i = 0;
        if (relu)
        {
            for (; i <= length - Lanes; i += Lanes)
            {
                Vector256<float> z = (Vector256.Load(input + i) - m) * s * g + b;
                Vector256.ConditionalSelect(Vector256.LessThanOrEqual(z, Vector256<float>.Zero), Vector256<float>.Zero, z).Store(output + i);
            }
            for (; i < length; i++)
            {
                float z = (input[i] - mean) * inverse * gamma + beta;
                output[i] = z <= 0f ? 0f : z;
            }
            return;
        }
        for (; i <= length - Lanes; i += Lanes) ((Vector256.Load(input + i) - m) * s * g + b).Store(output + i);
        for (; i < length; i++) output[i] = (input[i] - mean) * inverse * gamma + beta;
    }

    /// <summary>dX = γ/σ·(dZ − mean dZ − X̂·mean(dZ·X̂)) over one run of values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputGradient<TG>(float* dy, float* x, float* dx, int length, float mean, float inverse, float gamma, float beta,
        float scale, float meanGradient, float meanProduct) where TG : struct, IGradient
    {
        Vector256<float> m = Vector256.Create(mean), s = Vector256.Create(inverse), gv = Vector256.Create(gamma), bv = Vector256.Create(beta),
            k = Vector256.Create(scale), mg = Vector256.Create(meanGradient), mp = Vector256.Create(meanProduct);
        int i = 0;
        for (; i <= length - Lanes; i += Lanes)
        {
            Vector256<float> normalized = (Vector256.Load(x + i) - m) * s;
            (k * (TG.Of(Vector256.Load(dy + i), normalized, gv, bv) - mg - normalized * mp)).Store(dx + i);
        }
        for (; i < length; i++)
        {
            float normalized = (x[i] - mean) * inverse;
            dx[i] = scale * (TG.Of(dy[i], normalized, gamma, beta) - meanGradient - normalized * meanProduct);
        }
    }


    private static void CheckSizes(int inputLength, int outputLength, int rows, int channels, int spatial, int first, int count)
    {
        if (rows < 0 || channels < 1 || spatial < 1) throw new ArgumentOutOfRangeException(nameof(rows), "B ≥ 0, C ≥ 1 and S ≥ 1 are required.");
        if (first < 0 || count < 0 || first + count > channels) throw new ArgumentOutOfRangeException(nameof(first), "The channel range lies outside [0, C).");
        long size = (long)rows * channels * spatial;
        if (inputLength < size) throw new ArgumentException("X is shorter than B·C·S.", nameof(inputLength));
        if (outputLength < size) throw new ArgumentException("Y (or dY) is shorter than B·C·S.", nameof(outputLength));
    }

    /// <summary>The per-channel vectors (γ, β, μ, 1/σ, running statistics, their gradients) hold C values each.</summary>
    private static void CheckChannels(int channels, int a, int b, int c = int.MaxValue, int d = int.MaxValue, int e = int.MaxValue)
    {
        if (Math.Min(Math.Min(a, b), Math.Min(c, Math.Min(d, e))) < channels)
            throw new ArgumentException("A per-channel vector (γ, β, μ, 1/σ, running statistics, dγ, dβ) is shorter than C.");
    }
}
