using MnistTools.Imaging;
using MnistTools.Tests.Data;
using SkiaSharp;
using Xunit.Abstractions;

namespace MnistTools.Tests.Imaging;

/// <summary>
/// Real MNIST test digits drawn as a user would photograph them (4x larger, smoothly scaled, dark ink on white
/// paper, off-centre in a bigger picture), saved as PNG files and read back through HandwritingPreprocessor.
/// </summary>
public class RoundTripTests
{
    private const int Count = 500;
    private readonly ITestOutputHelper _output;

    public RoundTripTests(ITestOutputHelper output) => _output = output;

    /// <summary>Image <paramref name="index"/> of <paramref name="set"/> as a large dark-on-light PNG.</summary>
    internal static byte[] LargePicture(MnistDataSet set, int index)
    {
        GraphicsLibrary.EnsureAvailable();
        const int scale = 4;
        using var digit = new SKBitmap(new SKImageInfo(28, 28, SKColorType.Gray8, SKAlphaType.Opaque));
        Span<byte> pixels = digit.GetPixelSpan();
        ReadOnlySpan<byte> source = set.GetPixels(index);
        for (int i = 0; i < source.Length; i++) pixels[i] = (byte)(255 - source[i]);

        int width = 28 * scale + 90, height = 28 * scale + 60;
        int left = 8 + index * 7 % 80, top = 4 + index * 11 % 52;         // off-centre, differently for each image
        using var picture = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(picture))
        {
            canvas.Clear(SKColors.White);
            using SKImage image = SKImage.FromBitmap(digit);
            canvas.DrawImage(image, new SKRect(left, top, left + 28 * scale, top + 28 * scale), new SKSamplingOptions(SKCubicResampler.Mitchell));
        }
        using SKImage encoded = SKImage.FromBitmap(picture);
        using SKData data = encoded.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    [Fact]
    public void LargeOffCentrePngsComeBackRecognisablyTheSameDigits()
    {
        MnistDataSet test = RealDataTests.Load(train: false, first: Count);
        string folder = PictureHelpers.TempFolder();
        try
        {
            var roundTripped = new MnistImage[Count];
            for (int i = 0; i < Count; i++)
            {
                string path = Path.Combine(folder, $"digit-{i}.png");
                File.WriteAllBytes(path, LargePicture(test, i));
                roundTripped[i] = HandwritingPreprocessor.LoadDigit(path);
            }

            // Criterion: among the 500 originals, the one nearest (Euclidean) to each round-tripped picture is its own
            // original; a stricter test than "same class" (any of ~50 images of the class would do for that).
            int ownNearest = 0;
            double correlationSum = 0;
            for (int i = 0; i < Count; i++)
            {
                int nearest = -1;
                long best = long.MaxValue;
                for (int j = 0; j < Count; j++)
                {
                    long d = SquaredDistance(roundTripped[i].Pixels, test.GetPixels(j));
                    if (d < best) { best = d; nearest = j; }
                }
                if (nearest == i) ownNearest++;
                correlationSum += Correlation(roundTripped[i].Pixels, test.GetPixels(i));
            }
            double identified = (double)ownNearest / Count, meanCorrelation = correlationSum / Count;
            _output.WriteLine($"own original nearest: {ownNearest}/{Count} ({identified:P1}); mean Pearson correlation {meanCorrelation:F3}");
            Assert.True(identified >= 0.95, $"only {identified:P1} of round-tripped digits are nearest to their own original");
            Assert.True(meanCorrelation >= 0.9, $"mean correlation with the original is {meanCorrelation:F3}");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static long SquaredDistance(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        long sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            int d = a[i] - b[i];
            sum += d * d;
        }
        return sum;
    }

    private static double Correlation(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        double meanA = 0, meanB = 0;
        for (int i = 0; i < a.Length; i++) { meanA += a[i]; meanB += b[i]; }
        meanA /= a.Length; meanB /= b.Length;
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double da = a[i] - meanA, db = b[i] - meanB;
            ab += da * db; aa += da * da; bb += db * db;
        }
        return ab / Math.Sqrt(aa * bb);
    }
}
