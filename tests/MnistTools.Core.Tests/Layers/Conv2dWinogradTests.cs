using MnistTools.Layers;
using MnistTools.Numerics;
using Xunit.Abstractions;
using static MnistTools.Tests.Layers.ReferenceLayers;

namespace MnistTools.Tests.Layers;

/// <summary>
/// <see cref="Conv2dWinograd"/> (forward and weight gradient) through <see cref="Conv2dKernels"/> with the setting on Winograd, against the double
/// reference and the production Direct path, on many shapes: channels and filters 1..20 (non-multiples of 8 and 16),
/// inputs 3..30 (odd, even, partial tiles at the right and bottom), valid and same padding, 0..5 images, fixed seeds.
/// Bound: |winograd − reference| ≤ 2e-6 · max(1, Σ|w·x|) per output (Σ|w·x| the reference's magnitude sum over the
/// C·9 terms). A direct float sum of those terms errs by at most about (C·9)·u·Σ|terms| (u = 6e-8) and typically
/// √(C·9)·u·Σ; F(2x2, 3x3) adds the transforms' additions (4 in V, 4 in U with halvings, 9 in Y), each term's
/// rounding scaled by at most the transforms' row sums (2, 1.5, 3): a few more u·Σ per term. With C·9 ≤ 180 the
/// typical error is below 1e-6·Σ; measured here: forward below 1.5e-7·Σ (the direct path 2.2e-7·Σ), weight gradient
/// (Σ over all tiles and images) below 4.5e-7·Σ; 2e-6 leaves a margin while a wrong tap, edge or sign
/// (errors of the order of Σ/C) still fails by orders of magnitude.
/// </summary>
public class Conv2dWinogradTests(ITestOutputHelper log)
{
    private const double Bound = 2e-6;

    private static readonly (int Height, int Width)[] s_sizes =
        [(3, 3), (3, 5), (4, 4), (5, 7), (6, 9), (7, 6), (8, 8), (11, 13), (13, 13), (16, 17), (26, 26), (29, 30)];

    private static readonly int[] s_channels = [8, 9, 12, 16, 17, 20];
    private static readonly int[] s_filters = [1, 3, 8, 13, 16, 20];

    private static IEnumerable<(Conv2dShape Shape, int Rows)> Shapes()
    {
        int index = 0;
        foreach ((int height, int width) in s_sizes)
            foreach (Padding padding in Enum.GetValues<Padding>())
                for (int k = 0; k < 3; k++, index++)
                {
                    int channels = s_channels[(index * 5 + k) % s_channels.Length], filters = s_filters[(index * 7 + 2 * k) % s_filters.Length];
                    yield return (Conv2dShape.Create(channels, height, width, filters, 3, 1, padding), index % 6);
                }
    }

    public static TheoryData<InstructionSet> InstructionSets() => new(Enum.GetValues<InstructionSet>());

    private static float[] Forward(Conv2dShape shape, float[] x, float[] w, float[] b, int rows, ConvolutionAlgorithm algorithm, Activation? activation = null)
    {
        using var scope = ComputeSettings.Override(threads: 1, convolution: algorithm);
        var y = new float[rows * shape.OutputSize];
        Conv2dKernels.Conv2dForward(x, w, b, shape, y, new float[shape.ScratchFloats(rows)], rows, activation);
        return y;
    }

    [SkippableTheory]
    [MemberData(nameof(InstructionSets))]
    public void TheForwardMatchesTheReferenceAndTheDirectPath(InstructionSet path)
    {
        Skip.IfNot(ComputeSettings.IsSupported(path), $"This CPU does not run {path}.");
        using var set = ComputeSettings.Override(path);
        var random = new Random(23 + (int)path);
        double worst = 0, worstDirect = 0;
        int cases = 0;
        foreach ((Conv2dShape shape, int rows) in Shapes())
        {
            using (ComputeSettings.Override(convolution: ConvolutionAlgorithm.Winograd))
                Assert.True(Conv2dWinograd.Applies(shape), $"{shape} is not on the Winograd path");
            float[] x = RandomFloats(random, rows * shape.InputSize), w = RandomFloats(random, shape.WeightCount), b = RandomFloats(random, shape.Filters);
            float[] winograd = Forward(shape, x, w, b, rows, ConvolutionAlgorithm.Winograd);
            float[] direct = Forward(shape, x, w, b, rows, ConvolutionAlgorithm.Direct);
            (double[] expected, double[] magnitude) = Conv2dForward(ToDouble(x), ToDouble(w), ToDouble(b), shape, rows);
            for (int i = 0; i < expected.Length; i++)
            {
                double scale = Math.Max(1, magnitude[i]), error = Math.Abs(winograd[i] - expected[i]) / scale;
                worst = Math.Max(worst, error);
                worstDirect = Math.Max(worstDirect, Math.Abs(direct[i] - expected[i]) / scale);
                Assert.True(error <= Bound, $"{shape}, {rows} images, output {i}: {winograd[i]:R}, reference {expected[i]:R}, direct {direct[i]:R}");
            }
            cases++;
        }
        log.WriteLine($"{cases} shapes; largest error / max(1, Σ|w·x|): Winograd {worst:G3}, Direct {worstDirect:G3}");
        Assert.True(cases >= 70, $"only {cases} cases");
    }

    [SkippableTheory]
    [MemberData(nameof(InstructionSets))]
    public void TheGradientsMatchTheReferenceAndDbIsTheDirectPaths(InstructionSet path)
    {
        Skip.IfNot(ComputeSettings.IsSupported(path), $"This CPU does not run {path}.");
        using var set = ComputeSettings.Override(path);
        var random = new Random(29 + (int)path);
        double worstWeights = 0, worstInputs = 0;
        int cases = 0;
        foreach ((Conv2dShape forward, int rows) in Shapes())
        {
            // Channels 1..20: the weight gradient through Winograd from 8 on, direct below.
            var shape = Conv2dShape.Create(forward.Filters, forward.Height, forward.Width, forward.Channels, 3, 1,
                forward.PadTop == 0 ? Padding.Valid : Padding.Same);
            float[] dy = RandomFloats(random, rows * shape.OutputSize), x = RandomFloats(random, rows * shape.InputSize), w = RandomFloats(random, shape.WeightCount);
            var results = new Dictionary<ConvolutionAlgorithm, (float[] Dw, float[] Db, float[] Dx)>();
            foreach (ConvolutionAlgorithm algorithm in Enum.GetValues<ConvolutionAlgorithm>())
            {
                using var scope = ComputeSettings.Override(threads: 1, convolution: algorithm);
                float[] dw = new float[shape.WeightCount], db = new float[shape.Filters], dx = new float[rows * shape.InputSize];
                dx.AsSpan().Fill(float.NaN);
                Conv2dKernels.Conv2dBackward(dy, x, w, shape, dw, db, dx, new float[shape.ScratchFloats(rows)], rows);
                results[algorithm] = (dw, db, dx);
            }
            (float[] dwW, float[] dbW, float[] dxW) = results[ConvolutionAlgorithm.Winograd];
            (float[] dwD, float[] dbD, float[] dxD) = results[ConvolutionAlgorithm.Direct];
            Assert.True(dbW.AsSpan().SequenceEqual(dbD), $"{shape}: db differs from the direct path's");
            var reference = Conv2dBackward(ToDouble(dy), ToDouble(x), ToDouble(w), shape, rows);
            using (ComputeSettings.Override(convolution: ConvolutionAlgorithm.Winograd))
                if (!Conv2dWinograd.InputGradientApplies(shape))
                    Assert.True(dxW.AsSpan().SequenceEqual(dxD), $"{shape}: dX differs from the direct path's");
            for (int i = 0; i < reference.InputGradient.Length; i++)
            {
                double error = Math.Abs(dxW[i] - reference.InputGradient[i]) / Math.Max(1, reference.InputScale[i]);
                worstInputs = Math.Max(worstInputs, error);
                Assert.True(error <= Bound, $"{shape}, {rows} images, dX[{i}]: {dxW[i]:R}, reference {reference.InputGradient[i]:R}");
            }
            if (shape.Channels < Conv2dWinograd.MinChannels) Assert.True(dwW.AsSpan().SequenceEqual(dwD), $"{shape}: dW left the direct path");
            for (int i = 0; i < reference.WeightGradient.Length; i++)
            {
                double error = Math.Abs(dwW[i] - reference.WeightGradient[i]) / Math.Max(1, reference.WeightScale[i]);
                worstWeights = Math.Max(worstWeights, error);
                Assert.True(error <= Bound, $"{shape}, {rows} images, dW[{i}]: {dwW[i]:R}, reference {reference.WeightGradient[i]:R}");
            }
            cases++;
        }
        log.WriteLine($"{cases} shapes; largest error / max(1, Σ|terms|): dW {worstWeights:G3}, dX {worstInputs:G3}");
    }

    /// <summary>Shapes of real layers and beyond the sweep above (forward, dW and dX), for the AVX-512 register tiles
    /// (<see cref="Conv2dWinogradTiled"/>): filters 16..128 in every mix of 64-, 32- and 16-filter tiles (F not a multiple
    /// of 16 padded with zero filters), channels 8..70 (partial 16-channel vectors), planes wider than 16 outputs (two
    /// transposed blocks per row), single tiles, 0..5 images.</summary>
    private static readonly (int Channels, int Height, int Width, int Filters, Padding Padding, int Rows)[] s_wideShapes =
    [
        (32, 13, 13, 64, Padding.Valid, 3),   // the Keras net's second layer
        (32, 14, 14, 64, Padding.Same, 2),
        (33, 9, 11, 48, Padding.Valid, 2),
        (47, 8, 7, 80, Padding.Same, 1),
        (70, 6, 6, 70, Padding.Valid, 2),
        (64, 10, 10, 64, Padding.Valid, 1),   // the bnnet's fourth
        (8, 26, 26, 32, Padding.Valid, 1),    // the bnnet's second, fewer channels
        (15, 17, 19, 96, Padding.Same, 2),
        (20, 5, 5, 128, Padding.Same, 5),
        (40, 3, 3, 17, Padding.Valid, 4),
        (24, 12, 12, 33, Padding.Same, 0),
        (16, 30, 29, 16, Padding.Valid, 1),
    ];

    [SkippableTheory]
    [MemberData(nameof(InstructionSets))]
    public void WideShapesMatchTheReferenceForwardAndWeightGradient(InstructionSet path)
    {
        Skip.IfNot(ComputeSettings.IsSupported(path), $"This CPU does not run {path}.");
        using var set = ComputeSettings.Override(path);
        Assert.Equal(path == InstructionSet.Avx512, Conv2dWinogradTiled.Applies(path));
        var random = new Random(47 + (int)path);
        double worst = 0, worstWeights = 0, worstInputs = 0;
        foreach ((int channels, int height, int width, int filters, Padding padding, int rows) in s_wideShapes)
        {
            var shape = Conv2dShape.Create(channels, height, width, filters, 3, 1, padding);
            float[] x = RandomFloats(random, rows * shape.InputSize), w = RandomFloats(random, shape.WeightCount), b = RandomFloats(random, shape.Filters);
            float[] y = Forward(shape, x, w, b, rows, ConvolutionAlgorithm.Winograd);
            (double[] expected, double[] magnitude) = Conv2dForward(ToDouble(x), ToDouble(w), ToDouble(b), shape, rows);
            for (int i = 0; i < expected.Length; i++)
            {
                double error = Math.Abs(y[i] - expected[i]) / Math.Max(1, magnitude[i]);
                worst = Math.Max(worst, error);
                Assert.True(error <= Bound, $"{shape}, {rows} images, output {i}: {y[i]:R}, reference {expected[i]:R}");
            }

            float[] dy = RandomFloats(random, rows * shape.OutputSize), dw = new float[shape.WeightCount], db = new float[shape.Filters];
            float[] dx = new float[rows * shape.InputSize];
            dw.AsSpan().Fill(float.NaN);
            dx.AsSpan().Fill(float.NaN);
            using (ComputeSettings.Override(threads: 1, convolution: ConvolutionAlgorithm.Winograd))
                Conv2dKernels.Conv2dBackward(dy, x, w, shape, dw, db, dx, new float[shape.ScratchFloats(rows)], rows);
            var reference = Conv2dBackward(ToDouble(dy), ToDouble(x), ToDouble(w), shape, rows);
            for (int i = 0; i < reference.InputGradient.Length; i++)
            {
                double error = Math.Abs(dx[i] - reference.InputGradient[i]) / Math.Max(1, reference.InputScale[i]);
                worstInputs = Math.Max(worstInputs, error);
                Assert.True(error <= Bound, $"{shape}, {rows} images, dX[{i}]: {dx[i]:R}, reference {reference.InputGradient[i]:R}");
            }
            for (int i = 0; i < reference.WeightGradient.Length; i++)
            {
                double error = Math.Abs(dw[i] - reference.WeightGradient[i]) / Math.Max(1, reference.WeightScale[i]);
                worstWeights = Math.Max(worstWeights, error);
                Assert.True(error <= Bound, $"{shape}, {rows} images, dW[{i}]: {dw[i]:R}, reference {reference.WeightGradient[i]:R}");
            }
        }
        log.WriteLine($"{s_wideShapes.Length} shapes; largest error / max(1, Σ|terms|): forward {worst:G3}, dW {worstWeights:G3}, dX {worstInputs:G3}");
    }

    [Theory]
    [InlineData(20, 9, 9, 40, Padding.Same)]
    [InlineData(32, 13, 13, 64, Padding.Valid)]
    public void TheResultsDoNotDependOnWhatTheScratchHeld(int channels, int height, int width, int filters, Padding padding)
    {
        // Scratch full of NaN, then used for other data first: every value read must have been written by this call.
        var random = new Random(53);
        var shape = Conv2dShape.Create(channels, height, width, filters, 3, 1, padding);
        const int rows = 3;
        float[] x = RandomFloats(random, rows * shape.InputSize), dy = RandomFloats(random, rows * shape.OutputSize);
        float[] w = RandomFloats(random, shape.WeightCount), b = RandomFloats(random, shape.Filters), other = RandomFloats(random, x.Length);
        using var scope = ComputeSettings.Override(threads: 1, convolution: ConvolutionAlgorithm.Winograd);
        float[] clean = new float[shape.ScratchFloats(rows)], used = new float[clean.Length];
        used.AsSpan().Fill(float.NaN);
        (float[] Y, float[] Dw, float[] Dx) Run(float[] input, float[] scratch)
        {
            float[] y = new float[rows * shape.OutputSize], dw = new float[shape.WeightCount], db = new float[shape.Filters], dx = new float[input.Length];
            Conv2dKernels.Conv2dForward(input, w, b, shape, y, scratch, rows, Activation.ReLU);
            Conv2dKernels.Conv2dBackward(dy, input, w, shape, dw, db, dx, scratch, rows);
            return (y, dw, dx);
        }
        var fresh = Run(x, clean);
        Run(other, used);
        var reused = Run(x, used);
        Assert.True(reused.Y.AsSpan().SequenceEqual(fresh.Y), "the forward depends on what the scratch held");
        Assert.True(reused.Dw.AsSpan().SequenceEqual(fresh.Dw), "dW depends on what the scratch held");
        Assert.True(reused.Dx.AsSpan().SequenceEqual(fresh.Dx), "dX depends on what the scratch held");
    }

    [Fact]
    public void ShallowInputsAndOtherKernelsStayOnTheDirectPathsBits()
    {
        var random = new Random(31);
        foreach (var shape in new[]
                 {
                     Conv2dShape.Create(1, 28, 28, 32, 3, 1, Padding.Valid),  // the Keras net's first layer
                     Conv2dShape.Create(7, 9, 9, 16, 3, 1, Padding.Same),     // one channel short
                     Conv2dShape.Create(8, 9, 9, 16, 5, 1, Padding.Same),     // 5x5
                     Conv2dShape.Create(8, 9, 9, 16, 3, 2, Padding.Valid),    // stride 2
                 })
        {
            using (ComputeSettings.Override(convolution: ConvolutionAlgorithm.Winograd))
                Assert.False(Conv2dWinograd.Applies(shape), $"{shape} should stay direct");
            float[] x = RandomFloats(random, 3 * shape.InputSize), w = RandomFloats(random, shape.WeightCount), b = RandomFloats(random, shape.Filters);
            Assert.True(Forward(shape, x, w, b, 3, ConvolutionAlgorithm.Winograd).AsSpan().SequenceEqual(Forward(shape, x, w, b, 3, ConvolutionAlgorithm.Direct)),
                $"{shape}: the forward's bits changed");
        }
    }

    [Fact]
    public void AnImagesOutputDependsOnlyOnThatImage()
    {
        var random = new Random(37);
        // 5x5 tiles per image: the lane of 5 images is one group of 125 tiles, against 25 when each image goes alone.
        var shape = Conv2dShape.Create(16, 12, 12, 24, 3, 1, Padding.Valid);
        const int rows = 5;
        float[] x = RandomFloats(random, rows * shape.InputSize), w = RandomFloats(random, shape.WeightCount), b = RandomFloats(random, shape.Filters);
        float[] lane = Forward(shape, x, w, b, rows, ConvolutionAlgorithm.Winograd);
        for (int i = 0; i < rows; i++)
        {
            float[] alone = Forward(shape, x.AsSpan(i * shape.InputSize, shape.InputSize).ToArray(), w, b, 1, ConvolutionAlgorithm.Winograd);
            Assert.True(alone.AsSpan().SequenceEqual(lane.AsSpan(i * shape.OutputSize, shape.OutputSize)), $"image {i}");
        }
        Assert.False(lane.AsSpan().SequenceEqual(Forward(shape, x, w, b, rows, ConvolutionAlgorithm.Direct)), "Winograd gave the direct path's bits: did it run?");
    }

    [Theory]
    [InlineData(12, 11, 10, 19, Padding.Valid)]
    [InlineData(12, 11, 10, 19, Padding.Same)]
    [InlineData(32, 13, 13, 64, Padding.Valid)]
    [InlineData(9, 20, 21, 48, Padding.Same)]
    public void TheActivationInTheForwardHasTheBitsOfTheSeparatePass(int channels, int height, int width, int filters, Padding padding)
    {
        var random = new Random(41);
        var shape = Conv2dShape.Create(channels, height, width, filters, 3, 1, padding);
        const int rows = 3;
        float[] x = RandomFloats(random, rows * shape.InputSize), w = RandomFloats(random, shape.WeightCount), b = RandomFloats(random, shape.Filters);
        using var scope = ComputeSettings.Override(threads: 1, convolution: ConvolutionAlgorithm.Winograd);
        float[] z = Forward(shape, x, w, b, rows, ConvolutionAlgorithm.Winograd);
        foreach (Activation activation in new[] { Activation.ReLU, Activation.LeakyReLU, Activation.Tanh })
        {
            float[] expected = new float[z.Length];
            ActivationFunctions.ActivationForward(activation, z, expected, ActivationFunctions.LeakyReLUSlope);
            Assert.True(Forward(shape, x, w, b, rows, ConvolutionAlgorithm.Winograd, activation).AsSpan().SequenceEqual(expected), $"inference {activation}");
            float[] saved = new float[z.Length], activated = new float[z.Length];
            Conv2dKernels.Conv2dForwardSaved(x, w, b, shape, saved, activated, new float[shape.ScratchFloats(rows)], rows, activation, ActivationFunctions.LeakyReLUSlope);
            Assert.True(saved.AsSpan().SequenceEqual(z), $"training's Z, {activation}");
            Assert.True(activated.AsSpan().SequenceEqual(expected), $"training's f(Z), {activation}");
        }
        Assert.True(Conv2dKernels.StoresBoth(shape, Activation.ReLU), "ReLU is stored from the output transform");
    }

    [Fact]
    public void TheFusedActivationBackwardHasTheBitsOfTheSeparatePass()
    {
        var random = new Random(43);
        var shape = Conv2dShape.Create(9, 12, 9, 10, 3, 1, Padding.Same);
        const int rows = 4;
        float[] x = RandomFloats(random, rows * shape.InputSize), w = RandomFloats(random, shape.WeightCount);
        float[] z = RandomFloats(random, rows * shape.OutputSize), dy = RandomFloats(random, z.Length), y = new float[z.Length];
        using var scope = ComputeSettings.Override(threads: 1, convolution: ConvolutionAlgorithm.Winograd);
        ActivationFunctions.ActivationForward(Activation.Tanh, z, y, 0f);
        float[] fused = (float[])dy.Clone(), dwF = new float[shape.WeightCount], dbF = new float[shape.Filters], dxF = new float[rows * shape.InputSize];
        Conv2dKernels.Conv2dBackward(fused, z, y, Activation.Tanh, x, w, shape, dwF, dbF, dxF, new float[shape.ScratchFloats(rows)], rows);
        float[] dz = (float[])dy.Clone(), dw = new float[shape.WeightCount], db = new float[shape.Filters], dx = new float[rows * shape.InputSize];
        ActivationFunctions.ActivationBackward(Activation.Tanh, z, y, dz, 0f);
        Conv2dKernels.Conv2dBackward(dz, x, w, shape, dw, db, dx, new float[shape.ScratchFloats(rows)], rows);
        Assert.True(dxF.AsSpan().SequenceEqual(dx), "dX");
        Assert.True(dwF.AsSpan().SequenceEqual(dw), "dW");
        Assert.True(dbF.AsSpan().SequenceEqual(db), "db");
    }

    [Fact]
    public void TheSettingDefaultsByInstructionSetAndIsScopedToTheThread()
    {
        ConvolutionAlgorithm before = ComputeSettings.Convolution;
        Assert.Equal(ConvolutionAlgorithm.Winograd, ComputeSettings.DefaultConvolution(InstructionSet.Avx512));
        Assert.Equal(ConvolutionAlgorithm.Direct, ComputeSettings.DefaultConvolution(InstructionSet.Avx2));
        Assert.Equal(ConvolutionAlgorithm.Direct, ComputeSettings.DefaultConvolution(InstructionSet.Portable));
        if (Environment.GetEnvironmentVariable("MNISTTOOLS_CONVOLUTION") is null)
        {
            Assert.Equal(ComputeSettings.DefaultConvolution(ComputeSettings.InstructionSet), before);
            // The default follows an instruction-set override made on the thread.
            foreach (InstructionSet set in ComputeSettings.Supported)
                using (ComputeSettings.Override(set))
                    Assert.Equal(ComputeSettings.DefaultConvolution(set), ComputeSettings.Convolution);
        }
        using (ComputeSettings.Override(convolution: ConvolutionAlgorithm.Winograd))
        {
            Assert.Equal(ConvolutionAlgorithm.Winograd, ComputeSettings.Convolution);
            ConvolutionAlgorithm? other = null;
            var thread = new Thread(() => other = ComputeSettings.Convolution);
            thread.Start();
            thread.Join();
            Assert.Equal(before, other);
        }
        Assert.Equal(before, ComputeSettings.Convolution);
        Assert.Throws<ArgumentOutOfRangeException>(() => ComputeSettings.Override(convolution: (ConvolutionAlgorithm)7));
    }
}
