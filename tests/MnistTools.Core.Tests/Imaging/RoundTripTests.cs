using MnistTools.Imaging;
using MnistTools.Layers;
using MnistTools.Numerics;
using MnistTools.Tests.Data;
using MnistTools.Training;
using SkiaSharp;
using Xunit.Abstractions;

namespace MnistTools.Tests.Imaging;

/// <summary>
/// The first 500 MNIST test digits drawn as a user would photograph them (4x larger, smoothly scaled, dark ink on
/// white paper, off-centre in a bigger picture), saved as PNG files and read back through
/// <see cref="HandwritingPreprocessor.LoadDigit"/>, the step behind ConvertTo-MnistImage and Get-Classification -Path.
/// </summary>
public sealed class RoundTripFixture : IDisposable
{
    public const int Count = 500;

    public RoundTripFixture()
    {
        Originals = RealDataTests.Load(train: false, first: Count);
        Folder = PictureHelpers.TempFolder();
        RoundTripped = new MnistImage[Count];
        for (int i = 0; i < Count; i++)
        {
            string path = Path.Combine(Folder, $"digit-{i}.png");
            File.WriteAllBytes(path, RoundTripTests.LargePicture(Originals, i));
            RoundTripped[i] = HandwritingPreprocessor.LoadDigit(path);
        }
    }

    public MnistDataSet Originals { get; }

    public MnistImage[] RoundTripped { get; }

    public string Folder { get; }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}

public class RoundTripTests : IClassFixture<RoundTripFixture>
{
    private const int Count = RoundTripFixture.Count;
    private readonly ITestOutputHelper _output;
    private readonly RoundTripFixture _fixture;

    public RoundTripTests(RoundTripFixture fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        _output = output;
    }

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
    public void LargeOffCentrePngsComeBackAsTheSameDigits()
    {
        MnistDataSet test = _fixture.Originals;
        MnistImage[] roundTripped = _fixture.RoundTripped;
        // Criterion: among the 500 originals, the one nearest (Euclidean) to each round-tripped picture is its own
        // original; stricter than "same class" (any of ~50 images of the class would do for that).
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

    [Fact]
    public void ANetworkClassifiesAtLeast95PercentOfRoundTrippedDigitsAsTheOriginals()
    {
        // One epoch of 784-64-10 ReLU/Softmax with Adam on the 60,000 training images (about 96% test accuracy).
        MnistDataSet train = RealDataTests.Load(train: true);
        var network = new Network(new[] { 784, 64, 10 }, Activation.ReLU, Activation.Softmax, Loss.CrossEntropy, seed: 1);
        new Trainer(network, new TrainingOptions { Optimizer = Optimizer.Adam, LearningRate = 0.001f, BatchSize = 32 }).TrainEpoch(train);

        int[] original = Classify(network, i => _fixture.Originals.GetPixels(i));
        int[] roundTripped = Classify(network, i => _fixture.RoundTripped[i].Pixels);
        int agree = 0, originalCorrect = 0, roundTrippedCorrect = 0;
        for (int i = 0; i < Count; i++)
        {
            if (original[i] == roundTripped[i]) agree++;
            if (original[i] == _fixture.Originals.GetLabel(i)) originalCorrect++;
            if (roundTripped[i] == _fixture.Originals.GetLabel(i)) roundTrippedCorrect++;
        }
        _output.WriteLine($"agreement {agree}/{Count}; correct: originals {originalCorrect}, round-tripped {roundTrippedCorrect}");
        Assert.True(agree >= 0.95 * Count, $"the network agrees on only {agree} of {Count} digits");
    }

    private delegate ReadOnlySpan<byte> PixelSource(int index);

    private static int[] Classify(Network network, PixelSource pixels)
    {
        var inputs = new float[Count * 784];
        for (int i = 0; i < Count; i++) PixelScaling.ToInputs(pixels(i), inputs.AsSpan(i * 784, 784));
        var outputs = new float[Count * 10];
        network.Predict(inputs, Count, outputs);
        var predicted = new int[Count];
        for (int i = 0; i < Count; i++)
        {
            ReadOnlySpan<float> row = outputs.AsSpan(i * 10, 10);
            int best = 0;
            for (int c = 1; c < 10; c++) if (row[c] > row[best]) best = c;
            predicted[i] = best;
        }
        return predicted;
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
