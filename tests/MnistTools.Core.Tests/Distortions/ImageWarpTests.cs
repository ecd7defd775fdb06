using MnistTools.Distortions;
using MnistTools.Numerics;
using MnistTools.Randomness;

namespace MnistTools.Tests.Distortions;

/// <summary>
/// The distortion kernels against plain oracles in double: whole-pixel shifts exactly, bilinear sampling of affine maps and
/// displacement fields, and the separable Gaussian against a direct two-dimensional sum, on odd and even sizes, sizes
/// below and above one vector of 8 columns, and 28x28.
/// </summary>
public class ImageWarpTests
{
    private static readonly (int Rows, int Columns)[] Sizes = { (1, 1), (2, 3), (5, 4), (7, 9), (13, 17), (28, 28), (3, 30) };

    private static byte[] RandomImage(int rows, int columns, int seed)
    {
        var random = new SeededRandom((ulong)seed);
        var pixels = new byte[rows * columns];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)random.NextInt(256);
        return pixels;
    }

    /// <summary>The textbook bilinear value of the image / 255 at (x, y), black outside.</summary>
    private static double BilinearOracle(byte[] pixels, int rows, int columns, double x, double y)
    {
        double Pixel(int px, int py) => px < 0 || py < 0 || px >= columns || py >= rows ? 0 : pixels[py * columns + px] / 255.0;
        if (!(x > -1 && x < columns && y > -1 && y < rows)) return 0;
        int x0 = (int)Math.Floor(x), y0 = (int)Math.Floor(y);
        double fx = x - x0, fy = y - y0;
        return (1 - fy) * ((1 - fx) * Pixel(x0, y0) + fx * Pixel(x0 + 1, y0)) + fy * ((1 - fx) * Pixel(x0, y0 + 1) + fx * Pixel(x0 + 1, y0 + 1));
    }

    private static float[] Padded(byte[] pixels, int rows, int columns)
    {
        var padded = new float[ImageWarp.PaddedSize(rows, columns)];
        ImageWarp.Pad(pixels, rows, columns, padded);
        return padded;
    }

    [Fact]
    public void ShiftMovesEveryPixelByWholePixelsAndBlackensTheRest()
    {
        foreach ((int rows, int columns) in Sizes)
        {
            byte[] pixels = RandomImage(rows, columns, rows * 31 + columns);
            var output = new float[rows * columns];
            for (int dy = -3; dy <= 3; dy++)
                for (int dx = -3; dx <= 3; dx++)
                {
                    Array.Fill(output, float.NaN);
                    ImageWarp.Shift(pixels, rows, columns, dx, dy, output);
                    for (int y = 0; y < rows; y++)
                        for (int x = 0; x < columns; x++)
                        {
                            int sx = x - dx, sy = y - dy;
                            float expected = sx < 0 || sy < 0 || sx >= columns || sy >= rows ? 0f : pixels[sy * columns + sx] / 255f;
                            Assert.True(expected == output[y * columns + x], $"{rows}x{columns} shift ({dx}, {dy}) at ({x}, {y}): {output[y * columns + x]} != {expected}");
                        }
                }
        }
    }

    [Fact]
    public void TheIdentityMapAndWholePixelTranslationsGiveTheImageExactly()
    {
        foreach ((int rows, int columns) in Sizes)
        {
            byte[] pixels = RandomImage(rows, columns, 7);
            float[] padded = Padded(pixels, rows, columns);
            var output = new float[rows * columns];
            var shifted = new float[rows * columns];
            ImageWarp.Affine(padded, AffineMap.Identity, rows, columns, output);
            Assert.Equal(pixels.Select(p => p / 255f), output);
            foreach ((int dx, int dy) in new[] { (1, 0), (0, -2), (-1, 2), (2, 1) })
            {
                ImageWarp.Affine(padded, AffineMap.Identity with { Tx = dx, Ty = dy }, rows, columns, output);
                ImageWarp.Shift(pixels, rows, columns, dx, dy, shifted);
                Assert.Equal(shifted, output);
            }
        }
    }

    [Fact]
    public void AffineMapsAgreeWithTheBilinearOracle()
    {
        var random = new SeededRandom(11);
        foreach ((int rows, int columns) in Sizes)
            for (int trial = 0; trial < 20; trial++)
            {
                byte[] pixels = RandomImage(rows, columns, trial);
                double radians = (random.NextDouble() * 2 - 1) * 0.6, scale = 0.7 + 0.6 * random.NextDouble(), shear = (random.NextDouble() * 2 - 1) * 0.4;
                double tx = (random.NextDouble() * 2 - 1) * 3, ty = (random.NextDouble() * 2 - 1) * 3;
                AffineMap map = AffineMap.From(radians, scale, shear, tx, ty);
                var output = new float[rows * columns];
                ImageWarp.Affine(Padded(pixels, rows, columns), map, rows, columns, output);
                double cx = (columns - 1) / 2.0, cy = (rows - 1) / 2.0;
                for (int y = 0; y < rows; y++)
                    for (int x = 0; x < columns; x++)
                    {
                        // The float map's coordinates, so that the oracle samples where the kernel does.
                        double sx = cx + (double)map.M00 * (x - cx) + (double)map.M01 * (y - cy) - map.Tx;
                        double sy = cy + (double)map.M10 * (x - cx) + (double)map.M11 * (y - cy) - map.Ty;
                        double expected = BilinearOracle(pixels, rows, columns, sx, sy);
                        // A coordinate within float rounding of a pixel edge may fall on either side: a step of at most one level.
                        double tolerance = Math.Abs(sx - Math.Round(sx)) < 1e-4 || Math.Abs(sy - Math.Round(sy)) < 1e-4 ? 1e-3 : 1e-5;
                        Assert.True(Math.Abs(output[y * columns + x] - expected) <= tolerance,
                            $"{rows}x{columns} trial {trial} at ({x}, {y}): {output[y * columns + x]} vs {expected}");
                    }
            }
    }

    /// <summary>Eight samples at once (gathers) and one at a time do the same float operations: the same bits, on every size.</summary>
    [Fact]
    public void VectorAndScalarSamplingGiveTheSameBits()
    {
        var random = new SeededRandom(21);
        foreach ((int rows, int columns) in Sizes.Append((28, 36)))
            for (int trial = 0; trial < 10; trial++)
            {
                byte[] pixels = RandomImage(rows, columns, trial);
                float[] padded = Padded(pixels, rows, columns);
                AffineMap map = AffineMap.From(random.NextDouble() - 0.5, 0.8 + 0.4 * random.NextDouble(), random.NextDouble() - 0.5, 4 * random.NextDouble() - 2, 4 * random.NextDouble() - 2);
                int stride = ImageWarp.FieldStride(columns);
                float[] fieldX = Enumerable.Range(0, rows * stride).Select(_ => (float)(6 * random.NextDouble() - 3)).ToArray();
                float[] fieldY = Enumerable.Range(0, rows * stride).Select(_ => (float)(6 * random.NextDouble() - 3)).ToArray();
                fieldX[0] = float.NaN;
                (float[] Affine, float[] Displaced) Run(InstructionSet set)
                {
                    using var scope = ComputeSettings.Override(set);
                    var affine = new float[rows * columns];
                    var displaced = new float[rows * columns];
                    ImageWarp.Affine(padded, map, rows, columns, affine);
                    ImageWarp.Displace(padded, fieldX, fieldY, rows, columns, stride, displaced);
                    return (affine, displaced);
                }
                var scalar = Run(InstructionSet.Portable);
                var vector = Run(ComputeSettings.BestSupported);
                Assert.Equal(scalar.Affine.Select(BitConverter.SingleToInt32Bits), vector.Affine.Select(BitConverter.SingleToInt32Bits));
                Assert.Equal(scalar.Displaced.Select(BitConverter.SingleToInt32Bits), vector.Displaced.Select(BitConverter.SingleToInt32Bits));
                Assert.Equal(0f, vector.Displaced[0]);
            }
    }

    [Fact]
    public void TheMapRotatesShearsAndScalesAsDocumented()
    {
        // A quarter turn: the source of output p is c + R⁻¹(p − c), so (x, y) relative to the centre reads (y, −x).
        AffineMap quarter = AffineMap.From(Math.PI / 2, 1, 0, 0, 0);
        Assert.Equal(0, quarter.M00, 6);
        Assert.Equal(1, quarter.M01, 6);
        Assert.Equal(-1, quarter.M10, 6);
        Assert.Equal(0, quarter.M11, 6);
        AffineMap half = AffineMap.From(0, 2, 0, 0, 0);
        Assert.Equal((0.5f, 0f, 0f, 0.5f), (half.M00, half.M01, half.M10, half.M11));
        AffineMap sheared = AffineMap.From(0, 1, 0.25, 0, 0);
        Assert.Equal((1f, -0.25f, 0f, 1f), (sheared.M00, sheared.M01, sheared.M10, sheared.M11));
    }

    [Fact]
    public void SamplingOutsideThePictureOrAtNaNIsBlack()
    {
        byte[] pixels = Enumerable.Repeat((byte)255, 12).ToArray();
        float[] padded = Padded(pixels, 3, 4);
        foreach ((float x, float y) in new[] { (-1f, 0f), (4f, 1f), (0f, -1f), (1f, 3f), (float.NaN, 1f), (1f, float.NaN), (-1e30f, 1f), (float.PositiveInfinity, 0f) })
            Assert.Equal(0f, ImageWarp.Sample(padded, 3, 4, x, y));
        Assert.Equal(1f, ImageWarp.Sample(padded, 3, 4, 3f, 2f));
        Assert.Equal(0.5f, ImageWarp.Sample(padded, 3, 4, 3.5f, 1f));
        Assert.Equal(0.25f, ImageWarp.Sample(padded, 3, 4, -0.5f, -0.5f));
    }

    [Fact]
    public void DisplacementFieldsAgreeWithTheBilinearOracle()
    {
        var random = new SeededRandom(5);
        foreach ((int rows, int columns) in Sizes)
        {
            byte[] pixels = RandomImage(rows, columns, 3);
            int stride = ImageWarp.FieldStride(columns);
            var fieldX = new float[rows * stride];
            var fieldY = new float[rows * stride];
            for (int i = 0; i < fieldX.Length; i++)
            {
                fieldX[i] = (float)((random.NextDouble() * 2 - 1) * 3);
                fieldY[i] = (float)((random.NextDouble() * 2 - 1) * 3);
            }
            var output = new float[rows * columns];
            ImageWarp.Displace(Padded(pixels, rows, columns), fieldX, fieldY, rows, columns, stride, output);
            for (int y = 0; y < rows; y++)
                for (int x = 0; x < columns; x++)
                {
                    double expected = BilinearOracle(pixels, rows, columns, x + (double)fieldX[y * stride + x], y + (double)fieldY[y * stride + x]);
                    Assert.True(Math.Abs(output[y * columns + x] - expected) <= 1e-5, $"{rows}x{columns} at ({x}, {y}): {output[y * columns + x]} vs {expected}");
                }
        }
    }

    [Theory]
    [InlineData(0.5, 1.0)]
    [InlineData(1.0, 1.0)]
    [InlineData(4.0, 34.0)]
    public void GaussianTapsSpanThreeSigmasAndSumToTheGain(double sigma, double gain)
    {
        float[] taps = ImageWarp.GaussianTaps(sigma, gain);
        Assert.Equal(2 * (int)Math.Ceiling(3 * sigma) + 1, taps.Length);
        Assert.Equal(gain, taps.Sum(t => (double)t), 5);
        for (int k = 0; k < taps.Length / 2; k++)
        {
            Assert.Equal(taps[k], taps[^(k + 1)]);
            Assert.True(taps[k] < taps[k + 1], "the taps should rise towards the middle");
        }
    }

    [Fact]
    public void SmoothingAgreesWithADirectTwoDimensionalGaussianSum()
    {
        var random = new SeededRandom(9);
        foreach ((int rows, int columns) in Sizes)
            foreach ((double sigma, double gain) in new[] { (1.0, 1.0), (4.0, 34.0), (0.5, 2.0) })
            {
                int stride = ImageWarp.FieldStride(columns);
                float[] rowTaps = ImageWarp.GaussianTaps(sigma), columnTaps = ImageWarp.GaussianTaps(sigma, gain);
                var field = new float[rows * stride];
                var values = new double[rows, columns];
                for (int y = 0; y < rows; y++)
                    for (int x = 0; x < stride; x++)
                    {
                        field[y * stride + x] = (float)(random.NextDouble() * 2 - 1);
                        if (x < columns) values[y, x] = field[y * stride + x];
                    }
                ImageWarp.Smooth(field, rows, columns, stride, rowTaps, columnTaps,
                    new float[ImageWarp.RowScratchSize(stride, rowTaps.Length)], new float[rows * stride]);
                int radius = rowTaps.Length / 2;
                for (int y = 0; y < rows; y++)
                    for (int x = 0; x < columns; x++)
                    {
                        double expected = 0, scale = 0;
                        for (int j = -radius; j <= radius; j++)
                            for (int i = -radius; i <= radius; i++)
                            {
                                double weight = (double)columnTaps[j + radius] * rowTaps[i + radius];
                                scale += Math.Abs(weight);
                                if (y + j >= 0 && y + j < rows && x + i >= 0 && x + i < columns) expected += weight * values[y + j, x + i];
                            }
                        double actual = field[y * stride + x];
                        Assert.True(Math.Abs(actual - expected) <= 1e-5 * scale + 1e-6,
                            $"{rows}x{columns} sigma {sigma} at ({x}, {y}): {actual} vs {expected}");
                    }
            }
    }
}
