using MnistTools.Errors;
using MnistTools.Layers;
using MnistTools.Randomness;

namespace MnistTools.Tests.Model;

public class NetworkTests
{
    [Fact]
    public void DescribesItselfAndCountsParameters()
    {
        var network = new Network(new[] { 784, 128, 10 }, Activation.ReLU, Activation.Softmax, Loss.CrossEntropy);
        Assert.Equal(101_770, network.ParameterCount);
        Assert.Equal("784-128-10 ReLU/Softmax CrossEntropy, 101,770 parameters", network.ToString());
        Assert.Equal(new[] { 784, 128, 10 }, network.LayerSizes);
        network.LayerSizes![0] = 1;
        Assert.Equal(784, network.LayerSizes![0]);
        Assert.Null(network.OptimizerState);
        Assert.Equal(0, network.EpochsTrained);
    }

    [Fact]
    public void ANetworkWithoutHiddenLayersKeepsTheActivationItWasGivenAndItsDefaultInitializer()
    {
        // 784-10: no hidden layer carries -Activation, yet the Default initializer follows it (He for ReLU).
        var relu = new Network(new[] { 784, 10 }, Activation.ReLU, Activation.Softmax, seed: 1);
        var he = new Network(new[] { 784, 10 }, Activation.ReLU, Activation.Softmax, initializer: Initializer.He, seed: 1);
        var xavier = new Network(new[] { 784, 10 }, Activation.ReLU, Activation.Softmax, initializer: Initializer.Xavier, seed: 1);
        Assert.Equal(Activation.ReLU, relu.Activation);
        Assert.Equal(he.GetParameters(), relu.GetParameters());
        Assert.NotEqual(xavier.GetParameters(), relu.GetParameters());

        using var folder = new MnistTools.Tests.Persistence.TempFolder();
        string path = folder.File("relu.safetensors");
        MnistTools.Persistence.NetworkPersistence.Save(relu, path, overwrite: false);
        Network imported = MnistTools.Persistence.NetworkPersistence.Load(path);
        Assert.Equal(Activation.ReLU, imported.Activation);
        Assert.Equal(relu.Description, imported.Description);
    }

    [Fact]
    public void ListsItsLayersAndArchitecture()
    {
        var network = new Network(new[] { 784, 128, 10 }, Activation.ReLU, Activation.Softmax, Loss.CrossEntropy);
        IReadOnlyList<LayerSummary> layers = network.Layers;
        Assert.Equal(2, layers.Count);
        Assert.Equal((0, "Dense", "128", 100_480, "Dense 128 ReLU"), (layers[0].Index, layers[0].Kind, layers[0].OutputShape, layers[0].Parameters, layers[0].Spec));
        Assert.Equal((1, "Dense", "10", 1_290, "Dense 10 Softmax"), (layers[1].Index, layers[1].Kind, layers[1].OutputShape, layers[1].Parameters, layers[1].Spec));
        Assert.Equal(network.ParameterCount, layers.Sum(layer => layer.Parameters));
        Assert.Equal("Dense 128 ReLU", layers[0].ToString());
        Assert.Equal("Dense 128 ReLU, Dense 10 Softmax", network.Architecture);

        // Deeper, with a sigmoid output: hidden layers carry the hidden activation, the last the output activation.
        var deep = new Network(new[] { 16, 8, 6, 3 }, Activation.Tanh, Activation.Sigmoid, Loss.Quadratic);
        Assert.Equal("Dense 8 Tanh, Dense 6 Tanh, Dense 3 Sigmoid", deep.Architecture);
        Assert.Equal(new[] { 0, 1, 2 }, deep.Layers.Select(layer => layer.Index));
        Assert.Equal(new[] { "8", "6", "3" }, deep.Layers.Select(layer => layer.OutputShape));
        Assert.Equal(new[] { 136, 54, 21 }, deep.Layers.Select(layer => layer.Parameters));
    }

    [Theory]
    [InlineData(new[] { 10 }, "LayerSizesTooFew")]
    [InlineData(new int[0], "LayerSizesTooFew")]
    [InlineData(new[] { 10, 0, 3 }, "LayerSizeOutOfRange")]
    [InlineData(new[] { 10, -4 }, "LayerSizeOutOfRange")]
    public void RejectsBadShapes(int[] sizes, string errorId)
    {
        var e = Assert.Throws<MnistToolsException>(() => new Network(sizes));
        Assert.Equal(errorId, e.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, e.Kind);
    }

    [Fact]
    public void SameSeedSameBitsDifferentSeedDifferentBits()
    {
        float[] a = new Network(new[] { 20, 8, 4 }, seed: 5).GetParameters();
        float[] b = new Network(new[] { 20, 8, 4 }, seed: 5).GetParameters();
        float[] c = new Network(new[] { 20, 8, 4 }, seed: 6).GetParameters();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void InitialisersDrawTheDocumentedDistributions()
    {
        var he = new Network(new[] { 400, 300, 10 }, Activation.ReLU, seed: 3);
        var xavier = new Network(new[] { 400, 300, 10 }, Activation.Tanh, seed: 3);
        var normal = new Network(new[] { 400, 300, 10 }, Activation.Sigmoid, initializer: Initializer.Normal, seed: 3);
        static double Std(ReadOnlySpan<float> values) { double s = 0; foreach (float v in values) s += (double)v * v; return Math.Sqrt(s / values.Length); }
        // 120,000 draws: the sample standard deviation is within 1% of sigma.
        Assert.InRange(Std(new ParameterLayout(he.LayerSizes!).Weights(he.GetParameters(), 0)) / Math.Sqrt(2.0 / 400), 0.99, 1.01);
        Assert.InRange(Std(new ParameterLayout(xavier.LayerSizes!).Weights(xavier.GetParameters(), 0)) / Math.Sqrt(2.0 / 700), 0.99, 1.01);
        Assert.InRange(Std(new ParameterLayout(normal.LayerSizes!).Weights(normal.GetParameters(), 0)), 0.99, 1.01);
        Assert.All(new ParameterLayout(he.LayerSizes!).Biases(he.GetParameters(), 0).ToArray(), b => Assert.Equal(0f, b));
        Assert.Contains(new ParameterLayout(normal.LayerSizes!).Biases(normal.GetParameters(), 0).ToArray(), b => b != 0f);
    }

    [Fact]
    public void FirstWeightIsTheFirstGaussianOfTheSeed()
    {
        // Draw order contract: W_0 row-major first, each value (float)(sigma * NextGaussian()).
        var network = new Network(new[] { 3, 2 }, Activation.Sigmoid, initializer: Initializer.Normal, seed: 12345);
        var random = new SeededRandom(12345);
        float[] expected = Enumerable.Range(0, 8).Select(_ => (float)random.NextGaussian()).ToArray();
        Assert.Equal(expected, network.GetParameters());
    }

    [Fact]
    public void RestoreRoundTripsAndValidates()
    {
        var original = new Network(new[] { 6, 4, 3 }, Activation.Tanh, Activation.Softmax, Loss.CrossEntropy, Initializer.Xavier, 9);
        var state = OptimizerState.Create(Optimizer.Adam, original.ParameterCount);
        state.Step = 12;
        var copy = Network.Restore(original.LayerSizes!, original.Activation, original.OutputActivation, original.Loss, original.Initializer,
            original.Seed, 3, original.GetParameters(), state, new Dictionary<string, string> { ["DataSet"] = "x" });
        Assert.Equal(original.GetParameters(), copy.GetParameters());
        Assert.Equal(3, copy.EpochsTrained);
        Assert.Equal(12, copy.OptimizerState!.Step);
        Assert.Equal("x", copy.Metadata["DataSet"]);

        var e = Assert.Throws<MnistToolsException>(() => Network.Restore(original.LayerSizes!, original.Activation, original.OutputActivation,
            original.Loss, original.Initializer, 9, 0, new float[5], null, null));
        Assert.Equal(FailureKind.InvalidData, e.Kind);
        var badState = OptimizerState.Create(Optimizer.Momentum, 4);
        e = Assert.Throws<MnistToolsException>(() => Network.Restore(original.LayerSizes!, original.Activation, original.OutputActivation,
            original.Loss, original.Initializer, 9, 0, original.GetParameters(), badState, null));
        Assert.Equal(FailureKind.InvalidData, e.Kind);
        e = Assert.Throws<MnistToolsException>(() => Network.Restore(new[] { 6 }, original.Activation, original.OutputActivation,
            original.Loss, original.Initializer, 9, 0, original.GetParameters(), null, null));
        Assert.Equal(FailureKind.InvalidData, e.Kind);
    }

    [Fact]
    public void PredictChecksBufferSizes()
    {
        var network = new Network(new[] { 4, 3 });
        Assert.Throws<ArgumentException>(() => network.Predict(new float[7], 2, new float[6]));
        Assert.Throws<ArgumentException>(() => network.Predict(new float[8], 2, new float[5]));
        float[] output = new float[6];
        network.Predict(new float[8], 2, output);
        Assert.All(output, v => Assert.Equal(0.5f, v)); // zero inputs, zero biases (Xavier): sigmoid(0)
    }
}
