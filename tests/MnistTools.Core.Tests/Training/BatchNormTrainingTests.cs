using MnistTools.Layers;
using MnistTools.Numerics;
using MnistTools.Training;

namespace MnistTools.Tests.Training;

/// <summary>
/// Networks with <see cref="BatchNormLayer"/> through the production training step (<see cref="TrainingStep"/>): the
/// whole-batch gradient against central differences of a double reference, the running statistics as PyTorch updates
/// them (the forward-only check leaves them), prediction with the running statistics, one core and two give the same
/// bits and a batch of one row gives no NaN (a steady-state step allocating nothing: <see cref="BatchNormAllocationTests"/>).
/// </summary>
public class BatchNormTrainingTests
{
    private const int Hidden = 8, Classes = 3;

    /// <summary>Dense 8 → BatchNorm ReLU (or another activation) → Dense 3 (softmax cross-entropy) on the 4x4 synthetic images.</summary>
    private static Network DenseNet(int seed = 3, string activation = "ReLU") => Build([16], seed, "Dense 8", $"BatchNorm {activation}", "Dense 3 Softmax");

    /// <summary>Conv2d 4 3 → BatchNorm ReLU → MaxPool2d 2 → Dense 16 → BatchNorm ReLU → Dense 3 on 28x28 images.</summary>
    internal static Network ConvNet(int seed = 3) =>
        Build([1, 28, 28], seed, "Conv2d 4 3", "BatchNorm ReLU", "MaxPool2d 2", "Dense 16", "BatchNorm ReLU", "Dense 3 Softmax");

    /// <summary>Conv2d 4 3 → BatchNorm ReLU → AvgPool2d 2 → Conv2d 6 3 (no bias) → BatchNorm ReLU → GlobalAvgPool → Dense 3.</summary>
    internal static Network PooledNet(int seed = 3) =>
        Build([1, 28, 28], seed, "Conv2d 4 3", "BatchNorm ReLU", "AvgPool2d 2", "Conv2d 6 3 bias=false", "BatchNorm ReLU", "GlobalAvgPool", "Dense 3 Softmax");

    /// <summary>Dense 100 (wide enough for the step to run it forward by units) → BatchNorm ReLU → Dense 3 on 28x28 images.</summary>
    private static Network WideNet(int seed = 3) => Build([784], seed, "Dense 100 bias=false", "BatchNorm ReLU", "Dense 3 Softmax");

    private static Network Build(int[] inputShape, int seed, params string[] layers) =>
        new(inputShape, LayerSpec.ParseAll(layers), Loss.CrossEntropy, Initializer.Default, seed);

    /// <summary>
    /// The dense net's mean loss over a batch in double, with the batch's statistics (training) or the given running ones.
    /// Parameters in the network's order: W1 [8 x 16], b1 [8], γ [8], β [8], W2 [3 x 8], b2 [3].
    /// </summary>
    private static double ReferenceLoss(double[] p, double[] x, int[] labels, int rows, double[]? runningMean = null, double[]? runningVariance = null,
        double[]? hiddenOut = null, string activation = "ReLU")
    {
        Func<double, double> f = activation switch
        {
            "ReLU" => v => Math.Max(0, v),
            "Tanh" => Math.Tanh,
            "Sigmoid" => v => 1 / (1 + Math.Exp(-v)),
            _ => throw new ArgumentOutOfRangeException(nameof(activation)),
        };
        const int inputs = 16;
        int b1 = Hidden * inputs, gamma = b1 + Hidden, beta = gamma + Hidden, w2 = beta + Hidden, b2 = w2 + Classes * Hidden;
        var z = new double[rows * Hidden];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < Hidden; j++)
            {
                double sum = p[b1 + j];
                for (int i = 0; i < inputs; i++) sum += x[r * inputs + i] * p[j * inputs + i];
                z[r * Hidden + j] = sum;
            }
        if (hiddenOut is not null) z.CopyTo(hiddenOut, 0);
        double loss = 0;
        var a = new double[rows * Hidden];
        for (int j = 0; j < Hidden; j++)
        {
            double mean = runningMean?[j] ?? Enumerable.Range(0, rows).Average(r => z[r * Hidden + j]);
            double variance = runningVariance?[j] ?? Enumerable.Range(0, rows).Average(r => Math.Pow(z[r * Hidden + j] - mean, 2));
            for (int r = 0; r < rows; r++)
                a[r * Hidden + j] = f((z[r * Hidden + j] - mean) / Math.Sqrt(variance + 1e-5) * p[gamma + j] + p[beta + j]);
        }
        for (int r = 0; r < rows; r++)
        {
            var logits = new double[Classes];
            for (int k = 0; k < Classes; k++)
            {
                logits[k] = p[b2 + k];
                for (int j = 0; j < Hidden; j++) logits[k] += a[r * Hidden + j] * p[w2 + k * Hidden + j];
            }
            double max = logits.Max(), log = max + Math.Log(logits.Sum(v => Math.Exp(v - max)));
            loss += log - logits[labels[r]];
        }
        return loss / rows;
    }

    [Theory]
    [InlineData(7, 1, "ReLU")]
    [InlineData(7, 2, "ReLU")]
    [InlineData(2, 2, "ReLU")]
    [InlineData(7, 1, "Tanh")]
    [InlineData(7, 2, "Sigmoid")]
    public void TheWholeBatchGradientMatchesCentralDifferencesOfADoubleReference(int rows, int threads, string activation)
    {
        // ReLU runs fused into the BatchNorm kernels; the other activations run after them.
        Network network = DenseNet(activation: activation);
        StepHarness.RandomizeBiases(network, 0.3, 5);
        MnistDataSet data = SyntheticData.Create(64, seed: 4);
        int[] order = Enumerable.Range(0, data.Count).ToArray();
        using var scope = ComputeSettings.Override(threads: threads);
        (float[] gradient, double lossSum, _, double checkLoss, _) = StepHarness.Gradient(network, data, order, 5, rows, batchSize: 8);
        (double[] x, int[] labels) = StepHarness.Rows(data, order, 5, rows);
        double[] p = StepHarness.ToDouble(network.Parameters);
        Assert.Equal(ReferenceLoss(p, x, labels, rows, activation: activation), lossSum / rows, 5);
        Assert.Equal(lossSum, checkLoss);
        const double h = 1e-6;
        for (int i = 0; i < p.Length; i++)
        {
            double saved = p[i];
            p[i] = saved + h;
            double plus = ReferenceLoss(p, x, labels, rows, activation: activation);
            p[i] = saved - h;
            double minus = ReferenceLoss(p, x, labels, rows, activation: activation);
            p[i] = saved;
            double numeric = (plus - minus) / (2 * h);
            Assert.True(Math.Abs(gradient[i] - numeric) <= 1e-4 * Math.Max(1, Math.Abs(numeric)), $"parameter {i}: step {gradient[i]:R}, central difference {numeric:R}");
        }
    }

    [Fact]
    public void RunningStatisticsFollowPyTorchAndTheCheckLeavesThem()
    {
        Network network = DenseNet();
        MnistDataSet data = SyntheticData.Create(64, seed: 4);
        int[] order = Enumerable.Range(0, data.Count).ToArray();
        const int rows = 10;
        var step = new TrainingStep(network, rows);
        Assert.Equal(2 * Hidden, network.StateCount);
        Assert.Equal(Enumerable.Repeat(0f, Hidden).Concat(Enumerable.Repeat(1f, Hidden)), network.GetState());
        step.Check(StepHarness.Batch(data, order, 0, rows));
        Assert.Equal(Enumerable.Repeat(0f, Hidden).Concat(Enumerable.Repeat(1f, Hidden)), network.GetState());

        (double[] x, int[] labels) = StepHarness.Rows(data, order, 0, rows);
        var z = new double[rows * Hidden];
        ReferenceLoss(StepHarness.ToDouble(network.Parameters), x, labels, rows, hiddenOut: z);
        step.Propagate(StepHarness.Batch(data, order, 0, rows));
        float[] state = network.GetState();
        for (int j = 0; j < Hidden; j++)
        {
            double mean = Enumerable.Range(0, rows).Average(r => z[r * Hidden + j]);
            double unbiased = Enumerable.Range(0, rows).Sum(r => Math.Pow(z[r * Hidden + j] - mean, 2)) / (rows - 1);
            // running = (1 − 0.1)·running + 0.1·batch statistic, from 0 and 1.
            Assert.Equal(0.1 * mean, state[j], 1e-5 * Math.Max(1, Math.Abs(mean)));
            Assert.Equal(0.9 + 0.1 * unbiased, state[Hidden + j], 1e-5 * Math.Max(1, unbiased));
        }
        float[] after = network.GetState();
        step.Check(StepHarness.Batch(data, order, 20, rows));
        Assert.Equal(after, network.GetState());
    }

    [Theory]
    [InlineData("ReLU")]
    [InlineData("Tanh")]
    public void PredictionUsesTheRunningStatistics(string activation)
    {
        Network network = DenseNet(activation: activation);
        StepHarness.RandomizeBiases(network, 0.3, 6);
        var random = new Random(3);
        Span<float> state = network.State;
        for (int j = 0; j < Hidden; j++)
        {
            state[j] = (float)(random.NextDouble() - 0.5);
            state[Hidden + j] = (float)(0.2 + random.NextDouble());
        }
        MnistDataSet data = SyntheticData.Create(5, seed: 4);
        int[] order = Enumerable.Range(0, data.Count).ToArray();
        (double[] x, int[] labels) = StepHarness.Rows(data, order, 0, 5);
        var scores = new float[5 * Classes];
        network.PredictPixels(data.Pixels, 5, scores);
        double[] p = StepHarness.ToDouble(network.Parameters);
        double[] mean = StepHarness.ToDouble(network.State.Slice(0, Hidden)), variance = StepHarness.ToDouble(network.State.Slice(Hidden, Hidden));
        for (int r = 0; r < 5; r++)
        {
            // The loss of one row with the running statistics is −log of its label's score.
            double expected = ReferenceLoss(p, x.AsSpan(r * 16, 16).ToArray(), [labels[r]], 1, mean, variance, activation: activation);
            Assert.Equal(expected, -Math.Log(scores[r * Classes + labels[r]]), 5);
        }
        // Evaluation (Test-Network, validation) runs the same inference path.
        double meanLoss = Enumerable.Range(0, 5).Average(r => -Math.Log(scores[r * Classes + labels[r]]));
        Assert.Equal(meanLoss, new Evaluator(network).Evaluate(data).Loss, 5);
    }

    [Theory]
    [InlineData("conv")]
    [InlineData("pooled")]
    [InlineData("wide")]
    public void OneCoreAndTwoGiveTheSameBits(string kind)
    {
        Func<int, Network> make = kind switch { "conv" => ConvNet, "pooled" => PooledNet, _ => WideNet };
        MnistDataSet data = SyntheticData.Images(32 * 4 + 1, seed: 2);
        (float[] Parameters, float[] State) Train(int threads)
        {
            using var scope = ComputeSettings.Override(threads: threads);
            Network network = make(3);
            var options = new TrainingOptions { Optimizer = Optimizer.Adam, BatchSize = 32, LearningRate = 0.01f };
            var trainer = new Trainer(network, options);
            for (int epoch = 1; epoch <= 2; epoch++) trainer.TrainEpoch(data);
            return (network.GetParameters(), network.GetState());
        }
        var one = Train(1);
        var two = Train(2);
        Assert.Equal(one.Parameters, two.Parameters);
        Assert.Equal(one.State, two.State);
        Assert.NotEqual(make(3).GetState(), one.State);
        Assert.All(one.Parameters, value => Assert.True(float.IsFinite(value)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ABatchOfOneRowGivesNoNaNAndLeavesTheRunningStatistics(int threads)
    {
        using var scope = ComputeSettings.Override(threads: threads);
        Network network = DenseNet();
        MnistDataSet data = SyntheticData.Create(8, seed: 4);
        int[] order = Enumerable.Range(0, data.Count).ToArray();
        var step = new TrainingStep(network, 4);
        float[] before = network.GetState();
        (double loss, _) = step.Propagate(StepHarness.Batch(data, order, 3, 1));
        var state = OptimizerState.Create(Optimizer.Sgd, network.ParameterCount);
        var options = new TrainingOptions { Optimizer = Optimizer.Sgd, LearningRate = 0.1f };
        Assert.True(step.Update(state, Optimizers.Begin(state, options, options.EffectiveLearningRate)));
        Assert.True(double.IsFinite(loss));
        Assert.All(network.GetParameters(), value => Assert.True(float.IsFinite(value)));
        Assert.Equal(before, network.GetState());
    }

    [Fact]
    public void EarlyStoppingRestoresTheBestEpochsRunningStatistics()
    {
        MnistDataSet train = SyntheticData.Create(160, seed: 4), honest = SyntheticData.Create(90, seed: 5);
        // Labels moved by one class: the better the network learns, the worse its validation loss.
        byte[] labels = Enumerable.Range(0, honest.Count).Select(i => (byte)((honest.GetLabel(i) + 1) % 3)).ToArray();
        var misleading = new MnistDataSet("misleading", null, 4, 4, honest.Pixels.ToArray(), labels, classCount: 3);
        TrainingOptions Options() => new() { Optimizer = Optimizer.Adam, LearningRate = 0.02f, BatchSize = 16, Seed = 6 };
        Network network = DenseNet();
        var run = new TrainingRun(new Trainer(network, Options()), train, 20) { Validation = misleading, EarlyStoppingPatience = 3 };
        TrainingEpoch[] records = run.Run().ToArray();
        double[] losses = records.Select(r => r.ValidationLoss!.Value).ToArray();
        int best = Array.IndexOf(losses, losses.Min()) + 1;
        Assert.True(best < records.Length, "the run must have gone past its best epoch");

        Network reference = DenseNet();
        var trainer = new Trainer(reference, Options());
        for (int e = 0; e < best; e++) trainer.TrainEpoch(train);
        Assert.Equal(reference.GetParameters(), network.GetParameters());
        Assert.Equal(reference.GetState(), network.GetState());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void LayersWithoutBiasesTrainAsWithZeroBiasesAndHoldNone(int threads)
    {
        // Conv2d and Dense with bias=false before a BatchNorm, against the same layers with biases set to 0: the same
        // products plus zeros, so one step gives the same bits for every weight, and the parameter count drops by the biases.
        Network Make(bool bias)
        {
            string noBias = bias ? "" : " bias=false";
            return Build([1, 28, 28], 3, "Conv2d 4 3" + noBias, "BatchNorm ReLU", "AvgPool2d 2", "Dense 16" + noBias, "BatchNorm ReLU", "Dense 3 Softmax");
        }
        using var scope = ComputeSettings.Override(threads: threads);
        Network without = Make(false), with = Make(true);
        Assert.Equal(with.ParameterCount - 4 - 16, without.ParameterCount);
        Layer[] a = without.Stack.Layers.ToArray(), b = with.Stack.Layers.ToArray();
        for (int l = 0; l < a.Length; l++)
        {
            without.Parameters.Slice(a[l].ParameterOffset, a[l].WeightCount).CopyTo(with.Parameters.Slice(b[l].ParameterOffset, b[l].WeightCount));
            if (a[l].HasBias) without.Parameters.Slice(a[l].BiasOffset, a[l].Units).CopyTo(with.Parameters.Slice(b[l].BiasOffset, b[l].Units));
            else with.Parameters.Slice(b[l].BiasOffset, b[l].Units).Clear();
        }
        MnistDataSet data = SyntheticData.Images(40, seed: 2);
        int[] order = Enumerable.Range(0, data.Count).ToArray();
        var options = new TrainingOptions { Optimizer = Optimizer.Sgd, LearningRate = 0.1f };
        foreach (Network network in new[] { without, with })
        {
            var step = new TrainingStep(network, 40);
            step.Propagate(StepHarness.Batch(data, order, 0, 40));
            var state = OptimizerState.Create(Optimizer.Sgd, network.ParameterCount);
            Assert.True(step.Update(state, Optimizers.Begin(state, options, options.EffectiveLearningRate)));
        }
        for (int l = 0; l < a.Length; l++)
        {
            Assert.Equal(with.Parameters.Slice(b[l].ParameterOffset, b[l].WeightCount).ToArray(), without.Parameters.Slice(a[l].ParameterOffset, a[l].WeightCount).ToArray());
            if (a[l].HasBias)
                Assert.Equal(with.Parameters.Slice(b[l].BiasOffset, b[l].Units).ToArray(), without.Parameters.Slice(a[l].BiasOffset, a[l].Units).ToArray());
        }
        Assert.Equal(with.GetState(), without.GetState());
    }
}
