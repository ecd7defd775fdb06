using MnistTools.Layers;
using MnistTools.Numerics;
using static MnistTools.Tests.Layers.ReferenceLayers;

namespace MnistTools.Tests.Layers;

/// <summary>
/// The input gradient without a column matrix (<see cref="Conv2dImplicitData"/>, AVX-512, stride 1, few filters; called
/// directly on every kernel size, and through the convolution backward where it applies) bit for bit against the im2col
/// route it replaces (the transposed GEMM into dColumns, then <see cref="Im2Col.Scatter"/>, one image per group), against a scalar model of that route's order and against the AVX2 build of the convolution
/// backward, on every small shape: 1..7 channels (channel blocks of 3 and their tails), kernels 1..5 and 7, both
/// paddings, widths past one 16-pixel block, 1..16 filters, 0..5 images and lanes past one or two groups of 16.
/// </summary>
public class Conv2dImplicitDataTests
{
    [SkippableFact]
    public void TheKernelHasTheBitsOfTheIm2ColRouteOnEveryShape()
    {
        Skip.IfNot(ComputeSettings.IsSupported(InstructionSet.Avx512), "This CPU does not run Avx512.");
        using var scope = ComputeSettings.Override(InstructionSet.Avx512, threads: 1);
        var random = new Random(53);
        int cases = 0;
        foreach (int kernel in new[] { 1, 2, 3, 4, 5, 7 })
            foreach (Padding padding in Enum.GetValues<Padding>())
                for (int channels = 1; channels <= 7; channels++)
                {
                    int filters = 1 + (channels * 5 + kernel) % 16, rows = (channels + kernel) % 6;
                    int height = kernel + (channels + cases) % 4, width = kernel + (cases * 7 + channels) % 14;
                    var shape = Conv2dShape.Create(channels, height, width, filters, kernel, 1, padding);
                    Check(random, shape, rows);
                    cases++;
                }
        // Widths past one block of 16 dX pixels, filters 16 (LeNet-5's) and 1, lanes of 16, 17 and 33 images.
        Check(random, Conv2dShape.Create(2, 6, 21, 16, 5, 1, Padding.Same), 17);
        Check(random, Conv2dShape.Create(3, 5, 33, 1, 3, 1, Padding.Valid), 16);
        Check(random, Conv2dShape.Create(6, 14, 14, 16, 5, 1, Padding.Valid), 33);
        Assert.True(cases >= 84, $"only {cases} cases ran");
    }

    [SkippableTheory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(64)]
    public void LeNetsSecondLayerHasTheBitsOfTheIm2ColRouteOnEveryImageCount(int rows)
    {
        Skip.IfNot(ComputeSettings.IsSupported(InstructionSet.Avx512), "This CPU does not run Avx512.");
        using var scope = ComputeSettings.Override(InstructionSet.Avx512, threads: 1);
        Check(new Random(59 + rows), Conv2dShape.Create(6, 14, 14, 16, 5, 1, Padding.Valid), rows);
    }

    [Fact]
    public void OnlyStrideOneAvx512WithKernelsOfFiveOrMoreFewFiltersAndSmallOutputsTakesIt()
    {
        Assert.Equal(ComputeSettings.IsSupported(InstructionSet.Avx512),
            Conv2dImplicitData.Applies(Conv2dShape.Create(6, 14, 14, 16, 5, 1, Padding.Valid), InstructionSet.Avx512));
        Assert.False(Conv2dImplicitData.Applies(Conv2dShape.Create(6, 14, 14, 16, 5, 1, Padding.Valid), InstructionSet.Avx2), "AVX2");
        Assert.False(Conv2dImplicitData.Applies(Conv2dShape.Create(6, 14, 14, 16, 5, 2, Padding.Valid), InstructionSet.Avx512), "stride 2");
        Assert.False(Conv2dImplicitData.Applies(Conv2dShape.Create(6, 14, 14, 17, 5, 1, Padding.Valid), InstructionSet.Avx512), "17 filters");
        Assert.False(Conv2dImplicitData.Applies(Conv2dShape.Create(8, 13, 13, 16, 3, 1, Padding.Valid), InstructionSet.Avx512), "3x3");
        Assert.Equal(ComputeSettings.IsSupported(InstructionSet.Avx512),
            Conv2dImplicitData.Applies(Conv2dShape.Create(2, 9, 9, 4, 7, 1, Padding.Same), InstructionSet.Avx512));
        Assert.False(Conv2dImplicitData.Applies(Conv2dShape.Create(3, 68, 68, 16, 5, 1, Padding.Valid), InstructionSet.Avx512), "64x64 outputs");
        Assert.Equal(0, Conv2dImplicitData.ScratchFloats(Conv2dShape.Create(3, 68, 68, 16, 5, 1, Padding.Valid)));
        Assert.Equal(0, Conv2dImplicitData.ScratchFloats(Conv2dShape.Create(32, 13, 13, 64, 3, 1, Padding.Valid)));
    }

    /// <summary>dX of the kernel called directly and through the convolution backward against the im2col route, the
    /// scalar model and the AVX2 backward; nothing written past dX.</summary>
    private static void Check(Random random, Conv2dShape shape, int rows)
    {
        string name = $"{shape} x{rows}";
        float[] w = RandomFloats(random, shape.WeightCount), dy = RandomFloats(random, rows * shape.OutputSize), x = RandomFloats(random, rows * shape.InputSize);
        float[] expected = Im2ColRoute(shape, w, dy, rows);
        Assert.Equal(ScalarModel(shape, w, dy, rows), expected);

        float[] direct = Enumerable.Repeat(float.NaN, rows * shape.InputSize + 1).ToArray();
        float[] scratch = Enumerable.Repeat(float.NaN, (int)(16L * ((shape.OutputPixels + 15) / 16 * 16) * shape.Filters + 3L * 16 * ((shape.Width + 15) / 16 * 16) + 256)).ToArray();
        if (Conv2dImplicitData.Applies(shape, InstructionSet.Avx512)) Assert.Equal(scratch.Length, Conv2dImplicitData.ScratchFloats(shape));
        unsafe
        {
            fixed (float* pdy = dy, pw = w, pdx = direct, work = scratch)
                Conv2dImplicitData.InputGradient(pdy, pw, shape, pdx, work, rows);
        }
        Assert.True(float.IsNaN(direct[^1]), $"{name}: wrote past dX");
        Assert.Equal(expected, direct[..^1]);

        float[] Backward(InstructionSet path)
        {
            using var scope = ComputeSettings.Override(path, threads: 1);
            float[] dx = Enumerable.Repeat(float.NaN, rows * shape.InputSize).ToArray(), dw = new float[shape.WeightCount], db = new float[shape.Filters];
            Conv2dKernels.Conv2dBackward(dy, x, w, shape, dw, db, dx, Enumerable.Repeat(float.NaN, shape.ScratchFloats(rows)).ToArray(), rows);
            return dx;
        }
        Assert.Equal(expected, Backward(InstructionSet.Avx512));
        if (ComputeSettings.IsSupported(InstructionSet.Avx2)) Assert.Equal(expected, Backward(InstructionSet.Avx2));
    }

    /// <summary>The route the kernel replaces, on AVX-512: per image, dColumns = Wᵀ · dY through <see cref="Gemm"/>, then
    /// <see cref="Im2Col.Scatter"/> (its register path).</summary>
    private static unsafe float[] Im2ColRoute(Conv2dShape shape, float[] w, float[] dy, int rows)
    {
        int patch = shape.PatchSize, pixels = shape.OutputPixels;
        var dx = new float[rows * shape.InputSize];
        var columns = new float[patch * pixels + 2 * Im2Col.Slack];
        using var scope = ComputeSettings.Override(InstructionSet.Avx512, threads: 1);
        for (int i = 0; i < rows; i++)
        {
            Gemm.Multiply(w, dy.AsSpan(i * shape.OutputSize, shape.OutputSize), columns.AsSpan(Im2Col.Slack, patch * pixels), patch, pixels, shape.Filters,
                transposeA: true, transposeB: false, accumulate: false);
            fixed (float* col = columns, target = dx)
                Im2Col.Scatter(col + Im2Col.Slack, 1, shape, target + (long)i * shape.InputSize, Im2Col.VectorWidth(InstructionSet.Avx512));
        }
        return dx;
    }

    /// <summary>The documented order: dX[i, c, iy, ix] from +0, plus each inside tap's chain from 0 over f, taps in increasing (ky, kx).</summary>
    private static float[] ScalarModel(Conv2dShape shape, float[] w, float[] dy, int rows)
    {
        int k = shape.Kernel;
        var dx = new float[rows * shape.InputSize];
        for (int i = 0; i < rows; i++)
            for (int c = 0; c < shape.Channels; c++)
                for (int iy = 0; iy < shape.Height; iy++)
                    for (int ix = 0; ix < shape.Width; ix++)
                    {
                        float sum = 0f;
                        for (int ky = 0; ky < k; ky++)
                            for (int kx = 0; kx < k; kx++)
                            {
                                int oy = iy + shape.PadTop - ky, ox = ix + shape.PadLeft - kx;
                                if ((uint)oy >= (uint)shape.OutputHeight || (uint)ox >= (uint)shape.OutputWidth) continue;
                                float chain = 0f;
                                for (int f = 0; f < shape.Filters; f++)
                                    chain = MathF.FusedMultiplyAdd(w[f * shape.PatchSize + (c * k + ky) * k + kx],
                                        dy[((i * shape.Filters + f) * shape.OutputHeight + oy) * shape.OutputWidth + ox], chain);
                                sum += chain;
                            }
                        dx[((i * shape.Channels + c) * shape.Height + iy) * shape.Width + ix] = sum;
                    }
        return dx;
    }
}
