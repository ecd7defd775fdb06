using MnistTools.Errors;
using MnistTools.Layers;
using MnistTools.Numerics;
using MnistTools.Persistence;
using MnistTools.Tests.Data;
using MnistTools.Training;

namespace MnistTools.Tests.Persistence;

/// <summary>Save/load of real <see cref="Network"/>s: bit-exact parameters, scores, optimizer state, and exact resumption of training.</summary>
public class NetworkPersistenceTests
{
    private static readonly Lazy<MnistDataSet> TrainSubset = new(() => RealDataTests.Load(train: true, first: 2000));
    private static readonly Lazy<MnistDataSet> TestSubset = new(() => RealDataTests.Load(train: false, first: 1000));

    internal static float[] Inputs(MnistDataSet set)
    {
        float[] inputs = new float[set.Pixels.Length];
        PixelScaling.ToInputs(set.Pixels, inputs);
        return inputs;
    }

    internal static float[] Scores(Network network, MnistDataSet set)
    {
        float[] scores = new float[set.Count * network.OutputSize];
        network.Predict(Inputs(set), set.Count, scores);
        return scores;
    }

    private static Trainer Train(Network network, Optimizer optimizer, int epochs)
    {
        var trainer = new Trainer(network, new TrainingOptions { Optimizer = optimizer, BatchSize = 50, LearningRate = optimizer == Optimizer.Sgd ? 0.5f : null });
        for (int e = 0; e < epochs; e++) trainer.TrainEpoch(TrainSubset.Value);
        return trainer;
    }

    [Theory]
    [InlineData(Optimizer.Sgd, Activation.Sigmoid, Activation.Sigmoid, Loss.Quadratic)]
    [InlineData(Optimizer.Momentum, Activation.Tanh, Activation.Softmax, Loss.CrossEntropy)]
    [InlineData(Optimizer.Adam, Activation.ReLU, Activation.Softmax, Loss.CrossEntropy)]
    public void TrainedNetworkRoundTripsBitExact(Optimizer optimizer, Activation activation, Activation output, Loss loss)
    {
        using var folder = new TempFolder();
        string path = folder.File("net.safetensors");
        var original = new Network(new[] { 784, 24, 16, 10 }, activation, output, loss, Initializer.Default, seed: 5);
        Train(original, optimizer, 1);
        original.Metadata["DataSet"] = "mnist-train";

        NetworkPersistence.Save(original, path, overwrite: false, new Dictionary<string, string> { ["TestAccuracy"] = "0.91" });
        Network imported = NetworkPersistence.Load(path);

        Assert.Equal(original.LayerSizes, imported.LayerSizes);
        Assert.Equal((original.Activation, original.OutputActivation, original.Loss, original.Initializer, original.Seed),
            (imported.Activation, imported.OutputActivation, imported.Loss, imported.Initializer, imported.Seed));
        Assert.Equal(1, imported.EpochsTrained);
        SnapshotFactory.AssertBitsEqual(original.GetParameters(), imported.GetParameters());
        SnapshotFactory.AssertBitsEqual(Scores(original, TestSubset.Value), Scores(imported, TestSubset.Value));

        OptimizerState a = original.OptimizerState!, b = imported.OptimizerState!;
        Assert.NotNull(b);
        Assert.Equal((a.Kind, a.Step, a.Momentum, a.Beta1, a.Beta2, a.Epsilon), (b.Kind, b.Step, b.Momentum, b.Beta1, b.Beta2, b.Epsilon));
        Assert.True(b.Step > 0);
        SnapshotFactory.AssertBitsEqual(a.Velocity, b.Velocity);
        SnapshotFactory.AssertBitsEqual(a.FirstMoment, b.FirstMoment);
        SnapshotFactory.AssertBitsEqual(a.SecondMoment, b.SecondMoment);

        Assert.Equal("mnist-train", imported.Metadata["DataSet"]);
        Assert.Equal("0.91", imported.Metadata["TestAccuracy"]);
        Assert.False(original.Metadata.ContainsKey("TestAccuracy")); // extra metadata goes to the file only
    }

    [Theory]
    [InlineData(Optimizer.Sgd)]
    [InlineData(Optimizer.Momentum)]
    [InlineData(Optimizer.Adam)]
    public void ResumingAfterARoundTripEqualsTrainingOn(Optimizer optimizer)
    {
        using var folder = new TempFolder();
        string path = folder.File("resume.safetensors");
        int[] sizes = { 784, 20, 10 };

        var straight = new Network(sizes, Activation.Sigmoid, Activation.Softmax, Loss.CrossEntropy, Initializer.Default, seed: 11);
        Train(straight, optimizer, 2);

        var first = new Network(sizes, Activation.Sigmoid, Activation.Softmax, Loss.CrossEntropy, Initializer.Default, seed: 11);
        Train(first, optimizer, 1);
        NetworkPersistence.Save(first, path, overwrite: false);
        Network resumed = NetworkPersistence.Load(path);
        Train(resumed, optimizer, 1);

        Assert.Equal(2, resumed.EpochsTrained);
        Assert.Equal(straight.OptimizerState!.Step, resumed.OptimizerState!.Step);
        SnapshotFactory.AssertBitsEqual(straight.GetParameters(), resumed.GetParameters());
        SnapshotFactory.AssertBitsEqual(straight.OptimizerState.FirstMoment ?? straight.OptimizerState.Velocity,
            resumed.OptimizerState.FirstMoment ?? resumed.OptimizerState.Velocity);
        // And the round trip mattered: a network that lost its training state would diverge from the straight run.
        Assert.NotEqual(straight.GetParameters(), first.GetParameters());
    }

    [Fact]
    public void UntrainedNetworkRoundTripsWithoutOptimizerState()
    {
        using var folder = new TempFolder();
        string path = folder.File("new.safetensors");
        var original = new Network(new[] { 784, 30, 10 }, Activation.LeakyReLU, Activation.Softmax, Loss.CrossEntropy, Initializer.He, seed: -3);
        NetworkPersistence.Save(original, path, overwrite: false);
        Network imported = NetworkPersistence.Load(path);
        Assert.Null(imported.OptimizerState);
        Assert.Equal(0, imported.EpochsTrained);
        Assert.Equal(-3, imported.Seed);
        SnapshotFactory.AssertBitsEqual(Scores(original, TestSubset.Value), Scores(imported, TestSubset.Value));
    }

    [Fact]
    public void OptimizerStateMissingItsBuffersIsInvalidData()
    {
        using var folder = new TempFolder();
        string path = folder.File("nobuffers.safetensors");
        NetworkSnapshot snapshot = SnapshotFactory.Create(new[] { 6, 5, 3 }, optimizer: null);
        NetworkFileWriter.Write(path, new NetworkSnapshot
        {
            LayerSizes = snapshot.LayerSizes, Parameters = snapshot.Parameters,
            Optimizer = new OptimizerState { Kind = Optimizer.Adam, Step = 3 }, // Adam without its moments
        }, overwrite: false);
        var e = Assert.Throws<MnistToolsException>(() => NetworkPersistence.Load(path));
        Assert.Equal(FailureKind.InvalidData, e.Kind);
        Assert.Equal(path, e.Target);
        Assert.Contains("FirstMoment", e.Message);
    }
}
