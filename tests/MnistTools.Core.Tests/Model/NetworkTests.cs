namespace MnistTools.Tests.Model;

public class NetworkTests
{
    [Fact]
    public void DescribesItselfAndCountsParameters()
    {
        var network = new Network(new[] { 784, 128, 10 }, Activation.ReLU, OutputActivation.Softmax, Loss.CrossEntropy);
        Assert.Equal(101_770, network.ParameterCount);
        Assert.Equal("784-128-10 ReLU/Softmax CrossEntropy, 101,770 parameters", network.ToString());
        Assert.Equal(new[] { 784, 128, 10 }, network.LayerSizes);
        network.LayerSizes![0] = 1;
        Assert.Equal(784, network.LayerSizes![0]);
        Assert.Null(network.OptimizerState);
        Assert.Equal(0, network.EpochsTrained);
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
        Assert.InRange(Std(he.Layout!.Weights(he.GetParameters(), 0)) / Math.Sqrt(2.0 / 400), 0.99, 1.01);
        Assert.InRange(Std(xavier.Layout!.Weights(xavier.GetParameters(), 0)) / Math.Sqrt(2.0 / 700), 0.99, 1.01);
        Assert.InRange(Std(normal.Layout!.Weights(normal.GetParameters(), 0)), 0.99, 1.01);
        Assert.All(he.Layout!.Biases(he.GetParameters(), 0).ToArray(), b => Assert.Equal(0f, b));
        Assert.Contains(normal.Layout!.Biases(normal.GetParameters(), 0).ToArray(), b => b != 0f);
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
        var original = new Network(new[] { 6, 4, 3 }, Activation.Tanh, OutputActivation.Softmax, Loss.CrossEntropy, Initializer.Xavier, 9);
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
