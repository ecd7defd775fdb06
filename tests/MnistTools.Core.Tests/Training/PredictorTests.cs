using MnistTools.Errors;
using MnistTools.Layers;
using MnistTools.Numerics;
using MnistTools.Training;
using Xunit.Abstractions;

namespace MnistTools.Tests.Training;

/// <summary>
/// The one inference path (<see cref="Predictor"/>, behind Test-Network, Get-Classification, Network.Predict and ensembles):
/// its chunks on one thread and two give the bits of forwarding every image alone, and a kept predictor allocates nothing
/// per call.
/// </summary>
[Collection(AllocationCollection.Name)]
public class PredictorTests(ITestOutputHelper output)
{
    /// <summary>A small convolutional net: 29 images per chunk (8 without AVX-512), so a few thousand images cross many
    /// chunk boundaries and a job boundary (141 chunks of 29 = 4,089 images).</summary>
    private static Network ConvNetwork() => new([1, 28, 28],
        LayerSpec.ParseAll(["Conv2d 32 3 ReLU", "MaxPool2d 2", "Conv2d 16 3 ReLU", "MaxPool2d 2", "Dropout 0.5", "Dense 3 Softmax"]),
        Loss.CrossEntropy, Initializer.Default, seed: 5);

    /// <summary>256 images per chunk (the largest chunk).</summary>
    private static Network DenseNetwork() => new([784, 30, 3], Activation.ReLU, Activation.Softmax, Loss.CrossEntropy, seed: 6);

    /// <summary>The reference: every image alone through the same production forward path, on the calling thread, in fresh
    /// one-row buffers.</summary>
    private static float[] OneByOne(Network network, ReadOnlySpan<byte> pixels, int count)
    {
        int size = network.InputSize, classes = network.OutputSize;
        var scores = new float[count * classes];
        var buffers = new BatchBuffers(network.Stack, 1, training: false, lanes: 1);
        for (int i = 0; i < count; i++)
        {
            PixelScaling.ToInputs(pixels.Slice(i * size, size), buffers.Input.AsSpan(0, size));
            Propagation.Forward(network.Stack, buffers, 0, 1, 0, LaneKey.Inference);
            buffers.Scores.AsSpan(0, classes).CopyTo(scores.AsSpan(i * classes, classes));
        }
        return scores;
    }

    private static IEnumerable<int> CountsAround(int chunk, int job)
    {
        IEnumerable<int> counts = Enumerable.Range(0, 2 * chunk + 3);
        foreach (int boundary in new[] { 3 * chunk, 7 * chunk, job, job + chunk })
            counts = counts.Concat([boundary - 1, boundary, boundary + 1]);
        return counts.Distinct().Order();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ChunksOnOneAndTwoThreadsGiveTheBitsOfOneImageAtATime(bool convolutional)
    {
        Network network = convolutional ? ConvNetwork() : DenseNetwork();
        var predictor = new Predictor(network);
        // 2^18 floats over the input and the outputs a chunk writes: 8 rows of the conv net, 29 where its first convolution
        // and pooling run as one pass (AVX-512) and the convolution's 32x26x26 output is not written.
        int convolutionalRows = ComputeSettings.InstructionSet == InstructionSet.Avx512 ? 29 : 8;
        Assert.Equal(convolutional ? convolutionalRows : 256, predictor.ChunkRows);
        int job = 4096 / predictor.ChunkRows * predictor.ChunkRows;
        int[] counts = CountsAround(predictor.ChunkRows, job).ToArray();
        MnistDataSet data = SyntheticData.Images(counts.Max(), seed: 9);
        float[] expected = OneByOne(network, data.Pixels, data.Count);
        Assert.Contains(expected, score => score is > 0.01f and < 0.99f);
        int classes = network.OutputSize;
        // Few large allocations (other test classes measure allocation windows without a collection in them).
        var scores = new float[data.Count * classes + 1];
        foreach (int threads in new[] { 1, 2 })
        {
            // One predictor for every count (its buffers reused and grown), and a fresh one per call (Network.PredictPixels).
            foreach (int count in counts)
            {
                scores.AsSpan().Fill(42f);
                predictor.PredictPixels(data.Pixels, count, scores, threads);
                Assert.True(expected.AsSpan(0, count * classes).SequenceEqual(scores.AsSpan(0, count * classes)), $"{count} images, {threads} thread(s)");
                Assert.Equal(42f, scores[count * classes]); // nothing written past the rows
                if (count > 2 * predictor.ChunkRows + 2 && count != job + 1) continue;
                scores.AsSpan().Fill(42f);
                network.PredictPixels(data.Pixels, count, scores, threads);
                Assert.True(expected.AsSpan(0, count * classes).SequenceEqual(scores.AsSpan(0, count * classes)), $"{count} images, {threads} thread(s), Network.PredictPixels");
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ScaledInputsGiveTheBitsOfTheirPixels(int threads)
    {
        Network network = ConvNetwork();
        MnistDataSet data = SyntheticData.Images(37, seed: 4);
        var inputs = new float[data.Pixels.Length];
        PixelScaling.ToInputs(data.Pixels, inputs);
        var fromInputs = new float[37 * 3];
        new Predictor(network).Predict(inputs, 37, fromInputs, threads);
        Assert.Equal(OneByOne(network, data.Pixels, 37), fromInputs);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void EvaluationCountsWhatThePredictionsSay(int threads)
    {
        Network network = ConvNetwork();
        MnistDataSet data = SyntheticData.Images(8 * 40 + 3, seed: 2);
        float[] scores = OneByOne(network, data.Pixels, data.Count);
        var confusion = new int[3, 3];
        for (int i = 0; i < data.Count; i++) confusion[data.GetLabel(i), Classification.PredictedClass(scores.AsSpan(i * 3, 3))]++;
        TestResult result = new Evaluator(network).Evaluate(data, threadCount: threads);
        Assert.Equal(confusion, result.ConfusionMatrix.ToArray());
        Assert.Equal(data.Count, result.Total);
    }

    /// <summary>
    /// A pipeline of single images (Get-Classification's case) on a kept predictor, and on a kept ensemble, allocates
    /// nothing per image after the first call: no buffers, no score arrays. With two threads forced too.
    /// </summary>
    [Theory]
    [InlineData(false, 1)]
    [InlineData(false, 2)]
    [InlineData(true, 1)]
    [InlineData(true, 2)]
    public void SingleImagesOnAKeptPredictorAllocateNothing(bool ensemble, int threads)
    {
        Network network = ConvNetwork();
        MnistDataSet data = SyntheticData.Images(50, seed: 3);
        var predictor = new Predictor(network);
        var voters = new Ensemble([network, ConvNetwork(), DenseNetwork()]);
        var scores = new float[3];
        using var scope = ComputeSettings.Override(threads: threads);
        void Classify(int first, int count)
        {
            for (int i = first; i < first + count; i++)
            {
                if (ensemble) voters.PredictPixels(data.GetPixels(i), 1, scores);
                else predictor.PredictPixels(data.GetPixels(i), 1, scores);
            }
        }
        Classify(0, 2);
        long allocated = AllocationTests.Allocated(() => Classify(2, 48));
        output.WriteLine($"{allocated} bytes over 48 images");
        Assert.Equal(0, allocated);
    }

    /// <summary>A kept predictor's later calls on whole sets allocate nothing either.</summary>
    [Fact]
    public void SetsOnAKeptPredictorAllocateNothing()
    {
        Network network = ConvNetwork();
        MnistDataSet data = SyntheticData.Images(100, seed: 3);
        var predictor = new Predictor(network);
        var scores = new float[100 * 3];
        predictor.PredictPixels(data.Pixels, 100, scores);
        Assert.Equal(0, AllocationTests.Allocated(() =>
        {
            for (int call = 0; call < 5; call++) predictor.PredictPixels(data.Pixels, 100 - call, scores);
        }));
    }

    [Fact]
    public void ANetworkTrainedElsewhereIsRefused()
    {
        Network network = DenseNetwork();
        var predictor = new Predictor(network);
        var trainer = new Thread(() => network.EnterTraining());
        trainer.Start();
        trainer.Join();
        var e = Assert.Throws<MnistToolsException>(() => predictor.PredictPixels(new byte[784], 1, new float[3]));
        Assert.Equal(ErrorIds.NetworkInUse, e.ErrorId);
    }
}
