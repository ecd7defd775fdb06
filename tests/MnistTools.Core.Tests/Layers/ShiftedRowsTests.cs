using MnistTools.Layers;
using MnistTools.Numerics;
using static MnistTools.Tests.Layers.ReferenceLayers;

namespace MnistTools.Tests.Layers;

/// <summary>
/// The weight gradient of a convolution with one image per group on the unpacked dot-product route takes its column
/// rows from <see cref="ShiftedRows"/> instead of <see cref="Im2Col.Gather"/>: dW, db and dX equal, bit for bit, the
/// im2col order (each image gathered, then dW (+)= dY · columnsᵀ through <see cref="Gemm"/>, dX through the columns and
/// <see cref="Im2Col.Scatter"/>), on the first layers of LeNet-5 and the Keras net and on odd shapes: several channels,
/// a 1x1 kernel, asymmetric padding, a pixel count that is not a multiple of 16, and a one-image lane whose pixels alone
/// would make groups of two.
/// </summary>
public class ShiftedRowsTests
{
    public static TheoryData<int, int, int, int, int, Padding, int> Shapes() => new()
    {
        // channels, height, width, filters, kernel, padding, rows
        { 1, 28, 28, 6, 5, Padding.Same, 3 },    // LeNet-5's first layer (784 pixels: no tail of 16)
        { 1, 28, 28, 32, 3, Padding.Valid, 2 },  // the Keras net's (676 pixels: a tail of 4)
        { 2, 20, 20, 5, 3, Padding.Same, 2 },    // two channels (patch 18)
        { 1, 17, 17, 4, 1, Padding.Valid, 2 },   // 1x1 (patch 1, 289 pixels)
        { 1, 20, 24, 3, 4, Padding.Same, 2 },    // even kernel: one padding row above, two below
        { 3, 18, 18, 7, 3, Padding.Valid, 1 },   // 256 pixels: one image per group only because the lane has one
        { 1, 30, 40, 9, 5, Padding.Same, 1 },
    };

    [SkippableTheory]
    [MemberData(nameof(Shapes))]
    public void MatchesTheIm2ColOrderBitForBit(int channels, int height, int width, int filters, int kernel, Padding padding, int rows)
    {
        Skip.IfNot(ComputeSettings.IsSupported(InstructionSet.Avx512), "The shifted rows feed the AVX-512 dot-product route only.");
        using var scope = ComputeSettings.Override(InstructionSet.Avx512, threads: 1);
        var shape = Conv2dShape.Create(channels, height, width, filters, kernel, 1, padding);
        Assert.Equal(1, shape.ImagesPerGroup(rows));
        Assert.True(ShiftedRows.Apply(shape, InstructionSet.Avx512), $"{shape} does not take the shifted rows");
        var random = new Random(41 + rows + kernel);
        float[] x = RandomFloats(random, rows * shape.InputSize), w = RandomFloats(random, shape.WeightCount, -0.5, 0.5);
        float[] dy = RandomFloats(random, rows * shape.OutputSize);
        int pixels = shape.OutputPixels, patch = shape.PatchSize;

        // The im2col order, image by image.
        float[] columns = new float[2 * Im2Col.Slack + patch * pixels];
        float[] expectedDw = new float[shape.WeightCount], expectedDx = new float[rows * shape.InputSize];
        float[] expectedDb = new float[filters];
        unsafe
        {
            fixed (float* input = x, col = columns, dx = expectedDx)
                for (int i = 0; i < rows; i++)
                {
                    Conv2dKernels.AddPlaneSums(dy.AsSpan(i * shape.OutputSize, shape.OutputSize), pixels, expectedDb);
                    Im2Col.Gather(input + i * shape.InputSize, input + x.Length, 1, shape, col + Im2Col.Slack, 16);
                    ReadOnlySpan<float> image = dy.AsSpan(i * shape.OutputSize, shape.OutputSize);
                    Gemm.Multiply(image, columns.AsSpan(Im2Col.Slack, patch * pixels), expectedDw, filters, patch, pixels,
                        transposeA: false, transposeB: true, accumulate: i > 0);
                    Gemm.Multiply(w, image, columns.AsSpan(Im2Col.Slack, patch * pixels), patch, pixels, filters,
                        transposeA: true, transposeB: false, accumulate: false);
                    Im2Col.Scatter(col + Im2Col.Slack, 1, shape, dx + i * shape.InputSize, 16);
                }
        }

        foreach (bool firstLayer in new[] { true, false })
        {
            float[] dw = Stale(shape.WeightCount), db = Stale(filters), dx = firstLayer ? [] : Stale(rows * shape.InputSize);
            Conv2dKernels.Conv2dBackward(dy, x, w, shape, dw, db, dx, Stale(shape.ScratchFloats(rows)), rows);
            Assert.Equal(Bits(expectedDw), Bits(dw));
            Assert.Equal(Bits(expectedDb), Bits(db));
            if (!firstLayer) Assert.Equal(Bits(expectedDx), Bits(dx));
        }

        // And against the double reference.
        float[] weights = new float[shape.WeightCount], biases = new float[filters];
        Conv2dKernels.Conv2dBackward(dy, x, w, shape, weights, biases, [], new float[shape.ScratchFloats(rows)], rows);
        var reference = Conv2dBackward(ToDouble(dy), ToDouble(x), ToDouble(w), shape, rows);
        AssertClose(weights, reference.WeightGradient, reference.WeightScale, $"dW {shape} x{rows}");
    }

    [Fact]
    public unsafe void TheRowsAreTheIm2ColRowsOnEverySmallShape()
    {
        var random = new Random(47);
        int cases = 0;
        foreach (int kernel in new[] { 1, 2, 3, 4, 5 })
            foreach (Padding padding in Enum.GetValues<Padding>())
                for (int channels = 1; channels <= 2; channels++)
                    for (int height = kernel; height <= kernel + 3; height++)
                        for (int width = kernel; width <= kernel + 34; width += 1 + width % 3)
                        {
                            var shape = Conv2dShape.Create(channels, height, width, 1, kernel, 1, padding);
                            // The image between NaN guards, holding NaN, infinities and −0 too: the rows copy bits.
                            float[] image = RandomFloats(random, shape.InputSize + 64);
                            image[random.Next(image.Length)] = float.NaN;
                            image[random.Next(image.Length)] = float.NegativeInfinity;
                            image[random.Next(image.Length)] = -0f;
                            int floats = (int)ShiftedRows.Floats(shape), patch = shape.PatchSize, pixels = shape.OutputPixels;
                            float[] copies = Enumerable.Repeat(float.NaN, floats + ShiftedRows.Overshoot + 1).ToArray();
                            float[] columns = new float[patch * pixels + 2 * Im2Col.Slack];
                            var pointers = new IntPtr[patch];
                            fixed (float* x = image, copy = copies, col = columns)
                            fixed (IntPtr* rows = pointers)
                            {
                                float* start = x + 32;
                                ShiftedRows.Fill(start, shape, copy, (float**)rows);
                                Im2Col.Gather(start, start + shape.InputSize, 1, shape, col + Im2Col.Slack, 0);
                                for (int r = 0; r < patch; r++)
                                {
                                    float* row = (float*)pointers[r];
                                    Assert.True(row >= copy && row + pixels <= copy + floats, $"{shape}: row {r} outside the copies");
                                    for (int p = 0; p < pixels; p++)
                                        Assert.True(BitConverter.SingleToInt32Bits(columns[Im2Col.Slack + r * pixels + p]) == BitConverter.SingleToInt32Bits(row[p]),
                                            $"{shape}: row {r}, column {p}");
                                }
                            }
                            Assert.True(float.IsNaN(copies[^1]), $"{shape}: wrote past the overshoot");
                            cases++;
                        }
        Assert.True(cases > 300, $"only {cases} cases");
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();

    private static float[] Stale(int count) => Enumerable.Repeat(float.NaN, count).ToArray();
}
