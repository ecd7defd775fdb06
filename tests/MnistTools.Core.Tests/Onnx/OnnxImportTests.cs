using System.Text.Json;
using MnistTools.Errors;
using MnistTools.Layers;
using MnistTools.Onnx;
using MnistTools.Tests.Data;
using MnistTools.Tests.Persistence;
using MnistTools.Training;
using Xunit.Abstractions;

namespace MnistTools.Tests.Onnx;

/// <summary>
/// The five networks PyTorch 1.13 made and exported (../shared/onnx, or $ONNX_MODELS): each imports and gives PyTorch's
/// scores on the first 100 MNIST test images (as probabilities: softmax of PyTorch's logits, e^ of its log-softmax;
/// relative 1e-4 with an absolute floor of 1e-5; the same class for all 100) and its accuracy on the 10,000 test images
/// within 0.05 points.
/// </summary>
public class OnnxImportTests(ITestOutputHelper output)
{
    private static readonly Lazy<MnistDataSet> TestSet = new(() => RealDataTests.Load(train: false));

    internal static string ModelFolder()
    {
        string? folder = Environment.GetEnvironmentVariable("ONNX_MODELS");
        if (string.IsNullOrEmpty(folder)) folder = Path.GetFullPath(Path.Combine(SourceTree.Root, "..", "shared", "onnx"));
        Assert.True(Directory.Exists(folder), $"The ONNX test models are not at '{folder}': set ONNX_MODELS.");
        return folder;
    }

    /// <summary>Each file and how PyTorch's scores become probabilities.</summary>
    public static TheoryData<string, string> Files() => new()
    {
        { "mlp", "logits" },
        { "lenet5", "logits" },
        { "bncnn", "probabilities" },
        { "bncnn_bn", "probabilities" },
        { "avgpool_view", "log-probabilities" },
    };

    /// <summary>avgpool_view.onnx (Pad of zeros + AveragePool, the view chain, LogSoftmax) has a LeakyReLU of slope 0.1:
    /// its second convolution carries it, and the architecture round-trips through the layer specs.</summary>
    [Fact]
    public void LeakyReluOfAnotherSlopeBecomesTheLayersSlope()
    {
        Network network = Import("avgpool_view");
        Assert.Contains("Conv2d 16 3 stride=2 LeakyReLU slope=0.1", network.Architecture);
        Assert.Equal(0.1f, network.LayerSpecs.Single(spec => spec.Activation == Activation.LeakyReLU).Slope);
        Assert.Equal(network.LayerSpecs, LayerSpec.ParseAll(network.Architecture.Split(", ")));
    }

    internal static Network Import(string name) => OnnxImporter.Load(Path.Combine(ModelFolder(), name + ".onnx"));

    [Theory]
    [MemberData(nameof(Files))]
    public void PyTorchFileImportsAndReproducesItsScores(string name, string scores)
    {
        using JsonDocument expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(ModelFolder(), name + ".expected.json")));
        Network network = Import(name);
        output.WriteLine($"{name}: {network.Architecture}");
        MnistDataSet test = TestSet.Value;
        MnistDataSet first = RealDataTests.Load(train: false, first: 100);
        float[] actual = NetworkPersistenceTests.Scores(network, first);

        JsonElement rows = expected.RootElement.GetProperty("first100_scores");
        double worst = 0;
        for (int i = 0; i < 100; i++)
        {
            double[] row = rows[i].EnumerateArray().Select(v => v.GetDouble()).ToArray();
            double[] probabilities = scores switch
            {
                "logits" => Softmax(row),
                "log-probabilities" => row.Select(Math.Exp).ToArray(),
                _ => row,
            };
            for (int c = 0; c < 10; c++)
            {
                double difference = Math.Abs(actual[i * 10 + c] - probabilities[c]);
                worst = Math.Max(worst, difference);
                Assert.True(difference <= Math.Max(1e-4 * Math.Abs(probabilities[c]), 1e-5),
                    $"{name} image {i} class {c}: {actual[i * 10 + c]} vs PyTorch {probabilities[c]}");
            }
            Assert.Equal(Array.IndexOf(row, row.Max()), ArgMax(actual.AsSpan(i * 10, 10)));
        }

        double accuracy = new Evaluator(network).Evaluate(test).Accuracy;
        double pytorch = expected.RootElement.GetProperty("test_accuracy").GetDouble();
        output.WriteLine($"{name}: max |score - PyTorch| {worst:E2}; accuracy {accuracy:P2} (PyTorch {pytorch:P2})");
        Assert.InRange(accuracy, pytorch - 0.0005, pytorch + 0.0005);
    }

    internal static double[] Softmax(double[] z)
    {
        double max = z.Max();
        double[] e = z.Select(v => Math.Exp(v - max)).ToArray();
        double sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }

    internal static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
