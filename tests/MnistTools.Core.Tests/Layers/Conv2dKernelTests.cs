using MnistTools.Layers;
using MnistTools.Numerics;
using static MnistTools.Tests.Layers.ReferenceLayers;

namespace MnistTools.Tests.Layers;

/// <summary>
/// <see cref="Conv2dKernels"/> against the double reference for every small shape (channels 1..5, kernels 1..5,
/// strides 1..2, valid and same padding, odd and even sizes, 1..3 images, one or several im2col groups) on every
/// instruction set; the padding rule on known cases; the reference's gradient against central differences; the
/// grouping and thread count leaving the forward bits unchanged; special values; argument checks.
/// </summary>
public class Conv2dKernelTests
{
    // (height, width): output widths 1..21 (every copy tail), 3x5 .. 16x21 (P from 1 to 336: 1..4 images per group).
    private static readonly (int Height, int Width)[] s_sizes = [(3, 5), (5, 7), (9, 12), (13, 15), (16, 21)];

    public static TheoryData<InstructionSet> InstructionSets() => new(Enum.GetValues<InstructionSet>());

    [SkippableTheory]
    [MemberData(nameof(InstructionSets))]
    public void MatchesTheReferenceOnEverySmallShape(InstructionSet path)
    {
        Skip.IfNot(ComputeSettings.IsSupported(path), $"This CPU does not run {path}.");
        using var scope = ComputeSettings.Override(path, threads: 1);
        var random = new Random(11 + (int)path);
        int cases = 0;
        for (int channels = 1; channels <= 5; channels++)
            for (int kernel = 1; kernel <= 5; kernel++)
                for (int stride = 1; stride <= 2; stride++)
                    foreach (Padding padding in Enum.GetValues<Padding>())
                        foreach ((int height, int width) in s_sizes)
                        {
                            if (padding == Padding.Valid && (kernel > height || kernel > width)) continue;
                            int filters = 1 + (channels * 7 + kernel * 3 + height) % 17; // 1..17: whole and partial 8-row panels and filter blocks
                            var shape = Conv2dShape.Create(channels, height, width, filters, kernel, stride, padding);
                            for (int rows = 1; rows <= 3; rows++, cases++)
                                CheckAgainstReference(random, shape, rows, skipInputGradient: rows == 2 && kernel == 3);
                        }
        Assert.True(cases > 1000, $"only {cases} cases ran");
    }

    [SkippableFact]
    public void TheImplicitPathMatchesTheReferenceOnEveryTileTail()
    {
        Skip.IfNot(ComputeSettings.IsSupported(InstructionSet.Avx512), "This CPU does not run Avx512.");
        using var scope = ComputeSettings.Override(InstructionSet.Avx512, threads: 1);
        var random = new Random(17);
        int cases = 0;
        // Output widths 1..13 and heights 1..4 (6-pixel tiles across rows and, without padding, images; every tail at
        // the lane's or a padded image's end), patches just past the direct path's, 1 and 2 blocks of 64 filters, both
        // paddings, 1..3 images.
        foreach ((int channels, int kernel) in new[] { (4, 3), (3, 4), (1, 6), (2, 5) })
            foreach (int filters in new[] { 64, 128 })
                foreach (Padding padding in Enum.GetValues<Padding>())
                    for (int outputWidth = 1; outputWidth <= 13; outputWidth++)
                    {
                        int width = padding == Padding.Same ? outputWidth : outputWidth + kernel - 1;
                        int outputHeight = 1 + (outputWidth + cases) % 4, height = padding == Padding.Same ? outputHeight : outputHeight + kernel - 1;
                        var shape = Conv2dShape.Create(channels, height, width, filters, kernel, 1, padding);
                        Assert.True(Conv2dImplicit.Applies(shape, InstructionSet.Avx512), $"{shape} does not take the implicit path");
                        int rows = 1 + cases % 3;
                        CheckAgainstReference(random, shape, rows, skipInputGradient: true);
                        cases++;
                    }
        Assert.False(Conv2dImplicit.Applies(Conv2dShape.Create(4, 9, 9, 64, 3, 2, Padding.Valid), InstructionSet.Avx512), "stride 2");
        Assert.False(Conv2dImplicit.Applies(Conv2dShape.Create(4, 9, 9, 40, 3, 1, Padding.Valid), InstructionSet.Avx512), "40 filters");
        Assert.False(Conv2dImplicit.Applies(Conv2dShape.Create(3, 9, 9, 64, 3, 1, Padding.Valid), InstructionSet.Avx512), "27 taps");
        Assert.False(Conv2dImplicit.Applies(Conv2dShape.Create(4, 9, 9, 64, 3, 1, Padding.Valid), InstructionSet.Avx2), "AVX2");
    }

    [SkippableTheory]
    [InlineData(2, 9, 6, 3, Padding.Same, InstructionSet.Avx512)]   // the direct path
    [InlineData(6, 7, 64, 3, Padding.Valid, InstructionSet.Avx512)] // the implicit path
    [InlineData(6, 7, 64, 3, Padding.Valid, InstructionSet.Avx2)]   // im2col + GEMM
    [InlineData(3, 8, 5, 2, Padding.Same, InstructionSet.Portable)]
    public void TheActivationInTheForwardHasTheBitsOfTheSeparatePass(int channels, int size, int filters, int kernel, Padding padding, InstructionSet path)
    {
        Skip.IfNot(ComputeSettings.IsSupported(path), $"This CPU does not run {path}.");
        using var scope = ComputeSettings.Override(path, threads: 1);
        var shape = Conv2dShape.Create(channels, size, size, filters, kernel, 1, padding);
        Assert.Equal(path == InstructionSet.Avx512 && filters == 6, Conv2dDirect.Applies(shape, path));
        Assert.Equal(path == InstructionSet.Avx512 && filters == 64, Conv2dImplicit.Applies(shape, path));
        const int rows = 3;
        var random = new Random(23);
        float[] x = RandomFloats(random, rows * shape.InputSize), w = RandomFloats(random, shape.WeightCount), b = RandomFloats(random, filters);
        // Outputs of NaN and exact zeros for the activations' edge cases: a NaN input, and all-zero filters with bias 0
        // (the sums start from +0, so no output is −0).
        x[0] = float.NaN;
        Array.Clear(w, 0, 2 * shape.PatchSize);
        b[0] = 0f;
        b[1] = -0f;
        var scratch = new float[shape.ScratchFloats(rows)];
        var z = new float[rows * shape.OutputSize];
        Conv2dKernels.Conv2dForward(x, w, b, shape, z, scratch, rows);
        Assert.Contains(z, float.IsNaN);
        Assert.Contains(z, value => value == 0f);
        Assert.Contains(z, value => value < 0f);
        foreach (Activation activation in Activations.Nonlinear)
        {
            var expected = new float[z.Length];
            ActivationFunctions.ActivationForward(activation, z, expected, ActivationFunctions.LeakyReLUSlope);
            var y = new float[z.Length + 1];
            y[^1] = 7f;
            Conv2dKernels.Conv2dForward(x, w, b, shape, y, scratch, rows, activation);
            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), y[..^1].Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(7f, y[^1]);
        }
    }

    [SkippableTheory]
    [InlineData(1, 28, 28, 5, Padding.Same)]  // LeNet's first layer
    [InlineData(2, 7, 9, 3, Padding.Valid)]   // an odd output height: the last row alone
    [InlineData(1, 6, 32, 5, Padding.Same)]   // the widest output row of one tile
    public void TheDirectPathsTwoRowTilesHaveTheBitsOfTheOneRowTiles(int channels, int height, int width, int kernel, Padding padding)
    {
        // Up to 6 filters go through two-row tiles, 8 through one-row tiles: the first filters' outputs (Z and ReLU(Z),
        // as inference and training store them) must not differ in a bit.
        Skip.IfNot(ComputeSettings.IsSupported(InstructionSet.Avx512), "This CPU does not run Avx512.");
        using var scope = ComputeSettings.Override(InstructionSet.Avx512, threads: 1);
        var random = new Random(29);
        const int rows = 3;
        var wide = Conv2dShape.Create(channels, height, width, 8, kernel, 1, padding);
        float[] x = RandomFloats(random, rows * wide.InputSize), w = RandomFloats(random, wide.WeightCount), b = RandomFloats(random, 8);
        foreach (int filters in new[] { 6, 5, 1 })
        {
            var narrow = wide with { Filters = filters };
            Assert.True(Conv2dDirect.Applies(narrow, InstructionSet.Avx512));
            (float[] z, float[] y) Run(Conv2dShape shape)
            {
                var z = new float[rows * shape.OutputSize];
                var y = new float[z.Length];
                Conv2dKernels.Conv2dForwardSaved(x, w, b, shape, z, y, new float[shape.ScratchFloats(rows)], rows, Activation.ReLU, 0f);
                return (z, y);
            }
            var (z8, y8) = Run(wide);
            var (zn, yn) = Run(narrow);
            for (int i = 0; i < rows; i++)
                for (int f = 0; f < filters; f++)
                {
                    int plane = narrow.OutputPixels;
                    Assert.Equal(z8.AsSpan((i * 8 + f) * plane, plane).ToArray(), zn.AsSpan((i * filters + f) * plane, plane).ToArray());
                    Assert.Equal(y8.AsSpan((i * 8 + f) * plane, plane).ToArray(), yn.AsSpan((i * filters + f) * plane, plane).ToArray());
                }
        }
    }

    [Fact]
    public void EveryOutputWidthAndEveryTailOfTheRowCopies()
    {
        var random = new Random(5);
        for (int width = 1; width <= 40; width++)
            foreach ((int kernel, int stride, Padding padding) in new[] { (3, 1, Padding.Same), (1, 1, Padding.Valid), (2, 2, Padding.Same), (5, 1, Padding.Same) })
                CheckAgainstReference(random, Conv2dShape.Create(2, 3, width, 3, kernel, stride, padding), rows: 2, skipInputGradient: false);
    }

    [Theory]
    [InlineData(28, 5, 1, Padding.Same, 28, 2, 2)]   // LeNet's first layer: (K − 1) / 2 each side
    [InlineData(28, 3, 1, Padding.Valid, 26, 0, 0)]
    [InlineData(13, 3, 1, Padding.Valid, 11, 0, 0)]
    [InlineData(13, 3, 2, Padding.Valid, 6, 0, 0)]  // the last input row is not read
    [InlineData(13, 3, 2, Padding.Same, 7, 1, 1)]   // ceil(13 / 2); total (7 − 1)·2 + 3 − 13 = 2
    [InlineData(14, 3, 2, Padding.Same, 7, 0, 1)]   // total 1: the odd one after, as TensorFlow
    [InlineData(5, 4, 1, Padding.Same, 5, 1, 2)]    // even kernel: total 3
    [InlineData(1, 5, 1, Padding.Same, 1, 2, 2)]    // kernel larger than the input
    [InlineData(7, 1, 3, Padding.Same, 3, 0, 0)]
    [InlineData(5, 5, 1, Padding.Valid, 1, 0, 0)]
    public void PaddingFollowsTheTensorFlowRule(int input, int kernel, int stride, Padding padding, int output, int before, int after)
    {
        var shape = Conv2dShape.Create(1, input, input + 1, 1, kernel, stride, padding);
        Assert.Equal((output, before, after), (shape.OutputHeight, shape.PadTop, shape.PadBottom));
        Assert.Equal(Conv2dShape.OutputExtent(input + 1, kernel, stride, padding, out int left), shape.OutputWidth);
        Assert.Equal(left, shape.PadLeft);
    }

    [Fact]
    public void ShapesThatDoNotFitAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Conv2dShape.Create(1, 4, 9, 1, 5, 1, Padding.Valid));
        Assert.Throws<ArgumentOutOfRangeException>(() => Conv2dShape.Create(0, 4, 9, 1, 3, 1, Padding.Valid));
        Assert.Throws<ArgumentOutOfRangeException>(() => Conv2dShape.Create(1, 4, 9, 1, 3, 0, Padding.Same));
        // A hand-made shape whose padding reaches past the kernel.
        var bad = Conv2dShape.Create(1, 5, 5, 1, 3, 1, Padding.Same) with { PadTop = 3 };
        Assert.Throws<ArgumentOutOfRangeException>(() => Conv2dKernels.Conv2dForward(new float[25], new float[9], new float[1], bad, new float[25], new float[bad.ScratchFloats(1)], 1));
    }

    [Theory]
    [InlineData(2, 5, 7, 3, 3, 2, Padding.Same)]
    [InlineData(3, 7, 6, 2, 2, 1, Padding.Same)]
    [InlineData(1, 6, 5, 2, 5, 1, Padding.Valid)]
    [InlineData(5, 4, 4, 3, 1, 2, Padding.Valid)]
    [InlineData(4, 9, 8, 2, 3, 2, Padding.Valid)]
    [InlineData(2, 7, 6, 16, 5, 1, Padding.Valid)]
    public void TheReferenceGradientMatchesCentralDifferences(int channels, int height, int width, int filters, int kernel, int stride, Padding padding)
    {
        // L = Σ R ⊙ Y(X, W, b) for a fixed random R, so dL/dY = R.
        var shape = Conv2dShape.Create(channels, height, width, filters, kernel, stride, padding);
        const int rows = 2;
        var random = new Random(23);
        double[] x = ToDouble(RandomFloats(random, rows * shape.InputSize)), w = ToDouble(RandomFloats(random, shape.WeightCount));
        double[] b = ToDouble(RandomFloats(random, filters)), r = ToDouble(RandomFloats(random, rows * shape.OutputSize));
        double Loss() => Conv2dForward(x, w, b, shape, rows).Output.Select((y, i) => y * r[i]).Sum();
        var (dw, db, dx, _, _, _) = Conv2dBackward(r, x, w, shape, rows);
        CheckCentral(w, dw, Loss, "dW");
        CheckCentral(b, db, Loss, "db");
        CheckCentral(x, dx, Loss, "dX");
    }

    internal static void CheckCentral(double[] parameters, double[] analytic, Func<double> loss, string what)
    {
        const double h = 1e-6;
        for (int p = 0; p < parameters.Length; p++)
        {
            double saved = parameters[p];
            parameters[p] = saved + h;
            double plus = loss();
            parameters[p] = saved - h;
            double minus = loss();
            parameters[p] = saved;
            double numeric = (plus - minus) / (2 * h);
            Assert.True(Math.Abs(analytic[p] - numeric) <= 1e-6 * Math.Max(1, Math.Abs(numeric)),
                $"{what}[{p}]: analytic {analytic[p]:R}, central difference {numeric:R}");
        }
    }

    [SkippableTheory]
    [InlineData(32, 13, 64, 3, Padding.Valid, InstructionSet.Avx512)] // the Keras net's second layer: the implicit path
    [InlineData(32, 13, 64, 3, Padding.Valid, InstructionSet.Avx2)]   // the same through im2col + GEMM
    [InlineData(1, 28, 6, 5, Padding.Same, InstructionSet.Avx512)]    // LeNet's first layer: the direct path
    [InlineData(6, 14, 16, 5, Padding.Valid, InstructionSet.Avx512)]  // LeNet's second layer: the row tiles and the 5x5 weight gradient
    public void TheForwardBitsDoNotDependOnTheGroupingOrTheThreadCount(int channels, int size, int filters, int kernel, Padding padding, InstructionSet path)
    {
        Skip.IfNot(ComputeSettings.IsSupported(path), $"This CPU does not run {path}.");
        // Direct: the Winograd route's own independence of grouping and threads is tested in Conv2dWinogradTests.
        using var pathScope = ComputeSettings.Override(path, convolution: ConvolutionAlgorithm.Direct);
        // 9 images: groups of 4, 4, 1 for the first shape, whose GEMMs (64 x 484 x 288) are large enough to be split
        // between two threads when two are allowed.
        var shape = Conv2dShape.Create(channels, size, size, filters, kernel, 1, padding);
        const int rows = 9;
        Assert.Equal(Conv2dDirect.Applies(shape, InstructionSet.Avx512), channels == 1);
        var random = new Random(3);
        float[] x = RandomFloats(random, rows * shape.InputSize), w = RandomFloats(random, shape.WeightCount), b = RandomFloats(random, filters);
        float[] dy = RandomFloats(random, rows * shape.OutputSize);
        float[] Forward(int threads, int lane)
        {
            using var scope = ComputeSettings.Override(threads: threads);
            var y = new float[rows * shape.OutputSize];
            var scratch = new float[shape.ScratchFloats(lane)];
            for (int first = 0; first < rows; first += lane)
            {
                int count = Math.Min(lane, rows - first);
                Conv2dKernels.Conv2dForward(x.AsSpan(first * shape.InputSize), w, b, shape, y.AsSpan(first * shape.OutputSize), scratch, count);
            }
            return y;
        }
        (float[] dw, float[] db, float[] dx) Backward(int threads)
        {
            using var scope = ComputeSettings.Override(threads: threads);
            float[] dw = new float[shape.WeightCount], db = new float[filters], dx = new float[rows * shape.InputSize];
            Conv2dKernels.Conv2dBackward(dy, x, w, shape, dw, db, dx, new float[shape.ScratchFloats(rows)], rows);
            return (dw, db, dx);
        }
        float[] whole = Forward(1, rows);
        Assert.Equal(whole, Forward(1, 1));
        Assert.Equal(whole, Forward(1, 2));
        Assert.Equal(whole, Forward(2, rows));
        var one = Backward(1);
        var two = Backward(2);
        Assert.Equal(one.dw, two.dw);
        Assert.Equal(one.db, two.db);
        Assert.Equal(one.dx, two.dx);
    }

    [Fact]
    public void TheBiasSumHasOneOrderForEveryLength()
    {
        var random = new Random(8);
        for (int length = 0; length <= 40; length++)
        {
            float[] values = RandomFloats(random, length);
            float sum = Conv2dKernels.PlaneSum(values);
            // Eight lane sums over whole blocks of 8, combined pairwise, then the tail in order.
            float[] lanes = new float[8];
            int whole = length / 8 * 8;
            for (int j = 0; j < whole; j++) lanes[j % 8] += values[j];
            float expected = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
            for (int j = whole; j < length; j++) expected += values[j];
            Assert.Equal(expected, sum);
            Assert.True(Math.Abs(sum - values.Sum(v => (double)v)) <= 1e-5 * Math.Max(1, values.Sum(v => Math.Abs((double)v))));
        }
    }

    [Fact]
    public void InputsAroundTheWidestRegisterScatterMatchTheReference()
    {
        // Widths up to Im2Col.MaxRegisterWidth build dX rows in registers with precomputed lane masks; wider ones take
        // the general path. Both sides of the limit, with padding on both sides of the rows.
        var random = new Random(12);
        for (int width = Im2Col.MaxRegisterWidth - 1; width <= Im2Col.MaxRegisterWidth + 2; width++)
            foreach (Padding padding in new[] { Padding.Valid, Padding.Same })
                CheckAgainstReference(random, Conv2dShape.Create(2, 4, width, 3, 3, 1, padding), 2, skipInputGradient: false);
    }

    [SkippableFact]
    public unsafe void TheRegisterScatterHasTheBitsOfTheScalarScatterForEveryChannelCount()
    {
        // The register path takes the channels two at a time (an odd last one alone): 1..5 channels, kernels 1..5, both
        // paddings, 1..2 images, against the scalar path's sums from +0 in increasing (ky, kx).
        Skip.IfNot(ComputeSettings.IsSupported(InstructionSet.Avx512), "This CPU does not run Avx512.");
        var random = new Random(47);
        for (int channels = 1; channels <= 5; channels++)
            for (int kernel = 1; kernel <= 5; kernel++)
                foreach (Padding padding in Enum.GetValues<Padding>())
                {
                    int images = 1 + (channels + kernel) % 2;
                    var shape = Conv2dShape.Create(channels, 7, 18, 3, kernel, 1, padding);
                    float[] columns = RandomFloats(random, 2 * Im2Col.Slack + shape.PatchSize * images * shape.OutputPixels);
                    float[] register = Enumerable.Repeat(float.NaN, images * shape.InputSize + 1).ToArray(), scalar = (float[])register.Clone();
                    fixed (float* col = columns, r = register, q = scalar)
                    {
                        Im2Col.Scatter(col + Im2Col.Slack, images, shape, r, 16);
                        Im2Col.Scatter(col + Im2Col.Slack, images, shape, q, 0);
                    }
                    Assert.Equal(scalar.Select(BitConverter.SingleToInt32Bits), register.Select(BitConverter.SingleToInt32Bits));
                    Assert.True(float.IsNaN(register[^1]), $"{shape}: wrote past dX");
                }
    }

    [Fact]
    public void ThePlaneSumsFourOrTwoAtATimeHaveTheBitsOfOneAtATime()
    {
        var random = new Random(9);
        for (int pixels = 0; pixels <= 40; pixels++)
            for (int count = 0; count <= 9; count++)
            {
                float[] planes = RandomFloats(random, count * pixels + 3), start = RandomFloats(random, count);
                if (count * pixels > 2) planes[count * pixels / 2] = float.NaN;
                float[] sums = (float[])start.Clone();
                Conv2dKernels.AddPlaneSums(planes, pixels, sums);
                for (int f = 0; f < count; f++)
                    Assert.Equal(start[f] + Conv2dKernels.PlaneSum(planes.AsSpan(f * pixels, pixels)), sums[f]);
            }
        Assert.Throws<ArgumentException>(() => Conv2dKernels.AddPlaneSums(new float[7], 4, new float[2]));
    }

    [Fact]
    public void SpecialValuesReachOnlyTheOutputsThatReadThem()
    {
        // 1 channel 6x6, 3x3 kernel, same: X[2, 3] = NaN reaches output rows 1..3, columns 2..4 only; +Inf in a weight
        // reaches every output of that filter whose window holds a nonzero value there. Stale NaN in the output,
        // scratch and dX is overwritten.
        var shape = Conv2dShape.Create(1, 6, 6, 2, 3, 1, Padding.Same);
        float[] x = Enumerable.Repeat(0.5f, 36).ToArray();
        x[2 * 6 + 3] = float.NaN;
        float[] w = Enumerable.Repeat(0.25f, 18).ToArray(), b = [0.125f, -0.125f];
        float[] y = Enumerable.Repeat(float.NaN, 72).ToArray(), scratch = Enumerable.Repeat(float.NaN, shape.ScratchFloats(1)).ToArray();
        Conv2dKernels.Conv2dForward(x, w, b, shape, y, scratch, 1);
        for (int f = 0; f < 2; f++)
            for (int oy = 0; oy < 6; oy++)
                for (int ox = 0; ox < 6; ox++)
                {
                    bool reads = Math.Abs(oy - 2) <= 1 && Math.Abs(ox - 3) <= 1;
                    float value = y[(f * 6 + oy) * 6 + ox];
                    Assert.True(reads == float.IsNaN(value), $"filter {f} ({oy}, {ox}) = {value}");
                }

        float[] clean = Enumerable.Repeat(0.5f, 36).ToArray();
        w[9 + 4] = float.PositiveInfinity; // filter 1, centre tap
        Conv2dKernels.Conv2dForward(clean, w, b, shape, y, scratch, 1);
        Assert.All(y.AsSpan(0, 36).ToArray(), v => Assert.True(float.IsFinite(v)));
        Assert.All(y.AsSpan(36, 36).ToArray(), v => Assert.True(float.IsPositiveInfinity(v)));

        float[] dy = Enumerable.Repeat(1f, 72).ToArray(), dw = Enumerable.Repeat(float.NaN, 18).ToArray(), db = [float.NaN, float.NaN];
        float[] dx = Enumerable.Repeat(float.NaN, 36).ToArray();
        w[9 + 4] = 0.25f;
        Conv2dKernels.Conv2dBackward(dy, clean, w, shape, dw, db, dx, scratch, 1);
        Assert.All(dw.Concat(db).Concat(dx), v => Assert.True(float.IsFinite(v)));
        Assert.Equal(36f, db[0]);
        Assert.Equal(0.5f * 36, dw[4]);            // the centre tap reads every input pixel once
        Assert.Equal(0.25f * 2 * 9, dx[2 * 6 + 2]); // an interior pixel is read by 9 windows of 2 filters
    }

    [Fact]
    public void ZeroRowsClearTheGradientsAndBadSizesThrow()
    {
        var shape = Conv2dShape.Create(2, 5, 5, 3, 3, 1, Padding.Valid);
        float[] dw = Enumerable.Repeat(float.NaN, shape.WeightCount).ToArray(), db = [1, 2, 3];
        Conv2dKernels.Conv2dBackward([], [], new float[shape.WeightCount], shape, dw, db, [], new float[shape.ScratchFloats(0)], 0);
        Assert.All(dw.Concat(db), v => Assert.Equal(0f, v));
        Conv2dKernels.Conv2dForward([], new float[shape.WeightCount], new float[3], shape, [], new float[shape.ScratchFloats(0)], 0);

        float[] x = new float[2 * shape.InputSize], w = new float[shape.WeightCount], b = new float[3], y = new float[2 * shape.OutputSize];
        float[] scratch = new float[shape.ScratchFloats(2)];
        Assert.Throws<ArgumentException>(() => Conv2dKernels.Conv2dForward(x.AsSpan(1), w, b, shape, y, scratch, 2));
        Assert.Throws<ArgumentException>(() => Conv2dKernels.Conv2dForward(x, w.AsSpan(1), b, shape, y, scratch, 2));
        Assert.Throws<ArgumentException>(() => Conv2dKernels.Conv2dForward(x, w, b.AsSpan(1), shape, y, scratch, 2));
        Assert.Throws<ArgumentException>(() => Conv2dKernels.Conv2dForward(x, w, b, shape, y.AsSpan(1), scratch, 2));
        Assert.Throws<ArgumentException>(() => Conv2dKernels.Conv2dForward(x, w, b, shape, y, scratch.AsSpan(1), 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Conv2dKernels.Conv2dForward(x, w, b, shape, y, scratch, -1));
        Assert.Throws<ArgumentException>(() => Conv2dKernels.Conv2dBackward(y, x, w, shape, w.AsSpan(1).ToArray(), b, x, scratch, 2));
        Assert.Throws<ArgumentException>(() => Conv2dKernels.Conv2dBackward(y, x, w, shape, new float[w.Length], b, x.AsSpan(1).ToArray(), scratch, 2));
    }

    /// <summary>Forward and backward of one shape against the reference; dX skipped (empty) when asked.</summary>
    internal static void CheckAgainstReference(Random random, Conv2dShape shape, int rows, bool skipInputGradient)
    {
        string name = $"{shape} x{rows}";
        float[] x = RandomFloats(random, rows * shape.InputSize), w = RandomFloats(random, shape.WeightCount);
        float[] b = RandomFloats(random, shape.Filters), dy = RandomFloats(random, rows * shape.OutputSize);
        // Stale values everywhere the kernels write, so a missed element shows.
        float[] scratch = Enumerable.Repeat(float.NaN, shape.ScratchFloats(rows)).ToArray();
        float[] y = Enumerable.Repeat(float.NaN, rows * shape.OutputSize + 1).ToArray();
        Conv2dKernels.Conv2dForward(x, w, b, shape, y, scratch, rows);
        var (expected, magnitude) = Conv2dForward(ToDouble(x), ToDouble(w), ToDouble(b), shape, rows);
        AssertClose(y, expected, magnitude, $"Y {name}");
        Assert.True(float.IsNaN(y[^1]), $"Y {name}: wrote past the lane");

        float[] dw = Enumerable.Repeat(float.NaN, shape.WeightCount).ToArray(), db = Enumerable.Repeat(float.NaN, shape.Filters).ToArray();
        float[] dx = skipInputGradient ? [] : Enumerable.Repeat(float.NaN, rows * shape.InputSize).ToArray();
        Conv2dKernels.Conv2dBackward(dy, x, w, shape, dw, db, dx, scratch, rows);
        var reference = Conv2dBackward(ToDouble(dy), ToDouble(x), ToDouble(w), shape, rows);
        AssertClose(dw, reference.WeightGradient, reference.WeightScale, $"dW {name}");
        AssertClose(db, reference.BiasGradient, reference.BiasScale, $"db {name}");
        if (!skipInputGradient) AssertClose(dx, reference.InputGradient, reference.InputScale, $"dX {name}");
    }
}
