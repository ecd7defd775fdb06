using MnistTools.Numerics;
using MnistTools.Training;
using MnistTools.Layers;

namespace MnistTools.Tests.Training;

/// <summary>The two-lane training step: same bits on one thread or two, and the gradient of the double oracle.</summary>
public class TrainingStepTests
{
    private static Network NewNetwork() =>
        new(new[] { 16, 12, 3 }, Activation.Tanh, Activation.Softmax, Loss.CrossEntropy, seed: 11);

    /// <summary>A first layer wide enough (784 x 96 = 75,264 weights) to run forward split by units.</summary>
    private static Network WideNetwork(Activation activation = Activation.ReLU) =>
        new(new[] { 784, 96, 10, 3 }, activation, Activation.Softmax, Loss.CrossEntropy, seed: 5);

    /// <summary>
    /// Runs the production step on batch rows order[start .. start + batch) and checks it against the double oracle
    /// (<see cref="ReferenceNetwork"/>): the summed loss (relative <paramref name="lossTolerance"/>), the correct count, and
    /// every entry of the gradient the optimizer receives (1e-6 absolute plus <paramref name="relative"/>); and that
    /// <see cref="TrainingStep.Check"/> on the same rows gives the same loss bits and finite outputs.
    /// </summary>
    private static void AssertTheStepComputesTheOracleGradient(Network network, MnistDataSet data, int start, int batch, double lossTolerance, double relative)
    {
        int[] order = Enumerable.Range(0, data.Count).Reverse().ToArray();
        (float[] gradient, double loss, int correct, double checkLoss, bool finite) = StepHarness.Gradient(network, data, order, start, batch, batch);
        (double[] inputs, int[] labels) = StepHarness.Rows(data, order, start, batch);
        ReferenceNetwork.Result oracle = ReferenceNetwork.Batch(network, StepHarness.ToDouble(network.Parameters), inputs, labels);

        Assert.True(Math.Abs(loss - oracle.LossSum) <= lossTolerance * Math.Max(1, Math.Abs(oracle.LossSum)), $"loss {loss:R}, oracle {oracle.LossSum:R}");
        Assert.Equal(oracle.Correct, correct);
        for (int i = 0; i < network.ParameterCount; i++)
        {
            double expected = oracle.Gradient[i];
            Assert.True(Math.Abs(gradient[i] - expected) <= 1e-6 + relative * Math.Abs(expected), $"parameter {i}: {gradient[i]:R} vs {expected:R}");
        }
        Assert.True(finite);
        Assert.Equal(loss, checkLoss);
    }

    private static void AssertSameBits(float[]? expected, float[]? actual, string what)
    {
        Assert.True((expected is null) == (actual is null), what);
        if (expected is null) return;
        Assert.Equal(expected.Length, actual!.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what} {i}: {expected[i]:R} vs {actual[i]:R}");
    }

    /// <summary>Two steps and a check of <see cref="TrainingStep"/> on <paramref name="threads"/> threads: everything they produce.</summary>
    private static (float[] Parameters, OptimizerState State, double[] Losses, int[] Correct, double CheckLoss) TwoSteps(
        Func<Network> build, MnistDataSet data, Optimizer optimizer, int rows, int threads)
    {
        using var scope = ComputeSettings.Override(threads: threads);
        Network network = build();
        var step = new TrainingStep(network, rows);
        var state = OptimizerState.Create(optimizer, network.ParameterCount);
        var options = new TrainingOptions { Optimizer = optimizer, BatchSize = rows, LearningRate = OptimizerState.UsesMoments(optimizer) ? 0.01f : 0.05f, L2 = 0.001f };
        int[] order = Enumerable.Range(0, data.Count).ToArray();
        double[] losses = new double[2];
        int[] correct = new int[2];
        for (int s = 0; s < 2; s++)
        {
            (losses[s], correct[s]) = step.Propagate(StepHarness.Batch(data, order, s * rows, rows, state.Step));
            Assert.True(step.Update(state, Optimizers.Begin(state, options, options.EffectiveLearningRate)));
        }
        (double checkLoss, bool finite) = step.Check(StepHarness.Batch(data, order, 2 * rows, rows));
        Assert.True(finite);
        return (network.GetParameters(), state, losses, correct, checkLoss);
    }

    private static void AssertTwoStepsGiveTheSameBitsOnOneThreadOrTwo(Func<Network> build, MnistDataSet data, Optimizer optimizer, int rows)
    {
        long sharedBefore = ParallelWorker.SharedJobs;
        var one = TwoSteps(build, data, optimizer, rows, 1);
        var two = TwoSteps(build, data, optimizer, rows, 2);
        Assert.True(ParallelWorker.SharedJobs > sharedBefore, "the two-thread run never offered a job to the worker");
        string what = $"{optimizer}, {rows} rows:";
        AssertSameBits(one.Parameters, two.Parameters, $"{what} parameter");
        AssertSameBits(one.State.Velocity, two.State.Velocity, $"{what} velocity");
        AssertSameBits(one.State.FirstMoment, two.State.FirstMoment, $"{what} first moment");
        AssertSameBits(one.State.SecondMoment, two.State.SecondMoment, $"{what} second moment");
        Assert.Equal(one.Losses, two.Losses);
        Assert.Equal(one.Correct, two.Correct);
        Assert.Equal(one.CheckLoss, two.CheckLoss);
    }

    [Theory]
    [InlineData(Optimizer.Sgd)]
    [InlineData(Optimizer.Momentum)]
    [InlineData(Optimizer.Adam)]
    [InlineData(Optimizer.AdamW)]
    public void EveryBatchSizeStepsTheSameBitsOnOneThreadOrTwo(Optimizer optimizer)
    {
        var data = SyntheticData.Create(200, seed: 5);
        for (int rows = 1; rows <= 64; rows++) AssertTwoStepsGiveTheSameBitsOnOneThreadOrTwo(NewNetwork, data, optimizer, rows);
    }

    [Theory]
    [InlineData(Optimizer.Sgd)]
    [InlineData(Optimizer.Momentum)]
    [InlineData(Optimizer.Adam)]
    [InlineData(Optimizer.AdamW)]
    public void AWideFirstLayerStepsTheSameBitsOnOneThreadOrTwoAtEveryRoute(Optimizer optimizer)
    {
        var data = SyntheticData.Images(330, seed: 4);
        foreach (int rows in new[] { 1, 2, 3, 10, 11, 64, 97, 110 })
            AssertTwoStepsGiveTheSameBitsOnOneThreadOrTwo(() => WideNetwork(), data, optimizer, rows);
    }

    [Theory]
    [InlineData(Optimizer.Sgd, 1)]
    [InlineData(Optimizer.Sgd, 7)]
    [InlineData(Optimizer.Momentum, 16)]
    [InlineData(Optimizer.Momentum, 33)]
    [InlineData(Optimizer.Adam, 2)]
    [InlineData(Optimizer.Adam, 25)]
    public void OneAndTwoThreadsTrainTheSameBits(Optimizer optimizer, int batchSize)
    {
        var data = SyntheticData.Create(230);
        var validation = SyntheticData.Create(700, seed: 4);
        (Network Network, TrainingEpoch[] Epochs) Train(int threads)
        {
            using var scope = ComputeSettings.Override(threads: threads);
            var network = NewNetwork();
            var trainer = new Trainer(network, new TrainingOptions
            {
                Optimizer = optimizer, BatchSize = batchSize, LearningRate = optimizer == Optimizer.Adam ? 0.01f : 0.05f, L2 = 0.001f,
            });
            return (network, new[] { trainer.TrainEpoch(data, validation), trainer.TrainEpoch(data, validation) });
        }

        var one = Train(1);
        long sharedBefore = ParallelWorker.SharedJobs;
        var two = Train(2);
        Assert.True(ParallelWorker.SharedJobs > sharedBefore, "the two-thread run never offered a job to the worker");

        Assert.Equal(one.Network.GetParameters(), two.Network.GetParameters()); // exact float equality, element by element
        OptimizerState a = one.Network.OptimizerState!, b = two.Network.OptimizerState!;
        Assert.Equal(a.Step, b.Step);
        Assert.Equal(a.Velocity, b.Velocity);
        Assert.Equal(a.FirstMoment, b.FirstMoment);
        Assert.Equal(a.SecondMoment, b.SecondMoment);
        for (int e = 0; e < 2; e++)
        {
            Assert.Equal(one.Epochs[e].TrainLoss, two.Epochs[e].TrainLoss);
            Assert.Equal(one.Epochs[e].TrainAccuracy, two.Epochs[e].TrainAccuracy);
            Assert.Equal(one.Epochs[e].ValidationLoss, two.Epochs[e].ValidationLoss);
            Assert.Equal(one.Epochs[e].ValidationAccuracy, two.Epochs[e].ValidationAccuracy);
        }
        Assert.True(two.Epochs[1].TrainLoss < 0.9 * Math.Log(3), $"did not learn: loss {two.Epochs[1].TrainLoss}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(64)]
    public void TheSplitStepComputesTheOracleGradient(int batch) =>
        AssertTheStepComputesTheOracleGradient(NewNetwork(), SyntheticData.Create(100, seed: 6), 5, batch, 1e-5, 1e-5);

    [Theory]
    [InlineData(Optimizer.Momentum, 20, Activation.ReLU)]
    [InlineData(Optimizer.Adam, 7, Activation.Sigmoid)]
    [InlineData(Optimizer.Sgd, 1, Activation.LeakyReLU)]
    public void AWideFirstLayerTrainsTheSameBitsOnOneThreadOrTwo(Optimizer optimizer, int batchSize, Activation activation)
    {
        Assert.True(WideNetwork().Stack.Layers[0].WeightCount >= TrainingStep.SplitFirstLayerWeights);
        var data = SyntheticData.Images(120, seed: 2);
        (float[] Parameters, double Loss) Train(int threads)
        {
            using var scope = ComputeSettings.Override(threads: threads);
            var network = WideNetwork(activation);
            var trainer = new Trainer(network, new TrainingOptions { Optimizer = optimizer, BatchSize = batchSize, LearningRate = optimizer == Optimizer.Adam ? 0.001f : 0.02f, L2 = 0.0005f });
            trainer.TrainEpoch(data);
            return (network.GetParameters(), trainer.TrainEpoch(data).TrainLoss);
        }
        var one = Train(1);
        var two = Train(2);
        Assert.Equal(one.Parameters, two.Parameters);
        Assert.Equal(one.Loss, two.Loss);
        Assert.True(one.Loss < Math.Log(3), $"did not learn: {one.Loss}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(16)]
    public void AWideFirstLayerStepComputesTheOracleGradient(int batch) =>
        AssertTheStepComputesTheOracleGradient(WideNetwork(Activation.Tanh), SyntheticData.Images(40, seed: 3), 3, batch, 1e-5, 1e-4);

    [Fact]
    public void EvaluationGivesTheSameBitsOnOneThreadOrTwo()
    {
        var data = SyntheticData.Create(5000, seed: 8); // 20 chunks of 256: two jobs, the last chunk partial
        var network = NewNetwork();
        new Trainer(network, new TrainingOptions { BatchSize = 20, LearningRate = 0.05f }).TrainEpoch(SyntheticData.Create(300));
        TestResult Evaluate(int threads)
        {
            using var scope = ComputeSettings.Override(threads: threads);
            return new Evaluator(network).Evaluate(data);
        }
        TestResult one = Evaluate(1), two = Evaluate(2);
        Assert.Equal(one.Loss, two.Loss);
        Assert.Equal(one.Accuracy, two.Accuracy);
        for (int actual = 0; actual < 3; actual++)
            for (int predicted = 0; predicted < 3; predicted++)
                Assert.Equal(one.ConfusionMatrix[actual, predicted], two.ConfusionMatrix[actual, predicted]);
        Assert.Equal(5000, Enumerable.Range(0, 3).Sum(a => Enumerable.Range(0, 3).Sum(p => one.ConfusionMatrix[a, p])));
    }
}
