using MnistTools.Layers;
using MnistTools.Numerics;
using static MnistTools.Tests.Layers.ReferenceLayers;

namespace MnistTools.Tests.Layers;

/// <summary>
/// The AVX-512 paths for filters in blocks of 16 (LeNet-5's second layer): the forward's row tiles
/// (<see cref="Conv2dImplicitRows"/>) and the 5x5 weight gradient (<see cref="Conv2dImplicitWeights"/>) against the
/// double reference on every tile tail, both bit for bit against the im2col route of the other instruction sets and
/// against scalar models of that route's summation order, and their bits on one thread and two.
/// </summary>
public class Conv2dNarrowPathTests
{
    public static TheoryData<InstructionSet> InstructionSets() => new(Enum.GetValues<InstructionSet>());

    [SkippableTheory]
    [MemberData(nameof(InstructionSets))]
    public void TheRowTilesMatchTheReferenceOnEveryTail(InstructionSet path)
    {
        Skip.IfNot(ComputeSettings.IsSupported(path), $"This CPU does not run {path}.");
        using var scope = ComputeSettings.Override(path, threads: 1);
        var random = new Random(31 + (int)path);
        int cases = 0;
        // Output widths 1..26 (one chunk of 1..12 columns, two of 7..12, three of 9), heights 1..3 (an odd last row),
        // patches just past the direct path's and past one GEMM depth slice (147, 150), 16/32/48/80 filters (80: blocks
        // of 16 past one of 64), both paddings, 0..3 images.
        foreach ((int channels, int kernel) in new[] { (4, 3), (2, 5), (3, 7), (6, 5) })
            foreach (int filters in new[] { 16, 32, 48, 80 })
                foreach (Padding padding in Enum.GetValues<Padding>())
                    for (int outputWidth = 1; outputWidth <= 26; outputWidth += filters == 16 ? 1 : 5)
                    {
                        int width = padding == Padding.Same ? outputWidth : outputWidth + kernel - 1;
                        int outputHeight = 1 + (outputWidth + cases) % 3, height = padding == Padding.Same ? outputHeight : outputHeight + kernel - 1;
                        var shape = Conv2dShape.Create(channels, height, width, filters, kernel, 1, padding);
                        Assert.Equal(path == InstructionSet.Avx512, Conv2dImplicit.Applies(shape, path));
                        Assert.Equal(path == InstructionSet.Avx512 && kernel == 5, Conv2dImplicitWeights.Applies(shape, path));
                        Conv2dKernelTests.CheckAgainstReference(random, shape, cases % 4, skipInputGradient: cases % 3 != 0);
                        cases++;
                    }
        Assert.True(cases > 200, $"only {cases} cases ran");
    }

    [SkippableFact]
    public void TheWeightGradientMatchesTheReferenceOnEveryImageCount()
    {
        Skip.IfNot(ComputeSettings.IsSupported(InstructionSet.Avx512), "This CPU does not run Avx512.");
        using var scope = ComputeSettings.Override(InstructionSet.Avx512, threads: 1);
        var random = new Random(37);
        // 0..5 images, 2..6 channels (patches of 50..150), 16..48 filters, output widths 1..11 and both paddings (LeNet-5's
        // second layer among them); stride 2, 3x3, 24 filters and one channel (the im2col route's dW on GemmDirect) refused.
        foreach ((int channels, int size, int filters, Padding padding) in new[]
            { (2, 5, 16, Padding.Valid), (2, 7, 32, Padding.Same), (3, 9, 48, Padding.Valid), (6, 14, 16, Padding.Valid), (2, 1, 16, Padding.Same), (3, 11, 16, Padding.Same) })
            for (int rows = 0; rows <= 5; rows++)
            {
                var shape = Conv2dShape.Create(channels, size, size + rows % 2, filters, 5, 1, padding);
                Assert.True(Conv2dImplicitWeights.Applies(shape, InstructionSet.Avx512), $"{shape} does not take the weight path");
                Conv2dKernelTests.CheckAgainstReference(random, shape, rows, skipInputGradient: rows % 2 == 1);
            }
        Assert.False(Conv2dImplicitWeights.Applies(Conv2dShape.Create(2, 9, 9, 16, 5, 2, Padding.Valid), InstructionSet.Avx512), "stride 2");
        Assert.False(Conv2dImplicitWeights.Applies(Conv2dShape.Create(2, 9, 9, 16, 3, 1, Padding.Valid), InstructionSet.Avx512), "3x3");
        Assert.False(Conv2dImplicitWeights.Applies(Conv2dShape.Create(2, 9, 9, 24, 5, 1, Padding.Valid), InstructionSet.Avx512), "24 filters");
        Assert.False(Conv2dImplicitWeights.Applies(Conv2dShape.Create(2, 9, 9, 16, 5, 1, Padding.Valid), InstructionSet.Avx2), "AVX2");
        Assert.False(Conv2dImplicitWeights.Applies(Conv2dShape.Create(1, 28, 28, 16, 5, 1, Padding.Same), InstructionSet.Avx512), "one channel");
    }

    [SkippableTheory]
    [InlineData(6, 14, 14, 16, 5, Padding.Valid)]  // LeNet-5's second layer: 150 taps, two GEMM depth slices
    [InlineData(3, 9, 27, 32, 7, Padding.Same)]    // 147 taps, three row chunks, padded
    [InlineData(8, 13, 13, 16, 3, Padding.Valid)]  // 72 taps, an odd output height
    [InlineData(2, 6, 30, 48, 5, Padding.Same)]
    public void TheRowTilesHaveTheBitsOfTheIm2ColRoute(int channels, int height, int width, int filters, int kernel, Padding padding)
    {
        Skip.IfNot(ComputeSettings.IsSupported(InstructionSet.Avx512), "This CPU does not run Avx512.");
        var shape = Conv2dShape.Create(channels, height, width, filters, kernel, 1, padding);
        const int rows = 3;
        var random = new Random(41);
        float[] x = RandomFloats(random, rows * shape.InputSize), w = RandomFloats(random, shape.WeightCount), b = RandomFloats(random, filters);
        float[] Forward(InstructionSet path, Activation? activation)
        {
            using var scope = ComputeSettings.Override(path, threads: 1, convolution: ConvolutionAlgorithm.Direct);
            var y = new float[rows * shape.OutputSize];
            Conv2dKernels.Conv2dForward(x, w, b, shape, y, new float[shape.ScratchFloats(rows)], rows, activation);
            return y;
        }
        Assert.True(Conv2dImplicit.Applies(shape, InstructionSet.Avx512));
        float[] rowTiles = Forward(InstructionSet.Avx512, null);
        // The documented order: per slice of GemmBlocked.KC taps a chain from 0, the slices added in order, then the bias.
        var expected = new float[rowTiles.Length];
        for (int i = 0; i < rows; i++)
            for (int f = 0; f < filters; f++)
                for (int oy = 0; oy < shape.OutputHeight; oy++)
                    for (int ox = 0; ox < shape.OutputWidth; ox++)
                    {
                        float total = 0f;
                        for (int start = 0; start < shape.PatchSize; start += GemmBlocked.KC)
                        {
                            float sum = 0f;
                            for (int tap = start; tap < Math.Min(shape.PatchSize, start + GemmBlocked.KC); tap++)
                            {
                                int c = tap / (kernel * kernel), ky = tap / kernel % kernel, kx = tap % kernel;
                                int y = oy + ky - shape.PadTop, xx = ox + kx - shape.PadLeft;
                                float value = (uint)y < (uint)height && (uint)xx < (uint)width ? x[((i * channels + c) * height + y) * width + xx] : 0f;
                                sum = MathF.FusedMultiplyAdd(w[f * shape.PatchSize + tap], value, sum);
                            }
                            total = start == 0 ? sum : total + sum;
                        }
                        expected[((i * filters + f) * shape.OutputHeight + oy) * shape.OutputWidth + ox] = total + b[f];
                    }
        Assert.Equal(expected, rowTiles);
        Assert.Equal(Forward(InstructionSet.Avx2, null), rowTiles);
        Assert.Equal(Forward(InstructionSet.Avx2, Activation.ReLU), Forward(InstructionSet.Avx512, Activation.ReLU));
    }

    [SkippableTheory]
    [InlineData(6, 14, 14, 16, 64, Padding.Valid)]  // LeNet-5's second layer, a lane of 64 images: groups of 5, slices across images
    [InlineData(6, 14, 14, 16, 3, Padding.Valid)]
    [InlineData(2, 6, 9, 32, 7, Padding.Same)]      // 54 pixels per image: groups of 9 images
    [InlineData(2, 24, 24, 16, 2, Padding.Same)]    // 576 pixels: one image per group, slices inside the image
    public void TheWeightGradientHasTheBitsOfTheIm2ColRoute(int channels, int height, int width, int filters, int rows, Padding padding)
    {
        Skip.IfNot(ComputeSettings.IsSupported(InstructionSet.Avx512), "This CPU does not run Avx512.");
        var shape = Conv2dShape.Create(channels, height, width, filters, 5, 1, padding);
        var random = new Random(43);
        float[] x = RandomFloats(random, rows * shape.InputSize), w = RandomFloats(random, shape.WeightCount), dy = RandomFloats(random, rows * shape.OutputSize);
        float[] WeightGradient(InstructionSet path, int threads)
        {
            float[] dw = Enumerable.Repeat(float.NaN, shape.WeightCount).ToArray(), db = new float[filters];
            using (ComputeSettings.Override(path, threads: threads))
                Conv2dKernels.Conv2dBackward(dy, x, w, shape, dw, db, [], new float[shape.ScratchFloats(rows)], rows);
            return dw;
        }
        Assert.True(Conv2dImplicitWeights.Applies(shape, InstructionSet.Avx512));
        float[] implicitRoute = WeightGradient(InstructionSet.Avx512, 1);
        // The documented order: per group of g images, per slice of GemmBlocked.KC of its columns a chain from 0, the
        // slices added in order to dW (the lane's first replacing it).
        int group = shape.ImagesPerGroup(rows), pixels = shape.OutputPixels;
        var expected = new float[implicitRoute.Length];
        for (int f = 0; f < filters; f++)
            for (int tap = 0; tap < shape.PatchSize; tap++)
            {
                int c = tap / 25, ky = tap / 5 % 5, kx = tap % 5;
                float total = 0f;
                for (int first = 0; first < rows; first += group)
                {
                    int n = Math.Min(group, rows - first) * pixels;
                    for (int start = 0; start < n; start += GemmBlocked.KC)
                    {
                        float sum = 0f;
                        for (int column = start; column < Math.Min(n, start + GemmBlocked.KC); column++)
                        {
                            int i = first + column / pixels, oy = column % pixels / shape.OutputWidth, ox = column % shape.OutputWidth;
                            int y = oy + ky - shape.PadTop, xx = ox + kx - shape.PadLeft;
                            float value = (uint)y < (uint)height && (uint)xx < (uint)width ? x[((i * channels + c) * height + y) * width + xx] : 0f;
                            sum = MathF.FusedMultiplyAdd(dy[((i * filters + f) * shape.OutputHeight + oy) * shape.OutputWidth + ox], value, sum);
                        }
                        total = first == 0 && start == 0 ? sum : total + sum;
                    }
                }
                expected[f * shape.PatchSize + tap] = total;
            }
        Assert.Equal(expected, implicitRoute);
        Assert.Equal(WeightGradient(InstructionSet.Avx2, 1), implicitRoute);
        Assert.Equal(WeightGradient(InstructionSet.Avx512, 2), implicitRoute);
    }
}
