using MnistTools.Errors;
using MnistTools.Layers;
using MnistTools.Numerics;
using MnistTools.Tests.Training;
using MnistTools.Training;

namespace MnistTools.Tests.Model;

/// <summary><see cref="Ensemble"/>: averaged scores, evaluation of the average (one core and two alike), and the mismatch error.</summary>
public class EnsembleTests
{
    private static Network Net(int seed, int classes = 3, int inputs = 16) =>
        new(new[] { inputs, 8, classes }, Activation.ReLU, Activation.Softmax, Loss.CrossEntropy, seed: seed);

    private static Network[] Trained()
    {
        MnistDataSet train = SyntheticData.Create(300, seed: 7);
        var networks = new[] { Net(1), Net(2), Net(3) };
        foreach (Network network in networks)
            new Trainer(network, new TrainingOptions { Optimizer = Optimizer.Adam, LearningRate = 0.01f, BatchSize = 20 }).TrainEpoch(train);
        return networks;
    }

    [Fact]
    public void ScoresAreTheNetworksScoresAddedInOrderAndDividedByTheirCount()
    {
        Network[] networks = Trained();
        MnistDataSet data = SyntheticData.Create(37, seed: 8);
        var ensemble = new Ensemble(networks);
        var averaged = new float[37 * 3];
        ensemble.PredictPixels(data.Pixels, 37, averaged);
        float[][] each = networks.Select(n => { var s = new float[37 * 3]; n.PredictPixels(data.Pixels, 37, s); return s; }).ToArray();
        for (int i = 0; i < averaged.Length; i++)
        {
            Assert.Equal((each[0][i] + each[1][i] + each[2][i]) / 3f, averaged[i]);
            Assert.Equal((each[0][i] + (double)each[1][i] + each[2][i]) / 3, averaged[i], 1e-6);
        }
        // Float inputs (pixel / 255f) give the same scores as grey levels.
        float[] inputs = data.Pixels.ToArray().Select(p => p / 255f).ToArray();
        var fromInputs = new float[37 * 3];
        ensemble.Predict(inputs, 37, fromInputs);
        Assert.Equal(averaged, fromInputs);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void EvaluationScoresTheAverage(int threads)
    {
        Network[] networks = Trained();
        // More images than one chunk, not a multiple of it.
        MnistDataSet data = SyntheticData.Create(2048 + 333, seed: 9);
        using var scope = ComputeSettings.Override(threads: threads);
        var ensemble = new Ensemble(networks);
        TestResult result = ensemble.Evaluate(data);
        var averaged = new float[data.Count * 3];
        ensemble.PredictPixels(data.Pixels, data.Count, averaged);
        int correct = 0;
        double loss = 0;
        var confusion = new int[3, 3];
        for (int i = 0; i < data.Count; i++)
        {
            ReadOnlySpan<float> row = averaged.AsSpan(i * 3, 3);
            int predicted = Classification.PredictedClass(row), label = data.GetLabel(i);
            confusion[label, predicted]++;
            if (predicted == label) correct++;
            loss -= Math.Log(row[label]);
        }
        Assert.Equal(3, result.NetworkCount);
        Assert.Equal(data.Count, result.Total);
        Assert.Equal(correct, result.Correct);
        for (int a = 0; a < 3; a++) for (int p = 0; p < 3; p++) Assert.Equal(confusion[a, p], result.GetCount(a, p));
        Assert.Equal(loss / data.Count, result.Loss, 1e-9);
        Assert.Equal(3, result.WithClassNames(["a", "b", "c"]).NetworkCount);
    }

    [Fact]
    public void OneNetworkScoresAsTheEvaluatorDoes()
    {
        Network network = Trained()[0];
        MnistDataSet data = SyntheticData.Create(500, seed: 10);
        TestResult alone = new Evaluator(network).Evaluate(data), ensemble = new Ensemble([network]).Evaluate(data);
        Assert.Equal(1, alone.NetworkCount);
        Assert.Equal(1, ensemble.NetworkCount);
        for (int a = 0; a < 3; a++) for (int p = 0; p < 3; p++) Assert.Equal(alone.GetCount(a, p), ensemble.GetCount(a, p));
        Assert.Equal(alone.Loss, ensemble.Loss, 1e-5);
    }

    [Theory]
    [InlineData(4, 16)]
    [InlineData(3, 25)]
    public void ANetworkOfAnotherShapeIsNamed(int classes, int inputs)
    {
        Network odd = Net(5, classes, inputs);
        var e = Assert.Throws<MnistToolsException>(() => new Ensemble([Net(1), Net(2), odd]));
        Assert.Equal(ErrorIds.EnsembleNetworkMismatch, e.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, e.Kind);
        Assert.Same(odd, e.Target);
        Assert.Contains("Network 3", e.Message);
    }

    [Fact]
    public void AnEmptyEnsembleIsRefused()
    {
        var e = Assert.Throws<MnistToolsException>(() => new Ensemble(Array.Empty<Network>()));
        Assert.Equal(ErrorIds.EnsembleNetworkMismatch, e.ErrorId);
    }
}
