using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.OnnxRuntime;
using MnistTools.Errors;
using MnistTools.Layers;
using MnistTools.Onnx;
using MnistTools.Tests.Data;
using MnistTools.Tests.Layers;
using MnistTools.Tests.Persistence;
using MnistTools.Training;
using Xunit.Abstractions;

namespace MnistTools.Tests.Onnx;

/// <summary>
/// The exported ONNX model, run by ONNX Runtime, gives the module's own scores on real MNIST test images:
/// max |ORT - Network.Predict| &lt;= 1e-5 for every hidden activation x output activation.
/// </summary>
public class OnnxExportTests(ITestOutputHelper output)
{
    public const float Tolerance = 1e-5f;

    private static readonly Lazy<MnistDataSet> TrainSubset = new(() => RealDataTests.Load(train: true, first: 3000));
    private static readonly Lazy<MnistDataSet> TestSet = new(() => RealDataTests.Load(train: false, first: 2000));

    public static TheoryData<Activation, Activation> Combinations()
    {
        var data = new TheoryData<Activation, Activation>();
        foreach (Activation a in Activations.Nonlinear)
            foreach (Activation o in Activations.Output)
                data.Add(a, o);
        return data;
    }

    private static float[] RunOnnx(byte[] model, float[] inputs, int count, int width, out InferenceSession session)
    {
        session = new InferenceSession(model, new SessionOptions { IntraOpNumThreads = 1 });
        var tensor = new DenseTensor<float>(inputs, new[] { count, width });
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor(OnnxExporter.InputName, tensor) });
        return results.Single(r => r.Name == OnnxExporter.OutputName).AsEnumerable<float>().ToArray();
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public void OnnxRuntimeMatchesPredictOnRealImages(Activation activation, Activation outputActivation)
    {
        Loss loss = Loss.CrossEntropy; // trains fastest with either output; the loss is not part of the inference graph
        var network = new Network(new[] { 784, 64, 32, 10 }, activation, outputActivation, loss, Initializer.Default, seed: 3);
        new Trainer(network, new TrainingOptions { Optimizer = Optimizer.Adam, BatchSize = 32, LearningRate = 0.01f }).TrainEpoch(TrainSubset.Value);
        network.Metadata["DataSet"] = "mnist";

        MnistDataSet test = TestSet.Value;
        float[] inputs = NetworkPersistenceTests.Inputs(test);
        float[] expected = NetworkPersistenceTests.Scores(network, test);
        float[] actual = RunOnnx(OnnxExporter.ToBytes(network), inputs, test.Count, 784, out InferenceSession session);
        using (session)
        {
            Assert.Equal(new[] { -1, 784 }, session.InputMetadata[OnnxExporter.InputName].Dimensions);
            Assert.Equal(new[] { -1, 10 }, session.OutputMetadata[OnnxExporter.OutputName].Dimensions);
            Assert.Equal("MnistTools", session.ModelMetadata.ProducerName);
            Assert.Equal("784,64,32,10", session.ModelMetadata.CustomMetadataMap["mnisttools.layer_sizes"]);
            Assert.Equal("mnist", session.ModelMetadata.CustomMetadataMap["user.DataSet"]);
        }

        Assert.Equal(expected.Length, actual.Length);
        float maxDifference = 0;
        int agree = 0, correct = 0;
        for (int i = 0; i < expected.Length; i++) maxDifference = Math.Max(maxDifference, Math.Abs(expected[i] - actual[i]));
        for (int n = 0; n < test.Count; n++)
        {
            int predicted = ArgMax(expected.AsSpan(n * 10, 10));
            if (predicted == ArgMax(actual.AsSpan(n * 10, 10))) agree++;
            if (predicted == test.GetLabel(n)) correct++;
        }
        output.WriteLine($"{activation}/{outputActivation}: max |ONNX Runtime - Predict| = {maxDifference:E2} over {test.Count} test images x 10 scores; argmax agrees on {agree}/{test.Count}; module accuracy {correct / (double)test.Count:P1}");
        Assert.True(maxDifference <= Tolerance, $"{activation}/{outputActivation}: max abs difference {maxDifference:E3} exceeds {Tolerance:E0}.");
        Assert.True(correct > test.Count / 2, $"The network should be trained (accuracy {correct}/{test.Count}), or the comparison proves little.");
    }

    [Fact]
    public void BatchDimensionIsFree()
    {
        var network = new Network(new[] { 784, 16, 10 }, Activation.ReLU, Activation.Softmax, Loss.CrossEntropy, seed: 1);
        MnistDataSet one = TestSet.Value.Slice(0, 1);
        float[] actual = RunOnnx(OnnxExporter.ToBytes(network), NetworkPersistenceTests.Inputs(one), 1, 784, out InferenceSession session);
        session.Dispose();
        float[] expected = NetworkPersistenceTests.Scores(network, one);
        for (int i = 0; i < 10; i++) Assert.InRange(actual[i] - expected[i], -Tolerance, Tolerance);
    }

    [Fact]
    public void ExportIsDeterministicAndAtomic()
    {
        var network = new Network(new[] { 784, 16, 10 }, Activation.Tanh, Activation.Sigmoid, Loss.Quadratic, seed: 2);
        Assert.Equal(OnnxExporter.ToBytes(network), OnnxExporter.ToBytes(network));
        using var folder = new TempFolder();
        string path = folder.File("net.onnx");
        OnnxExporter.Write(path, network, overwrite: false);
        Assert.Equal(OnnxExporter.ToBytes(network), File.ReadAllBytes(path));
        var e = Assert.Throws<MnistToolsException>(() => OnnxExporter.Write(path, network, overwrite: false));
        Assert.Equal("FileExists", e.ErrorId);
        Assert.Empty(folder.Others("net.onnx"));
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
