using MnistTools.Distortions;
using MnistTools.Errors;
using MnistTools.Randomness;

namespace MnistTools.Tests.Distortions;

/// <summary>
/// The distortions as training draws them: a pure function of (kind, seed, epoch, image), within their documented
/// magnitudes, and never a no-op.
/// </summary>
public class ImageAugmenterTests
{
    private const int Side = 28;

    /// <summary>A 28x28 image black but for a 2x2 white dot whose top-left pixel is (x, y).</summary>
    private static byte[] Dot(int x, int y)
    {
        var pixels = new byte[Side * Side];
        for (int dy = 0; dy < 2; dy++)
            for (int dx = 0; dx < 2; dx++) pixels[(y + dy) * Side + x + dx] = 255;
        return pixels;
    }

    private static byte[] Strokes(int seed)
    {
        var random = new SeededRandom((ulong)seed);
        var pixels = new byte[Side * Side];
        for (int y = 4; y < 24; y++)
            for (int x = 6; x < 22; x++) pixels[y * Side + x] = (byte)(random.NextInt(4) == 0 ? 0 : 128 + random.NextInt(128));
        return pixels;
    }

    private static float[] Distort(Augmentation kind, byte[] pixels, int seed, int epoch, int index)
    {
        var output = new float[pixels.Length];
        new ImageAugmenter(kind, Side, Side).Distort(pixels, seed, epoch, index, output);
        return output;
    }

    /// <summary>The centre of mass (x, y) of an image.</summary>
    private static (double X, double Y) Centroid(float[] image)
    {
        double sum = 0, x = 0, y = 0;
        for (int i = 0; i < image.Length; i++)
        {
            sum += image[i];
            x += image[i] * (i % Side);
            y += image[i] * (i / Side);
        }
        return (x / sum, y / sum);
    }

    public static TheoryData<Augmentation> Kinds => new() { Augmentation.Shift, Augmentation.Affine, Augmentation.Elastic };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void TheSameKeyGivesTheSameImageAndAnotherKeyAnother(Augmentation kind)
    {
        byte[] pixels = Strokes(1);
        float[] first = Distort(kind, pixels, seed: 5, epoch: 2, index: 17);
        var augmenter = new ImageAugmenter(kind, Side, Side);
        var again = new float[pixels.Length];
        // The same instance after other images, and a fresh one: the same bits.
        augmenter.Distort(Strokes(2), 5, 2, 3, again);
        augmenter.Distort(pixels, 5, 2, 17, again);
        Assert.Equal(first, again);
        Assert.Equal(first, Distort(kind, pixels, 5, 2, 17));

        float[] original = pixels.Select(p => p / 255f).ToArray();
        int unchanged = 0;
        foreach ((int seed, int epoch, int index) in new[] { (6, 2, 17), (5, 3, 17), (5, 2, 18), (-5, 2, 17) })
        {
            float[] other = Distort(kind, pixels, seed, epoch, index);
            Assert.NotEqual(first, other);
            if (other.SequenceEqual(original)) unchanged++;
        }
        // A shift of (0, 0) is one draw in 25; the others never leave the image as it is.
        Assert.True(unchanged <= (kind == Augmentation.Shift ? 1 : 0));
        Assert.All(first, v => Assert.InRange(v, 0f, 1f));
    }

    [Fact]
    public void NoneGivesTheImageAsItIs()
    {
        byte[] pixels = Strokes(3);
        Assert.Equal(pixels.Select(p => p / 255f), Distort(Augmentation.None, pixels, 1, 1, 1));
    }

    [Fact]
    public void ShiftsDrawEveryOffsetUpToTwoPixelsAboutEvenly()
    {
        byte[] dot = Dot(13, 13);
        var counts = new int[5, 5];
        const int draws = 5000;
        for (int index = 0; index < draws; index++)
        {
            float[] moved = Distort(Augmentation.Shift, dot, seed: 1, epoch: 1, index);
            int at = Array.IndexOf(moved, 1f);
            int dx = at % Side - 13, dy = at / Side - 13;
            Assert.InRange(dx, -ImageAugmenter.MaxShift, ImageAugmenter.MaxShift);
            Assert.InRange(dy, -ImageAugmenter.MaxShift, ImageAugmenter.MaxShift);
            Assert.Equal(4, moved.Count(v => v == 1f));
            counts[dy + 2, dx + 2]++;
        }
        foreach (int count in counts) Assert.InRange(count, draws / 25 * 0.7, draws / 25 * 1.3);
    }

    [Fact]
    public void AffineMovesTheCentreByUpToTheDocumentedShiftAndKeepsTheInk()
    {
        byte[] dot = Dot(13, 13);
        (double X, double Y) centre = Centroid(Distort(Augmentation.None, dot, 1, 1, 0));
        var offsets = new List<(double X, double Y)>();
        for (int index = 0; index < 2000; index++)
        {
            float[] moved = Distort(Augmentation.Affine, dot, seed: 2, epoch: 1, index);
            (double x, double y) = Centroid(moved);
            offsets.Add((x - centre.X, y - centre.Y));
            // Scaled by 0.9-1.1 and sheared a little, a dot keeps between about 0.7 and 1.4 of its ink.
            Assert.InRange(moved.Sum(), 4 * 0.7, 4 * 1.4);
        }
        // The centre maps to c + M⁻¹t: |M⁻¹| is at most 1.1·(1 + 0.2), so each axis moves at most about 3 px.
        Assert.All(offsets, o => Assert.True(Math.Abs(o.X) < 3.5 && Math.Abs(o.Y) < 3.5, $"moved by {o}"));
        double meanX = offsets.Average(o => o.X), meanY = offsets.Average(o => o.Y);
        double spreadX = Math.Sqrt(offsets.Average(o => o.X * o.X)), spreadY = Math.Sqrt(offsets.Average(o => o.Y * o.Y));
        Assert.InRange(meanX, -0.15, 0.15);
        Assert.InRange(meanY, -0.15, 0.15);
        // Uniform in ±2 has a standard deviation of 2/√3 = 1.15.
        Assert.InRange(spreadX, 0.95, 1.45);
        Assert.InRange(spreadY, 0.95, 1.45);
    }

    [Fact]
    public void ElasticFieldsHaveTheSpreadOfTheirGaussianAndScale()
    {
        // Inside the picture α·G∗U(−1, 1) has variance α²/3·Σg², Σg² of the 2-D taps; at the centre of a 28x28 field
        // the taps out to 3σ = 12 px are all inside.
        float[] taps = ImageWarp.GaussianTaps(ImageAugmenter.ElasticSigma);
        double sumSquares = Math.Pow(taps.Sum(t => (double)t * t), 2);
        double expected = ImageAugmenter.ElasticAlpha * Math.Sqrt(sumSquares / 3);
        var augmenter = new ImageAugmenter(Augmentation.Elastic, Side, Side);
        var output = new float[Side * Side];
        double squares = 0;
        const int draws = 3000;
        for (int index = 0; index < draws; index++)
        {
            augmenter.Distort(Strokes(1), 3, 1, index, output);
            float dx = augmenter.FieldX[14 * augmenter.FieldStride + 14], dy = augmenter.FieldY[14 * augmenter.FieldStride + 14];
            squares += dx * dx + dy * dy;
        }
        double spread = Math.Sqrt(squares / (2 * draws));
        Assert.InRange(spread, expected * 0.9, expected * 1.1);
        Assert.InRange(expected, 1.2, 1.6); // σ = 4, α = 34: Simard's magnitudes move the middle of a digit about 1.4 px
    }

    [Fact]
    public void ADistortedImageOfASetKeepsItsIndexLabelAndClassName()
    {
        var data = new MnistDataSet("dots", null, Side, Side, Dot(3, 4).Concat(Dot(20, 20)).ToArray(), new byte[] { 1, 7 });
        MnistImage image = new ImageAugmenter(Augmentation.Shift, Side, Side).Distort(data, 1, seed: 4, epoch: 2);
        Assert.Equal((1, 7, "7", Side, Side), (image.Index, image.Label!.Value, image.ClassName, image.Rows, image.Columns));
        float[] inputs = Distort(Augmentation.Shift, Dot(20, 20), 4, 2, 1);
        Assert.Equal(inputs.Select(v => (byte)MathF.Round(v * 255f)), image.Pixels);
    }

    [Fact]
    public void AnUnknownKindIsRefused()
    {
        var e = Assert.Throws<MnistToolsException>(() => new ImageAugmenter((Augmentation)42, Side, Side));
        Assert.Equal("UnknownEnumValue", e.ErrorId);
    }
}
