using MnistTools.Errors;
using MnistTools.Layers;
using MnistTools.Numerics;
using MnistTools.Training;

namespace MnistTools.Tests.Training;

/// <summary>
/// A call's thread count (TrainingOptions.ThreadCount, Evaluate's and Predict's threadCount): the same bits for 1, 2 and
/// the default, checked on entry, and scoped to the call (the thread's setting afterwards is what it was before).
/// </summary>
public class ThreadCountTests
{
    private static readonly MnistDataSet Data = SyntheticData.Images(600);

    private static Network NewNetwork() =>
        new(new[] { 784, 96, 3 }, Activation.ReLU, Activation.Softmax, Loss.CrossEntropy, Initializer.Default, seed: 11);

    public static TheoryData<int?> Counts => new() { null, 1, 2 };

    private static (float[] Parameters, double Loss, float[] Scores) Run(int? threads)
    {
        Network network = NewNetwork();
        var trainer = new Trainer(network, new TrainingOptions { Optimizer = Optimizer.Adam, BatchSize = 100, ThreadCount = threads });
        trainer.TrainEpoch(Data, validation: Data);
        double loss = new Evaluator(network).Evaluate(Data, threadCount: threads).Loss;
        float[] scores = new float[Data.Count * 3];
        network.PredictPixels(Data.Pixels, Data.Count, scores, threads);
        return (network.Parameters.ToArray(), loss, scores);
    }

    [Fact]
    public void EveryCountGivesTheSameBits()
    {
        var reference = Run(null);
        foreach (int threads in new[] { 1, 2 })
        {
            var run = Run(threads);
            Assert.True(reference.Parameters.AsSpan().SequenceEqual(run.Parameters), $"parameters after training with {threads} thread(s)");
            Assert.Equal(BitConverter.DoubleToInt64Bits(reference.Loss), BitConverter.DoubleToInt64Bits(run.Loss));
            Assert.True(reference.Scores.AsSpan().SequenceEqual(run.Scores), $"scores with {threads} thread(s)");
        }
    }

    [Theory]
    [MemberData(nameof(Counts))]
    public void TheSettingLastsForTheCallOnly(int? threads)
    {
        int? before = ComputeSettings.ForcedThreads;
        Network network = NewNetwork();
        var trainer = new Trainer(network, new TrainingOptions { BatchSize = 100, ThreadCount = threads });
        var during = new List<int?>();
        // The progress callbacks run on the calling thread inside the call: they see the call's setting.
        trainer.TrainEpoch(Data, progress: _ => during.Add(ComputeSettings.ForcedThreads));
        new Evaluator(network).Evaluate(Data, progress: (_, _) => during.Add(ComputeSettings.ForcedThreads), threadCount: threads);
        Assert.NotEmpty(during);
        Assert.All(during, seen => Assert.Equal(threads ?? before, seen));
        Assert.Equal(before, ComputeSettings.ForcedThreads);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(-1)]
    public void OutOfRangeCountsAreRefused(int threads)
    {
        Network network = NewNetwork();
        var training = Assert.Throws<MnistToolsException>(() => new Trainer(network, new TrainingOptions { ThreadCount = threads }));
        var evaluation = Assert.Throws<MnistToolsException>(() => new Evaluator(network).Evaluate(Data, threadCount: threads));
        var prediction = Assert.Throws<MnistToolsException>(() => network.PredictPixels(Data.Pixels, 1, new float[3], threads));
        foreach (MnistToolsException error in new[] { training, evaluation, prediction })
        {
            Assert.Equal(ErrorIds.ThreadCountOutOfRange, error.ErrorId);
            Assert.Equal(FailureKind.InvalidArgument, error.Kind);
            Assert.Equal("ThreadCount", error.Target);
        }
    }
}
