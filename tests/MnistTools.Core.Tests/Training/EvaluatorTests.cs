using MnistTools.Layers;
using MnistTools.Numerics;
using MnistTools.Training;

namespace MnistTools.Tests.Training;

public class EvaluatorTests
{
    [Fact]
    public void MetricsFollowFromTheConfusionMatrix()
    {
        var counts = new int[3, 3] { { 5, 1, 0 }, { 2, 3, 0 }, { 0, 0, 0 } };
        var result = new TestResult("set", 0.5, counts);
        Assert.Equal(11, result.Total);
        Assert.Equal(8, result.Correct);
        Assert.Equal(8 / 11.0, result.Accuracy, 12);
        var c0 = result.PerClass[0];
        Assert.Equal(5 / 7.0, c0.Precision, 12);
        Assert.Equal(5 / 6.0, c0.Recall, 12);
        Assert.Equal(2 * (5 / 7.0) * (5 / 6.0) / (5 / 7.0 + 5 / 6.0), c0.F1, 12);
        Assert.Equal(6, c0.Support);
        Assert.Equal(0, result.PerClass[2].Precision);
        Assert.Equal(0, result.PerClass[2].F1);
        counts[0, 0] = 99;
        Assert.Equal(5, result.ConfusionMatrix[0, 0]);
        string grid = result.FormatConfusionMatrix();
        Assert.Equal(4, grid.Split('\n').Length);
        Assert.Contains("5", grid.Split('\n')[1]);
    }

    [Theory]
    [InlineData("Conv2d 4 3 Tanh, MaxPool2d 2, Conv2d 64 3 padding=same ReLU, Dense 7 Sigmoid, Dense 4 Softmax")]
    [InlineData("Conv2d 5 2 stride=2 LeakyReLU, Conv2d 64 3 Sigmoid, Dropout 0.5, Dense 4 Softmax")]
    [InlineData("Conv2d 6 3 ReLU, MaxPool2d 2, Conv2d 64 3 ReLU, Dense 4 Softmax")]
    [InlineData("Dense 9 Tanh, Dense 6 ReLU, Dense 4 Softmax")]
    public void InferenceWithoutSavedValuesHasTheBitsOfTrainingBuffers(string architecture)
    {
        // Inference buffers keep no pre-activations: each layer writes f(Z) into its output (a convolution's ReLU in
        // registers on the direct and implicit paths): those paths and the GEMM path, with ReLU and the other activations.
        var network = new Network([2, 10, 10], LayerSpec.ParseAll(architecture.Split(", ")), Loss.CrossEntropy, Initializer.Default, seed: 7);
        const int rows = 5;
        var random = new Random(3);
        var training = new BatchBuffers(network.Stack, rows, training: true, lanes: 1);
        var inference = new BatchBuffers(network.Stack, rows, training: false, lanes: 1);
        for (int i = 0; i < rows * network.InputSize; i++) training.Input[i] = inference.Input[i] = (float)(random.NextDouble() * 2 - 0.5);
        Propagation.Forward(network.Stack, training, 0, rows, 0, LaneKey.Inference);
        Propagation.Forward(network.Stack, inference, 0, rows, 0, LaneKey.Inference);
        for (int l = 0; l < network.Stack.Layers.Count; l++)
        {
            Assert.Equal(0, inference.Saved[l].Length);
            Assert.Equal(training.Outputs[l].AsSpan().ToArray(), inference.Outputs[l].AsSpan().ToArray());
        }
        Assert.Equal(training.Scores.AsSpan().ToArray(), inference.Scores.AsSpan().ToArray());
        Assert.Contains(training.Scores.AsSpan().ToArray(), value => value is > 0f and < 1f);
    }

    [Fact]
    public void EvaluationMatchesPredictAcrossChunkBoundaries()
    {
        var data = SyntheticData.Create(600); // 256 + 256 + 88
        var network = new Network(new[] { 16, 5, 3 }, Activation.Sigmoid, Activation.Softmax, Loss.CrossEntropy, seed: 4);
        TestResult result = new Evaluator(network).Evaluate(data);
        float[] inputs = new float[600 * 16], outputs = new float[600 * 3];
        PixelScaling.ToInputs(data.Pixels, inputs);
        network.Predict(inputs, 600, outputs);
        int correct = 0;
        double loss = 0;
        var confusion = new int[3, 3];
        for (int i = 0; i < 600; i++)
        {
            var row = outputs.AsSpan(i * 3, 3);
            int predicted = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(row);
            confusion[data.GetLabel(i), predicted]++;
            if (predicted == data.GetLabel(i)) correct++;
            loss -= Math.Log(row[data.GetLabel(i)]);
        }
        Assert.Equal(600, result.Total);
        Assert.Equal(correct, result.Correct);
        Assert.Equal(loss / 600, result.Loss, 5);
        Assert.Equal(confusion, result.ConfusionMatrix.ToArray());
    }
}
