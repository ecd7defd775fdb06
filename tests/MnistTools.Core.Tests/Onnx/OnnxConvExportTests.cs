using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.OnnxRuntime;
using MnistTools.Errors;
using MnistTools.Layers;
using MnistTools.Onnx;
using MnistTools.Tests.Data;
using MnistTools.Tests.Persistence;
using MnistTools.Training;
using Xunit.Abstractions;

namespace MnistTools.Tests.Onnx;

/// <summary>
/// Convolutional networks exported to ONNX (Reshape, Conv, MaxPool, AveragePool, GlobalAveragePool, BatchNormalization,
/// Flatten, Gemm, every activation and LeakyRelu of any alpha; Dropout left out) give, in ONNX
/// Runtime, the module's own scores on 2,000 real MNIST test images: max |ORT - Network.Predict| &lt;= 1e-5, after a
/// short training run so the weights are not the initial ones.
/// </summary>
public class OnnxConvExportTests(ITestOutputHelper output)
{
    private static readonly Lazy<MnistDataSet> TrainSubset = new(() => RealDataTests.Load(train: true, first: 3000));
    private static readonly Lazy<MnistDataSet> TestSet = new(() => RealDataTests.Load(train: false, first: 2000));

    /// <summary>Layer lists joined by ", " (as Network.Architecture writes them), each with what it covers.</summary>
    public static TheoryData<string, string> Networks() => new()
    {
        // valid padding, one input channel, a pool that divides its input (26 -> 13)
        { "valid", "Conv2d 4 3 ReLU, MaxPool2d 2, Dense 10 Softmax" },
        // same padding with an even kernel (pads 1 before, 2 after), then a convolution over 3 channels
        { "same", "Conv2d 3 4 padding=same ReLU, Conv2d 5 3 padding=same Tanh, MaxPool2d 2, Dense 10 Softmax" },
        // stride 2 valid (28 -> 13), then stride 2 same on an odd size (13 -> 7, pads 1 before, 2 after)
        { "stride 2", "Conv2d 4 3 stride=2 LeakyReLU, Conv2d 6 4 stride=2 padding=same Sigmoid, Dense 10 Softmax" },
        // pools that do not divide their input: 26 -> 8 (two rows unread), and overlapping windows 26 -> 12 (one row
        // unread); sigmoid scores
        { "pool 3", "Conv2d 5 3 ReLU, MaxPool2d 3, Dense 10 Sigmoid" },
        { "pool 3 stride 2", "Conv2d 5 3 ReLU, MaxPool2d 3 stride=2, Dense 16 ReLU, Dense 10 Softmax" },
        // dropout after a convolution, after pooling and after a dense layer: the identity at inference
        { "dropout", "Conv2d 4 3 ReLU, Dropout 0.5, MaxPool2d 2, Dropout 0.25, Dense 32 ReLU, Dropout 0.5, Dense 10 Softmax" },
        // a convolution without activation, and Flatten written out
        { "no activation", "Conv2d 4 5, MaxPool2d 2, Flatten, Dense 10 Softmax" },
        // LeNet-5 as the contract writes it
        { "LeNet-5", "Conv2d 6 5 padding=same ReLU, MaxPool2d 2, Conv2d 16 5 ReLU, MaxPool2d 2, Dense 120 ReLU, Dense 84 ReLU, Dense 10 Softmax" },
        // BatchNormalization with trained running statistics, bias-less Conv and Gemm, AveragePool, GlobalAveragePool + Flatten
        { "batch norm", "Conv2d 6 3 bias=false, BatchNorm ReLU, AvgPool2d 2, Conv2d 8 3 padding=same, BatchNorm momentum=0.2 eps=0.001 Tanh, MaxPool2d 2, Dense 16 bias=false, BatchNorm ReLU, Dense 10 Softmax" },
        { "avg pool stride", "Conv2d 4 3 ReLU, AvgPool2d 3 stride=2, Dense 10 Softmax" },
        // LeakyReLU slopes other than 0.01 (LeakyRelu's alpha) after a Conv, a BatchNorm with trained statistics and a Gemm;
        // slope 0 after the Dense; a negative slope
        { "leaky slopes", "Conv2d 4 3 LeakyReLU slope=0.1, Conv2d 6 3 padding=same bias=false, BatchNorm LeakyReLU slope=0.2, MaxPool2d 2, Dense 16 LeakyReLU slope=0, Dense 10 Softmax" },
        { "leaky slopes, sigmoid scores", "Conv2d 8 3 stride=2 LeakyReLU slope=0.3, MaxPool2d 2, Dense 16 LeakyReLU slope=-0.25, Dense 10 Sigmoid" },
    };

    private static float[] RunOnnx(byte[] model, float[] inputs, int count, int width, Action<InferenceSession>? inspect = null)
    {
        using var session = new InferenceSession(model, new SessionOptions { IntraOpNumThreads = 1 });
        inspect?.Invoke(session);
        var tensor = new DenseTensor<float>(inputs, new[] { count, width });
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor(OnnxExporter.InputName, tensor) });
        return results.Single(r => r.Name == OnnxExporter.OutputName).AsEnumerable<float>().ToArray();
    }

    private static Network Build(string architecture, int[] inputShape, int seed) =>
        new(inputShape, LayerSpec.ParseAll(architecture.Split(", ")), Loss.CrossEntropy, Initializer.Default, seed);

    [Theory]
    [MemberData(nameof(Networks))]
    public void OnnxRuntimeMatchesPredictOnRealImages(string name, string architecture)
    {
        Network network = Build(architecture, [1, 28, 28], seed: 7);
        new Trainer(network, new TrainingOptions { Optimizer = Optimizer.Adam, BatchSize = 32, LearningRate = 0.003f }).TrainEpoch(TrainSubset.Value);
        network.Metadata["DataSet"] = "mnist";

        MnistDataSet test = TestSet.Value;
        float[] expected = NetworkPersistenceTests.Scores(network, test);
        float[] actual = RunOnnx(OnnxExporter.ToBytes(network), NetworkPersistenceTests.Inputs(test), test.Count, 784, session =>
        {
            Assert.Equal(new[] { -1, 784 }, session.InputMetadata[OnnxExporter.InputName].Dimensions);
            Assert.Equal(new[] { -1, 10 }, session.OutputMetadata[OnnxExporter.OutputName].Dimensions);
            Assert.Equal("1,28,28", session.ModelMetadata.CustomMetadataMap["mnisttools.input_shape"]);
            Assert.Equal(network.Architecture, session.ModelMetadata.CustomMetadataMap["mnisttools.layers"]);
            Assert.False(session.ModelMetadata.CustomMetadataMap.ContainsKey("mnisttools.layer_sizes"));
            Assert.Equal("mnist", session.ModelMetadata.CustomMetadataMap["user.DataSet"]);
        });

        (float maxDifference, int agree, int correct) = Compare(expected, actual, test);
        output.WriteLine($"{name} ({network.Architecture}): max |ONNX Runtime - Predict| = {maxDifference:E2} over {test.Count} test images x 10 scores; " +
            $"argmax agrees on {agree}/{test.Count}; module accuracy {correct / (double)test.Count:P1}");
        Assert.True(maxDifference <= OnnxExportTests.Tolerance, $"{name}: max abs difference {maxDifference:E3} exceeds {OnnxExportTests.Tolerance:E0}.");
        Assert.True(correct > test.Count / 2, $"The network should be trained (accuracy {correct}/{test.Count}), or the comparison proves little.");
    }

    [Fact]
    public void ImageInputOfSeveralChannelsIsReshapedChannelsFirst()
    {
        // 784 values read as 2 channels of 14 x 28: the Reshape node must give [N, 2, 14, 28] in the module's order
        // (channel, row, column). The data set's images are 28 x 28, so the weights stay the seeded ones.
        Network network = Build("Conv2d 3 3 stride=2 ReLU, MaxPool2d 2, Dense 10 Softmax", [2, 14, 28], seed: 5);
        MnistDataSet test = TestSet.Value;
        float[] expected = NetworkPersistenceTests.Scores(network, test);
        float[] actual = RunOnnx(OnnxExporter.ToBytes(network), NetworkPersistenceTests.Inputs(test), test.Count, 784,
            session => Assert.Equal("2,14,28", session.ModelMetadata.CustomMetadataMap["mnisttools.input_shape"]));
        (float maxDifference, _, _) = Compare(expected, actual, test);
        output.WriteLine($"2x14x28 input: max |ONNX Runtime - Predict| = {maxDifference:E2}");
        Assert.True(maxDifference <= OnnxExportTests.Tolerance, $"max abs difference {maxDifference:E3} exceeds {OnnxExportTests.Tolerance:E0}.");
    }

    [Fact]
    public void ABatchNormNetworkRoundTripsThroughTheNetworkFileWithItsRunningStatistics()
    {
        Network network = Build("Conv2d 4 3 bias=false, BatchNorm ReLU, MaxPool2d 2, GlobalAvgPool, Dense 12, BatchNorm Sigmoid, Dense 10 Softmax", [1, 28, 28], seed: 4);
        new Trainer(network, new TrainingOptions { Optimizer = Optimizer.Adam, BatchSize = 50, LearningRate = 0.01f }).TrainEpoch(TrainSubset.Value);
        float[] state = network.GetState();
        Assert.Equal(2 * 4 + 2 * 12, state.Length);
        Assert.Contains(state, value => value != 0f && value != 1f); // trained: the running statistics moved from 0 and 1
        using var folder = new TempFolder();
        string path = folder.File("bn.safetensors");
        MnistTools.Persistence.NetworkPersistence.Save(network, path, overwrite: false);
        Network back = MnistTools.Persistence.NetworkPersistence.Load(path);
        Assert.Equal(network.Architecture, back.Architecture);
        Assert.Equal(network.GetParameters(), back.GetParameters());
        Assert.Equal(state, back.GetState());
        MnistDataSet test = TestSet.Value;
        Assert.Equal(NetworkPersistenceTests.Scores(network, test), NetworkPersistenceTests.Scores(back, test));
        Assert.Equal(OnnxExporter.ToBytes(network), OnnxExporter.ToBytes(back));
        // GlobalAveragePool (+ Flatten) and BatchNormalization on a vector, against ONNX Runtime.
        float[] actual = RunOnnx(OnnxExporter.ToBytes(network), NetworkPersistenceTests.Inputs(test), test.Count, 784);
        (float maxDifference, _, _) = Compare(NetworkPersistenceTests.Scores(network, test), actual, test);
        Assert.True(maxDifference <= OnnxExportTests.Tolerance, $"max abs difference {maxDifference:E3} exceeds {OnnxExportTests.Tolerance:E0}.");
    }

    [Fact]
    public void ExportedConvolutionalModelIsDeterministicAndRoundTripsThroughTheNetworkFile()
    {
        Network network = Build("Conv2d 2 3 ReLU, MaxPool2d 2, Dropout 0.5, Dense 10 Softmax", [1, 28, 28], seed: 9);
        byte[] model = OnnxExporter.ToBytes(network);
        Assert.Equal(model, OnnxExporter.ToBytes(network));
        using var folder = new TempFolder();
        string path = folder.File("conv.safetensors");
        MnistTools.Persistence.NetworkPersistence.Save(network, path, overwrite: false);
        Assert.Equal(model, OnnxExporter.ToBytes(MnistTools.Persistence.NetworkPersistence.Load(path)));
    }

    [Theory]
    [InlineData("Conv2d 2 3 ReLU, Dense 3 ReLU")]
    [InlineData("Conv2d 2 3 ReLU, Dense 3")]
    public void SnapshotWhoseScoresLackSoftmaxOrSigmoidIsRefusedNotExportedAsSigmoid(string architecture)
    {
        // A snapshot is plain data (a tool could build one by hand): its last layer must give scores, as a network's must.
        var snapshot = new MnistTools.Persistence.NetworkSnapshot
        {
            InputShape = [1, 4, 4],
            Layers = LayerSpec.ParseAll(architecture.Split(", ")),
            Loss = Loss.CrossEntropy,
            Parameters = new float[2 * 9 + 2 + 3 * 8 + 3],
        };
        var e = Assert.Throws<MnistToolsException>(() => OnnxExporter.ToBytes(snapshot));
        Assert.Equal(ErrorIds.OutputActivationInvalid, e.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, e.Kind);
        Assert.Contains("Softmax or Sigmoid", e.Message);
    }

    private static (float MaxDifference, int Agree, int Correct) Compare(float[] expected, float[] actual, MnistDataSet test)
    {
        Assert.Equal(expected.Length, actual.Length);
        float maxDifference = 0;
        int agree = 0, correct = 0;
        for (int i = 0; i < expected.Length; i++) maxDifference = Math.Max(maxDifference, Math.Abs(expected[i] - actual[i]));
        for (int n = 0; n < test.Count; n++)
        {
            int predicted = Classification.PredictedClass(expected.AsSpan(n * 10, 10));
            if (predicted == Classification.PredictedClass(actual.AsSpan(n * 10, 10))) agree++;
            if (predicted == test.GetLabel(n)) correct++;
        }
        return (maxDifference, agree, correct);
    }
}
