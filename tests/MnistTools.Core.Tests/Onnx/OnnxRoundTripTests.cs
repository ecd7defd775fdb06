using MnistTools.Layers;
using MnistTools.Onnx;
using MnistTools.Tests.Data;
using MnistTools.Tests.Persistence;
using MnistTools.Training;
using Xunit.Abstractions;

namespace MnistTools.Tests.Onnx;

/// <summary>
/// Export-Network then Import-Network of MnistTools networks (dense, convolutional, BatchNorm with trained running
/// statistics, both pools, GlobalAvgPool, bias=false, LeakyReLU slopes) gives the same layer list, the same parameters and state bit for
/// bit and the same scores bit for bit; and an imported PyTorch network fine-tunes.
/// </summary>
public class OnnxRoundTripTests(ITestOutputHelper output)
{
    private static readonly Lazy<MnistDataSet> TrainSubset = new(() => RealDataTests.Load(train: true, first: 3000));
    private static readonly Lazy<MnistDataSet> TestSubset = new(() => RealDataTests.Load(train: false, first: 1000));

    public static TheoryData<string, string, string> Networks() => new()
    {
        { "dense sigmoid", "784", "Dense 30 Sigmoid, Dense 10 Sigmoid" },
        { "dense", "784", "Dense 64 ReLU, Dense 32 Tanh, Dense 16 LeakyReLU, Dense 10 Softmax" },
        { "conv", "1,28,28", "Conv2d 4 3 ReLU, MaxPool2d 2, Conv2d 6 4 stride=2 padding=same Sigmoid, Dense 10 Softmax" },
        { "LeNet-5", "1,28,28", "Conv2d 6 5 padding=same ReLU, MaxPool2d 2, Conv2d 16 5 ReLU, MaxPool2d 2, Dense 120 ReLU, Dense 84 ReLU, Dense 10 Softmax" },
        { "batch norm", "1,28,28", "Conv2d 6 3 bias=false, BatchNorm ReLU, AvgPool2d 2, Conv2d 8 3 padding=same, BatchNorm momentum=0.2 eps=0.001 Tanh, MaxPool2d 2, Dense 16 bias=false, BatchNorm ReLU, Dense 10 Softmax" },
        { "pools", "1,28,28", "Conv2d 4 3 ReLU, AvgPool2d 3 stride=2, Conv2d 8 3 ReLU, MaxPool2d 3 stride=2, Conv2d 8 1, GlobalAvgPool, Dense 10 Softmax" },
        { "leaky slopes", "1,28,28", "Conv2d 4 3 LeakyReLU slope=0.1, Conv2d 6 3 padding=same bias=false, BatchNorm LeakyReLU slope=0.2, MaxPool2d 2, Dense 16 LeakyReLU slope=0, Dense 10 Softmax" },
        { "dense leaky slope", "784", "Dense 32 LeakyReLU slope=-0.25, Dense 16 LeakyReLU slope=0.3333333, Dense 10 Sigmoid" },
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void ExportThenImportGivesTheSameNetworkBitForBit(string name, string input, string architecture)
    {
        int[] shape = input.Split(',').Select(int.Parse).ToArray();
        var network = new Network(shape, LayerSpec.ParseAll(architecture.Split(", ")), Loss.CrossEntropy, Initializer.Default, seed: 5);
        new Trainer(network, new TrainingOptions { Optimizer = Optimizer.Adam, BatchSize = 32, LearningRate = 0.003f }).TrainEpoch(TrainSubset.Value);

        Network back = OnnxImporter.FromBytes(OnnxExporter.ToBytes(network), name + ".onnx");

        Assert.Equal(network.Architecture, back.Architecture);
        Assert.Equal(network.InputShape, back.InputShape);
        Assert.Equal(network.OutputActivation, back.OutputActivation);
        AssertSameBits(network.GetParameters(), back.GetParameters());
        if (network.StateCount > 0) AssertSameBits(network.GetState(), back.GetState());
        MnistDataSet test = TestSubset.Value;
        AssertSameBits(NetworkPersistenceTests.Scores(network, test), NetworkPersistenceTests.Scores(back, test));
        output.WriteLine($"{name}: {back.Architecture}, {back.ParameterCount} parameters, {back.StateCount} state values: same bits");
    }

    /// <summary>Dropout is the identity at inference, so the exporter writes no node for it and the import has no Dropout
    /// layers; everything else (an explicit Flatten, every weight, every score) comes back the same, bit for bit.</summary>
    [Fact]
    public void ANetworkWithDropoutComesBackWithoutItsDropoutLayersAndTheSameBits()
    {
        const string architecture = "Conv2d 4 3 LeakyReLU slope=0.2, Dropout 0.5, MaxPool2d 2, Dropout 0.25, Flatten, Dense 32 ReLU, Dropout 0.5, Dense 10 Softmax";
        var network = new Network([1, 28, 28], LayerSpec.ParseAll(architecture.Split(", ")), Loss.CrossEntropy, Initializer.Default, seed: 5);
        new Trainer(network, new TrainingOptions { Optimizer = Optimizer.Adam, BatchSize = 32, LearningRate = 0.003f }).TrainEpoch(TrainSubset.Value);

        Network back = OnnxImporter.FromBytes(OnnxExporter.ToBytes(network), "dropout.onnx");

        Assert.Equal("Conv2d 4 3 LeakyReLU slope=0.2, MaxPool2d 2, Flatten, Dense 32 ReLU, Dense 10 Softmax", back.Architecture);
        AssertSameBits(network.GetParameters(), back.GetParameters());
        MnistDataSet test = TestSubset.Value;
        AssertSameBits(NetworkPersistenceTests.Scores(network, test), NetworkPersistenceTests.Scores(back, test));
    }

    private static void AssertSameBits(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        int first = Enumerable.Range(0, expected.Length).FirstOrDefault(i => BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]), -1);
        Assert.True(first < 0, $"value {first} differs: {(first < 0 ? 0 : expected[first])} vs {(first < 0 ? 0 : actual[first])}");
    }

    /// <summary>LeNet-5 from PyTorch, fine-tuned for one epoch of Adam on 3,000 training images: its accuracy on the whole
    /// test set stays high (it started at 93.73 %, trained on 20,000 images) and rises; the same seed gives the same bits.</summary>
    [Fact]
    public void AnImportedPyTorchNetworkFineTunes()
    {
        MnistDataSet test = RealDataTests.Load(train: false);
        Network network = OnnxImportTests.Import("lenet5"), again = OnnxImportTests.Import("lenet5");
        double before = new Evaluator(network).Evaluate(test).Accuracy;
        var options = new TrainingOptions { Optimizer = Optimizer.Adam, BatchSize = 32, LearningRate = 0.001f, Seed = 3 };
        new Trainer(network, options).TrainEpoch(TrainSubset.Value);
        new Trainer(again, options).TrainEpoch(TrainSubset.Value);
        double after = new Evaluator(network).Evaluate(test).Accuracy;
        output.WriteLine($"lenet5: {before:P2} before, {after:P2} after one epoch of Adam on {TrainSubset.Value.Count} images");
        Assert.True(after > before, $"{after} after vs {before} before");
        AssertSameBits(network.GetParameters(), again.GetParameters());
    }
}
