using MnistTools.Layers;
using static MnistTools.Tests.Layers.ReferenceLayers;

namespace MnistTools.Tests.Layers;

/// <summary>
/// <see cref="BatchNormKernels"/> against a plain double reference on every small shape (B 1..5, C 1..3, S 1..9 and
/// lengths around the 8-lane sums), cut by channels or not (the same bits); the reference's training gradient against
/// central differences over whole batches; PyTorch's running-statistics formulas; one value per channel gives β and no NaN;
/// the sums bit for bit in the documented order (scalar loops over 8 float lanes, B 1..9 and S 1..40); the fused ReLU
/// bit for bit as the kernel followed by <see cref="ActivationFunctions"/>; a large mean with a small spread keeps its variance.
/// </summary>
public class BatchNormKernelTests
{
    private const float Momentum = 0.1f, Epsilon = 1e-5f;

    private static IEnumerable<(int Rows, int Channels, int Spatial)> Shapes()
    {
        for (int rows = 1; rows <= 5; rows++)
            for (int channels = 1; channels <= 3; channels++)
                foreach (int spatial in new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 25 })
                    yield return (rows, channels, spatial);
    }

    /// <summary>Training forward in double: Y, μ, 1/σ, biased σ², and the running statistics PyTorch's formulas give.</summary>
    internal static (double[] Y, double[] Mean, double[] Inverse, double[] Variance, double[] RunningMean, double[] RunningVariance) Forward(
        double[] x, double[] gamma, double[] beta, double[] runningMean, double[] runningVariance, int rows, int channels, int spatial,
        double momentum = Momentum, double epsilon = Epsilon)
    {
        int n = rows * spatial;
        var y = new double[x.Length];
        var mean = new double[channels];
        var inverse = new double[channels];
        var variance = new double[channels];
        double[] newMean = runningMean.ToArray(), newVariance = runningVariance.ToArray();
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int r = 0; r < rows; r++) for (int s = 0; s < spatial; s++) sum += x[(r * channels + c) * spatial + s];
            mean[c] = sum / n;
            double squares = 0;
            for (int r = 0; r < rows; r++) for (int s = 0; s < spatial; s++) squares += Math.Pow(x[(r * channels + c) * spatial + s] - mean[c], 2);
            variance[c] = squares / n;
            inverse[c] = 1 / Math.Sqrt(variance[c] + epsilon);
            for (int r = 0; r < rows; r++)
                for (int s = 0; s < spatial; s++)
                {
                    int i = (r * channels + c) * spatial + s;
                    y[i] = (x[i] - mean[c]) * inverse[c] * gamma[c] + beta[c];
                }
            if (n > 1)
            {
                // torch.nn.BatchNorm: running = (1 − momentum)·running + momentum·statistic, the variance unbiased.
                newMean[c] = (1 - momentum) * runningMean[c] + momentum * mean[c];
                newVariance[c] = (1 - momentum) * runningVariance[c] + momentum * squares / (n - 1);
            }
        }
        return (y, mean, inverse, variance, newMean, newVariance);
    }

    /// <summary>Training backward in double, the textbook formula: dβ = Σ dY, dγ = Σ dY·X̂, dX = γ/σ·(dY − dβ/N − X̂·dγ/N).</summary>
    internal static (double[] DGamma, double[] DBeta, double[] DX) Backward(double[] dy, double[] x, double[] gamma, int rows, int channels, int spatial,
        double epsilon = Epsilon)
    {
        var (_, mean, inverse, _, _, _) = Forward(x, gamma, new double[channels], new double[channels], new double[channels], rows, channels, spatial, epsilon: epsilon);
        int n = rows * spatial;
        var dGamma = new double[channels];
        var dBeta = new double[channels];
        var dx = new double[x.Length];
        for (int c = 0; c < channels; c++)
        {
            for (int r = 0; r < rows; r++)
                for (int s = 0; s < spatial; s++)
                {
                    int i = (r * channels + c) * spatial + s;
                    dBeta[c] += dy[i];
                    dGamma[c] += dy[i] * (x[i] - mean[c]) * inverse[c];
                }
            for (int r = 0; r < rows; r++)
                for (int s = 0; s < spatial; s++)
                {
                    int i = (r * channels + c) * spatial + s;
                    double normalized = (x[i] - mean[c]) * inverse[c];
                    dx[i] = gamma[c] * inverse[c] * (dy[i] - dBeta[c] / n - normalized * dGamma[c] / n);
                }
        }
        return (dGamma, dBeta, dx);
    }

    private static double[] Magnitudes(double[] values, double floor) => values.Select(v => Math.Max(Math.Abs(v), floor)).ToArray();

    [Fact]
    public void TrainingForwardMatchesTheReferenceOnEverySmallShape()
    {
        var random = new Random(5);
        int cases = 0;
        foreach (var (rows, channels, spatial) in Shapes())
        {
            // An offset of 3 makes a naive one-pass variance lose digits; the two-pass sums must not.
            float[] x = RandomFloats(random, rows * channels * spatial, 2, 4);
            float[] gamma = RandomFloats(random, channels, 0.5, 2), beta = RandomFloats(random, channels);
            float[] runningMean = RandomFloats(random, channels), runningVariance = RandomFloats(random, channels, 0.5, 2);
            var expected = Forward(ToDouble(x), ToDouble(gamma), ToDouble(beta), ToDouble(runningMean), ToDouble(runningVariance), rows, channels, spatial);

            var y = new float[x.Length];
            var mean = new float[channels];
            var inverse = new float[channels];
            BatchNormKernels.TrainingForward(x, gamma, beta, y, mean, inverse, runningMean, runningVariance, rows, channels, spatial, 0, channels,
                Momentum, Epsilon, updateRunning: true);
            string what = $"B={rows} C={channels} S={spatial}";
            // |Y| ≤ |X̂|·γ + |β|: the scale of each term.
            AssertClose(y, expected.Y, Magnitudes(expected.Y, 4), $"Y {what}");
            AssertClose(mean, expected.Mean, Magnitudes(expected.Mean, 1), $"μ {what}");
            // 1/σ grows as σ shrinks: relative to itself.
            AssertClose(inverse, expected.Inverse, expected.Inverse.Select(v => v * 10).ToArray(), $"1/σ {what}");
            AssertClose(runningMean, expected.RunningMean, Magnitudes(expected.RunningMean, 1), $"running μ {what}");
            AssertClose(runningVariance, expected.RunningVariance, Magnitudes(expected.RunningVariance, 1), $"running σ² {what}");
            cases++;
        }
        Assert.Equal(5 * 3 * 13, cases);
    }

    [Fact]
    public void OneCallAndOneCallPerChannelGiveTheSameBits()
    {
        // What two cores do: each takes a range of channels over the whole batch.
        var random = new Random(6);
        foreach (var (rows, channels, spatial) in Shapes())
        {
            float[] x = RandomFloats(random, rows * channels * spatial), dy = RandomFloats(random, x.Length);
            float[] gamma = RandomFloats(random, channels, 0.5, 2), beta = RandomFloats(random, channels);
            var whole = Run(x, dy, gamma, beta, rows, channels, spatial, split: false);
            var cut = Run(x, dy, gamma, beta, rows, channels, spatial, split: true);
            for (int part = 0; part < whole.Length; part++) Assert.Equal(whole[part], cut[part]);
        }

        static float[][] Run(float[] x, float[] dy, float[] gamma, float[] beta, int rows, int channels, int spatial, bool split)
        {
            var y = new float[x.Length];
            var dx = new float[x.Length];
            float[] mean = new float[channels], inverse = new float[channels], rm = new float[channels], rv = Enumerable.Repeat(1f, channels).ToArray();
            float[] dGamma = new float[channels], dBeta = new float[channels];
            int[] cuts = split ? Enumerable.Range(0, channels + 1).ToArray() : new[] { 0, channels };
            for (int k = 0; k + 1 < cuts.Length; k++)
                BatchNormKernels.TrainingForward(x, gamma, beta, y, mean, inverse, rm, rv, rows, channels, spatial, cuts[k], cuts[k + 1] - cuts[k], Momentum, Epsilon, true);
            for (int k = cuts.Length - 2; k >= 0; k--)
                BatchNormKernels.TrainingBackward(dy, x, gamma, mean, inverse, dGamma, dBeta, dx, rows, channels, spatial, cuts[k], cuts[k + 1] - cuts[k]);
            return [y, mean, inverse, rm, rv, dGamma, dBeta, dx];
        }
    }

    [Fact]
    public void TrainingBackwardMatchesTheReferenceOnEverySmallShape()
    {
        var random = new Random(7);
        foreach (var (rows, channels, spatial) in Shapes())
        {
            float[] x = RandomFloats(random, rows * channels * spatial, -2, 3), dy = RandomFloats(random, x.Length);
            float[] gamma = RandomFloats(random, channels, 0.5, 2), beta = RandomFloats(random, channels);
            var y = new float[x.Length];
            float[] mean = new float[channels], inverse = new float[channels], rm = new float[channels], rv = new float[channels];
            BatchNormKernels.TrainingForward(x, gamma, beta, y, mean, inverse, rm, rv, rows, channels, spatial, 0, channels, Momentum, Epsilon, false);
            float[] dGamma = new float[channels], dBeta = new float[channels], dx = new float[x.Length];
            BatchNormKernels.TrainingBackward(dy, x, gamma, mean, inverse, dGamma, dBeta, dx, rows, channels, spatial, 0, channels);

            var expected = Backward(ToDouble(dy), ToDouble(x), ToDouble(gamma), rows, channels, spatial);
            string what = $"B={rows} C={channels} S={spatial}";
            int n = rows * spatial;
            AssertClose(dBeta, expected.DBeta, Enumerable.Repeat((double)n, channels).ToArray(), $"dβ {what}");
            // Σ |dY·X̂| ≤ N·max|X̂| ≤ N·√N.
            AssertClose(dGamma, expected.DGamma, Enumerable.Repeat(n * Math.Sqrt(n), channels).ToArray(), $"dγ {what}");
            // dX's terms are γ/σ·(|dY| + |dβ|/N + |X̂·dγ|/N) ≤ γ/σ·(2 + √N·√N): 1/σ is large when X's spread is small.
            double[] scale = new double[x.Length];
            for (int i = 0; i < x.Length; i++)
            {
                int c = i / spatial % channels;
                scale[i] = gamma[c] * inverse[c] * (2 + n);
            }
            AssertClose(dx, expected.DX, scale, $"dX {what}");
        }
    }

    [Fact]
    public void TheReferenceGradientMatchesCentralDifferencesOverWholeBatches()
    {
        // L = Σ w ⊙ Y(X, γ, β) with batch statistics; every input moves every output of its channel.
        var random = new Random(8);
        foreach (var (rows, channels, spatial) in new[] { (2, 1, 1), (3, 2, 1), (5, 3, 1), (1, 2, 4), (2, 3, 5), (4, 2, 9), (3, 1, 7) })
        {
            double[] x = RandomFloats(random, rows * channels * spatial, -2, 2).Select(v => (double)v).ToArray();
            double[] w = RandomFloats(random, x.Length).Select(v => (double)v).ToArray();
            double[] gamma = RandomFloats(random, channels, 0.5, 2).Select(v => (double)v).ToArray(), beta = RandomFloats(random, channels).Select(v => (double)v).ToArray();
            double Loss(double[] xs, double[] g, double[] b)
            {
                double[] y = Forward(xs, g, b, new double[channels], new double[channels], rows, channels, spatial).Y;
                double sum = 0;
                for (int i = 0; i < y.Length; i++) sum += w[i] * y[i];
                return sum;
            }
            var (dGamma, dBeta, dx) = Backward(w, x, gamma, rows, channels, spatial);
            CheckNumeric(x, dx, () => Loss(x, gamma, beta), "dX");
            CheckNumeric(gamma, dGamma, () => Loss(x, gamma, beta), "dγ");
            CheckNumeric(beta, dBeta, () => Loss(x, gamma, beta), "dβ");
        }

        static void CheckNumeric(double[] values, double[] analytic, Func<double> loss, string what)
        {
            const double h = 1e-5;
            for (int i = 0; i < values.Length; i++)
            {
                double saved = values[i];
                values[i] = saved + h;
                double plus = loss();
                values[i] = saved - h;
                double minus = loss();
                values[i] = saved;
                double numeric = (plus - minus) / (2 * h);
                Assert.True(Math.Abs(numeric - analytic[i]) <= 1e-6 * Math.Max(1, Math.Abs(analytic[i])), $"{what}[{i}]: analytic {analytic[i]:R}, numeric {numeric:R}");
            }
        }
    }

    [Fact]
    public void InferenceForwardUsesTheRunningStatistics()
    {
        var random = new Random(9);
        foreach (var (rows, channels, spatial) in Shapes())
        {
            float[] x = RandomFloats(random, rows * channels * spatial, -2, 3);
            float[] gamma = RandomFloats(random, channels, 0.5, 2), beta = RandomFloats(random, channels);
            float[] runningMean = RandomFloats(random, channels), runningVariance = RandomFloats(random, channels, 0.1, 3);
            var y = new float[x.Length];
            BatchNormKernels.InferenceForward(x, gamma, beta, runningMean, runningVariance, y, rows, channels, spatial, Epsilon);
            var expected = new double[x.Length];
            for (int i = 0; i < x.Length; i++)
            {
                int c = i / spatial % channels;
                expected[i] = (x[i] - (double)runningMean[c]) / Math.Sqrt(runningVariance[c] + (double)Epsilon) * gamma[c] + beta[c];
            }
            AssertClose(y, expected, Magnitudes(expected, 10), $"B={rows} C={channels} S={spatial}");
        }
    }

    [Fact]
    public void OneValuePerChannelGivesBetaNoGradientAndLeavesTheRunningStatistics()
    {
        // One row after a dense layer: the variance of one value is 0 (biased) and undefined (unbiased).
        float[] x = [3.5f, -1f, 1e30f], gamma = [2f, 0.5f, 1f], beta = [0.25f, -4f, 7f], dy = [1f, -2f, 3f];
        float[] mean = new float[3], inverse = new float[3], rm = [0.5f, 0.25f, 0f], rv = [2f, 3f, 1f], y = new float[3];
        BatchNormKernels.TrainingForward(x, gamma, beta, y, mean, inverse, rm, rv, 1, 3, 1, 0, 3, Momentum, Epsilon, updateRunning: true);
        Assert.Equal(beta, y);
        Assert.Equal([0.5f, 0.25f, 0f], rm);
        Assert.Equal([2f, 3f, 1f], rv);
        float[] dGamma = new float[3], dBeta = new float[3], dx = new float[3];
        BatchNormKernels.TrainingBackward(dy, x, gamma, mean, inverse, dGamma, dBeta, dx, 1, 3, 1, 0, 3);
        Assert.Equal(dy, dBeta);
        Assert.Equal(new float[3], dGamma);
        Assert.Equal(new float[3], dx);
    }

    [Fact]
    public void SumsDoNotDependOnTheChannelsAroundThem()
    {
        // The 8-lane order is per run of S values: a channel's statistics are the same alone or among others.
        var random = new Random(10);
        float[] lone = RandomFloats(random, 4 * 13);
        var three = new float[4 * 3 * 13];
        for (int r = 0; r < 4; r++) lone.AsSpan(r * 13, 13).CopyTo(three.AsSpan((r * 3 + 1) * 13, 13));
        float[] mean1 = new float[1], inverse1 = new float[1], mean3 = new float[3], inverse3 = new float[3];
        BatchNormKernels.TrainingForward(lone, [1f], [0f], new float[lone.Length], mean1, inverse1, new float[1], new float[1], 4, 1, 13, 0, 1, Momentum, Epsilon, false);
        BatchNormKernels.TrainingForward(three, [1f, 1f, 1f], [0f, 0f, 0f], new float[three.Length], mean3, inverse3, new float[3], new float[3], 4, 3, 13, 0, 3, Momentum, Epsilon, false);
        Assert.Equal(mean1[0], mean3[1]);
        Assert.Equal(inverse1[0], inverse3[1]);
    }

    /// <summary>
    /// The documented order in plain scalar loops: per run of S values, value s into float lane s mod 8, the lanes in order
    /// into a double, the runs' sums in row order (a run shorter than 8 value by value in double).
    /// </summary>
    private static double OrderedSum(float[] values, int rows, int channels, int spatial, int c, Func<int, float> term)
    {
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            int start = (r * channels + c) * spatial;
            double run = 0;
            if (spatial < 8)
                for (int s = 0; s < spatial; s++) run += term(start + s);
            else
            {
                var lanes = new float[8];
                for (int s = 0; s < spatial; s++) lanes[s % 8] += term(start + s);
                foreach (float lane in lanes) run += lane;
            }
            total += run;
        }
        return total;
    }

    private static void AssertSameBits(float[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
    }

    [Fact]
    public void StatisticsAndGradientsFollowTheDocumentedOrderBitForBit()
    {
        // Rows 1..9 cover every remainder of the rows summed side by side; S 1..40 every tail of the 8-lane runs.
        var random = new Random(11);
        int cases = 0;
        for (int rows = 1; rows <= 9; rows++)
            for (int channels = 1; channels <= 3; channels++)
                for (int spatial = 1; spatial <= 40; spatial++)
                {
                    int size = rows * channels * spatial;
                    float[] x = RandomFloats(random, size, -1, 4), dy = RandomFloats(random, size);
                    float[] gamma = RandomFloats(random, channels, -2, 2), beta = RandomFloats(random, channels);
                    float[] runningMean = RandomFloats(random, channels), runningVariance = RandomFloats(random, channels, 0.5, 2);
                    float[] y = new float[size], mean = new float[channels], inverse = new float[channels], dx = new float[size];
                    float[] dGamma = new float[channels], dBeta = new float[channels], rm = runningMean.ToArray(), rv = runningVariance.ToArray();
                    BatchNormKernels.TrainingForward(x, gamma, beta, y, mean, inverse, rm, rv, rows, channels, spatial, 0, channels, Momentum, Epsilon, true);
                    BatchNormKernels.TrainingBackward(dy, x, gamma, mean, inverse, dGamma, dBeta, dx, rows, channels, spatial, 0, channels);

                    int n = rows * spatial;
                    float[] eMean = new float[channels], eInverse = new float[channels], eRm = runningMean.ToArray(), eRv = runningVariance.ToArray();
                    float[] eY = new float[size], eDx = new float[size], eDGamma = new float[channels], eDBeta = new float[channels];
                    for (int c = 0; c < channels; c++)
                    {
                        double mu = OrderedSum(x, rows, channels, spatial, c, i => x[i]) / n;
                        float m = (float)mu;
                        double variance = OrderedSum(x, rows, channels, spatial, c, i => { float d = x[i] - m; return d * d; }) / n;
                        float s = (float)(1.0 / Math.Sqrt(variance + Epsilon));
                        (eMean[c], eInverse[c]) = (m, s);
                        if (n > 1)
                        {
                            eRm[c] = (float)((1.0 - Momentum) * runningMean[c] + Momentum * mu);
                            eRv[c] = (float)((1.0 - Momentum) * runningVariance[c] + Momentum * variance * n / (n - 1));
                        }
                        double sumG = OrderedSum(dy, rows, channels, spatial, c, i => dy[i]);
                        double sumP = OrderedSum(dy, rows, channels, spatial, c, i => dy[i] * ((x[i] - m) * s));
                        (eDBeta[c], eDGamma[c]) = ((float)sumG, (float)sumP);
                        float scale = gamma[c] * s, meanG = (float)(sumG / n), meanP = (float)(sumP / n);
                        for (int r = 0; r < rows; r++)
                            for (int j = 0; j < spatial; j++)
                            {
                                int i = (r * channels + c) * spatial + j;
                                float normalized = (x[i] - m) * s;
                                eY[i] = normalized * gamma[c] + beta[c];
                                eDx[i] = scale * (dy[i] - meanG - normalized * meanP);
                            }
                    }
                    string what = $"B={rows} C={channels} S={spatial}";
                    AssertSameBits(eMean, mean, $"μ {what}");
                    AssertSameBits(eInverse, inverse, $"1/σ {what}");
                    AssertSameBits(eRm, rm, $"running μ {what}");
                    AssertSameBits(eRv, rv, $"running σ² {what}");
                    AssertSameBits(eY, y, $"Y {what}");
                    AssertSameBits(eDBeta, dBeta, $"dβ {what}");
                    AssertSameBits(eDGamma, dGamma, $"dγ {what}");
                    AssertSameBits(eDx, dx, $"dX {what}");
                    cases++;
                }
        Assert.Equal(9 * 3 * 40, cases);
    }

    [Fact]
    public void TheFusedReLUGivesTheBitsOfTheKernelThenTheActivation()
    {
        var random = new Random(12);
        foreach (var (rows, channels, spatial) in Shapes())
        {
            int size = rows * channels * spatial;
            float[] x = RandomFloats(random, size, -2, 3), dy = RandomFloats(random, size);
            // γ of either sign; the last channel all zeros with β = 0 when there are two or more: Z = 0 exactly, where
            // ReLU gives 0 and passes no gradient.
            float[] gamma = RandomFloats(random, channels, -2, 2), beta = RandomFloats(random, channels);
            if (channels > 1)
            {
                beta[^1] = 0f;
                for (int r = 0; r < rows; r++) Array.Clear(x, (r * channels + channels - 1) * spatial, spatial);
            }
            float[] runningMean = RandomFloats(random, channels), runningVariance = RandomFloats(random, channels, 0.5, 2);
            string what = $"B={rows} C={channels} S={spatial}";

            float[] z = new float[size], expected = new float[size], mean = new float[channels], inverse = new float[channels];
            BatchNormKernels.TrainingForward(x, gamma, beta, z, mean, inverse, new float[channels], new float[channels], rows, channels, spatial, 0, channels,
                Momentum, Epsilon, false);
            ActivationFunctions.ActivationForward(Activation.ReLU, z, expected, ActivationFunctions.LeakyReLUSlope);
            float[] fused = new float[size], fusedMean = new float[channels], fusedInverse = new float[channels];
            BatchNormKernels.TrainingForward(x, gamma, beta, fused, fusedMean, fusedInverse, new float[channels], new float[channels], rows, channels, spatial,
                0, channels, Momentum, Epsilon, false, relu: true);
            AssertSameBits(expected, fused, $"Y {what}");
            AssertSameBits(mean, fusedMean, $"μ {what}");
            AssertSameBits(inverse, fusedInverse, $"1/σ {what}");
            if (channels > 1) Assert.Equal(0f, fused[(channels - 1) * spatial]);

            float[] dz = dy.ToArray();
            ActivationFunctions.ActivationBackward(Activation.ReLU, z, expected, dz, ActivationFunctions.LeakyReLUSlope);
            float[] dGamma = new float[channels], dBeta = new float[channels], dx = new float[size];
            BatchNormKernels.TrainingBackward(dz, x, gamma, mean, inverse, dGamma, dBeta, dx, rows, channels, spatial, 0, channels);
            float[] fusedDGamma = new float[channels], fusedDBeta = new float[channels], fusedDx = new float[size], dyBefore = dy.ToArray();
            BatchNormKernels.TrainingBackward(dy, x, gamma, mean, inverse, fusedDGamma, fusedDBeta, fusedDx, rows, channels, spatial, 0, channels, beta);
            AssertSameBits(dGamma, fusedDGamma, $"dγ {what}");
            AssertSameBits(dBeta, fusedDBeta, $"dβ {what}");
            AssertSameBits(dx, fusedDx, $"dX {what}");
            AssertSameBits(dyBefore, dy, $"dY left as it is {what}");

            float[] inference = new float[size], fusedInference = new float[size];
            BatchNormKernels.InferenceForward(x, gamma, beta, runningMean, runningVariance, inference, rows, channels, spatial, Epsilon);
            ActivationFunctions.ActivationForward(Activation.ReLU, inference, inference, ActivationFunctions.LeakyReLUSlope);
            BatchNormKernels.InferenceForward(x, gamma, beta, runningMean, runningVariance, fusedInference, rows, channels, spatial, Epsilon, relu: true);
            AssertSameBits(inference, fusedInference, $"inference Y {what}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(50)]
    public void ALargeMeanWithASmallSpreadKeepsItsVariance(int spatial)
    {
        // X = 1000 ± 0.01: a one-pass Σx² − (Σx)²/N in float would lose every digit of σ² ≈ 3.3e-5.
        const int rows = 64, channels = 2;
        var random = new Random(13);
        float[] x = RandomFloats(random, rows * channels * spatial, -0.01, 0.01).Select(v => 1000f + v).ToArray();
        float[] mean = new float[channels], inverse = new float[channels], rm = new float[channels], rv = new float[channels];
        BatchNormKernels.TrainingForward(x, [1f, 1f], [0f, 0f], new float[x.Length], mean, inverse, rm, rv, rows, channels, spatial, 0, channels,
            Momentum, 1e-12f, true);
        var expected = Forward(ToDouble(x), [1, 1], [0, 0], [0, 0], [0, 0], rows, channels, spatial, epsilon: 1e-12f);
        for (int c = 0; c < channels; c++)
        {
            Assert.True(expected.Variance[c] > 2e-5, $"the data's variance {expected.Variance[c]:R}");
            Assert.True(Math.Abs(inverse[c] - expected.Inverse[c]) <= 1e-3 * expected.Inverse[c], $"1/σ[{c}]: {inverse[c]:R}, expected {expected.Inverse[c]:R}");
            double unbiased = Momentum * expected.Variance[c] * rows * spatial / (rows * spatial - 1);
            Assert.True(Math.Abs(rv[c] - unbiased) <= 1e-3 * unbiased, $"running σ²[{c}]: {rv[c]:R}, expected {unbiased:R}");
        }
    }
}
