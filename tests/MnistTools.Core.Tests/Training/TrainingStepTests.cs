using MnistTools.Numerics;
using MnistTools.Training;

namespace MnistTools.Tests.Training;

/// <summary>The two-lane training step: same bits on one thread or two, and the gradient of the plain whole-batch pass.</summary>
public class TrainingStepTests
{
    private static Network NewNetwork() =>
        new(new[] { 16, 12, 3 }, Activation.Tanh, OutputActivation.Softmax, Loss.CrossEntropy, seed: 11);

    /// <summary>A first layer wide enough (784 x 96 = 75,264 weights) to run forward split by units.</summary>
    private static Network WideNetwork(Activation activation = Activation.ReLU) =>
        new(new[] { 784, 96, 10, 3 }, activation, OutputActivation.Softmax, Loss.CrossEntropy, seed: 5);

    /// <summary>
    /// Runs <paramref name="step"/> on batch rows order[start .. start + batch) and checks it against the plain whole-batch
    /// pass: the loss (relative <paramref name="lossTolerance"/>), the correct count, and every gradient entry (1e-6 absolute
    /// plus <paramref name="relative"/>). Returns the step's loss.
    /// </summary>
    private static double AssertMatchesTheWholeBatchPass(Network network, MnistDataSet data, int start, int batch, double lossTolerance, float relative)
    {
        int[] order = Enumerable.Range(0, data.Count).Reverse().ToArray();
        var step = new TrainingStep(network, batch);
        (double loss, int correct) = step.Backward(data, order, start, batch);

        var whole = new Workspace(network.Layout, batch, training: true);
        whole.LoadBatch(data, order.AsSpan(start, batch));
        Propagation.Forward(network, whole.Input, batch, whole);
        double expectedLoss = Propagation.Backward(network, whole.Input, batch, whole);
        int classes = network.OutputSize, expectedCorrect = 0;
        for (int r = 0; r < batch; r++)
            if (System.Numerics.Tensors.TensorPrimitives.IndexOfMax(whole.Output(batch).Slice(r * classes, classes)) == whole.Labels[r]) expectedCorrect++;

        Assert.Equal(expectedLoss, loss, lossTolerance * Math.Max(1, Math.Abs(expectedLoss)));
        Assert.Equal(expectedCorrect, correct);
        float[] gradient = step.Gradient();
        for (int i = 0; i < network.ParameterCount; i++)
        {
            float expected = whole.Gradients[i];
            Assert.True(Math.Abs(gradient[i] - expected) <= 1e-6f + relative * Math.Abs(expected), $"parameter {i}: {gradient[i]} vs {expected}");
        }

        (double forwardLoss, bool finite) = step.Forward(data, order, start, batch);
        Assert.True(finite);
        Assert.Equal(loss, forwardLoss);
        return loss;
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
    public void TheSplitStepComputesTheWholeBatchGradient(int batch) =>
        AssertMatchesTheWholeBatchPass(NewNetwork(), SyntheticData.Create(100, seed: 6), 5, batch, 1e-9, 1e-5f);

    [Theory]
    [InlineData(Optimizer.Momentum, 20, Activation.ReLU)]
    [InlineData(Optimizer.Adam, 7, Activation.Sigmoid)]
    [InlineData(Optimizer.Sgd, 1, Activation.LeakyReLU)]
    public void AWideFirstLayerTrainsTheSameBitsOnOneThreadOrTwo(Optimizer optimizer, int batchSize, Activation activation)
    {
        Assert.True(WideNetwork().Layout.WeightCount(0) >= TrainingStep.SplitFirstLayerWeights);
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
    public void AWideFirstLayerStepComputesTheWholeBatchGradient(int batch) =>
        AssertMatchesTheWholeBatchPass(WideNetwork(Activation.Tanh), SyntheticData.Images(40, seed: 3), 3, batch, 1e-6, 1e-4f);

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
