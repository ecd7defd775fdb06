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

    [Fact]
    public void EvaluationMatchesPredictAcrossChunkBoundaries()
    {
        var data = SyntheticData.Create(600); // 256 + 256 + 88
        var network = new Network(new[] { 16, 5, 3 }, Activation.Sigmoid, OutputActivation.Softmax, Loss.CrossEntropy, seed: 4);
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
