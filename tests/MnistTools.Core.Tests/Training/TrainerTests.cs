using MnistTools.Errors;
using MnistTools.Layers;
using MnistTools.Training;

namespace MnistTools.Tests.Training;

public class TrainerTests
{
    private static Network NewNetwork(Activation activation = Activation.ReLU, int seed = 3) =>
        new(new[] { 16, 8, 3 }, activation, Activation.Softmax, Loss.CrossEntropy, seed: seed);

    [Theory]
    [InlineData(Optimizer.Sgd, 0.5f)]
    [InlineData(Optimizer.Momentum, 0.05f)]
    [InlineData(Optimizer.Adam, 0.01f)]
    public void LearnsTheSyntheticTask(Optimizer optimizer, float learningRate)
    {
        var data = SyntheticData.Create(600);
        var network = NewNetwork();
        var trainer = new Trainer(network, new TrainingOptions { Optimizer = optimizer, LearningRate = learningRate, BatchSize = 16 });
        double before = new Evaluator(network).Evaluate(data).Loss;
        TrainingEpoch last = null!;
        for (int e = 0; e < 5; e++) last = trainer.TrainEpoch(data, validation: SyntheticData.Create(90, seed: 2));
        TestResult after = new Evaluator(network).Evaluate(SyntheticData.Create(300, seed: 9));
        Assert.True(after.Accuracy > 0.95, $"{optimizer}: accuracy {after.Accuracy}");
        Assert.True(after.Loss < before / 4, $"{optimizer}: loss {before} -> {after.Loss}");
        Assert.Equal(5, last.Epoch);
        Assert.Equal(5, network.EpochsTrained);
        Assert.Equal(600, last.Samples);
        Assert.NotNull(last.ValidationAccuracy);
        Assert.Equal(optimizer, network.OptimizerState!.Kind);
        Assert.Equal(5L * 38, network.OptimizerState.Step); // ceil(600 / 16) = 38 batches per epoch
    }

    [Theory]
    [InlineData(Optimizer.Sgd)]
    [InlineData(Optimizer.Momentum)]
    [InlineData(Optimizer.Adam)]
    public void SameSeedGivesIdenticalBits(Optimizer optimizer)
    {
        var data = SyntheticData.Create(200);
        float[] Run()
        {
            var network = NewNetwork(Activation.Tanh);
            var trainer = new Trainer(network, new TrainingOptions { Optimizer = optimizer, LearningRate = 0.01f, BatchSize = 7, L2 = 1e-3f, Seed = 11 });
            trainer.TrainEpoch(data);
            trainer.TrainEpoch(data);
            return network.GetParameters();
        }
        float[] first = Run(), second = Run();
        Assert.Equal(first.Select(BitConverter.SingleToInt32Bits), second.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void ShuffleOrderIsAPureFunctionOfSeedAndEpoch()
    {
        int[] a = new int[50], b = new int[50], c = new int[50], d = new int[50];
        ShuffleOrder.Fill(a, 5, 1);
        ShuffleOrder.Fill(b, 5, 1);
        ShuffleOrder.Fill(c, 5, 2);
        ShuffleOrder.Fill(d, 6, 1);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.NotEqual(a, d);
        Assert.Equal(Enumerable.Range(0, 50), a.OrderBy(x => x));
    }

    [Theory]
    [InlineData(Optimizer.Momentum)]
    [InlineData(Optimizer.Adam)]
    public void ResumingEqualsTrainingOnInOneGo(Optimizer optimizer)
    {
        var data = SyntheticData.Create(150);
        var options = new TrainingOptions { Optimizer = optimizer, LearningRate = 0.02f, BatchSize = 10, Seed = 4 };

        var together = NewNetwork();
        var trainer = new Trainer(together, options);
        var e1 = trainer.TrainEpoch(data);
        var e2 = trainer.TrainEpoch(data);

        // One epoch, then a brand-new trainer (as a second Invoke-Training) on a restored copy for the next.
        var split = NewNetwork();
        new Trainer(split, options).TrainEpoch(data);
        var restored = Network.Restore(split.LayerSizes!, split.Activation, split.OutputActivation, split.Loss, split.Initializer, split.Seed,
            split.EpochsTrained, split.GetParameters(), split.OptimizerState, null);
        var r2 = new Trainer(restored, options).TrainEpoch(data);

        Assert.Equal(together.GetParameters(), restored.GetParameters());

        // The same object, a second trainer (a second Invoke-Training call), same seed.
        var sameObject = NewNetwork();
        new Trainer(sameObject, options).TrainEpoch(data);
        new Trainer(sameObject, options).TrainEpoch(data);
        Assert.Equal(together.GetParameters(), sameObject.GetParameters());
        Assert.Equal(e2.TrainLoss, r2.TrainLoss);
        Assert.Equal(2, r2.Epoch);
        Assert.NotEqual(e1.TrainLoss, e2.TrainLoss);
    }

    [Fact]
    public void DivergenceRestoresTheEpochStartWeightsAndNamesEpochAndBatch()
    {
        var data = SyntheticData.Create(200);
        // Softmax: once the wild step sends Z to ±Inf, the max-shift gives Inf - Inf = NaN on every GEMM path. (With a
        // sigmoid output the loss stays finite when the kernel fuses multiply-add: FMA products never overflow alone.)
        var network = new Network(new[] { 16, 8, 3 }, Activation.ReLU, Activation.Softmax, Loss.CrossEntropy, seed: 2);
        new Trainer(network, new TrainingOptions { LearningRate = 0.1f, BatchSize = 20 }).TrainEpoch(data);
        float[] good = network.GetParameters();
        var wild = new Trainer(network, new TrainingOptions { Optimizer = Optimizer.Sgd, LearningRate = 1e38f, BatchSize = 20 });
        var e = Assert.Throws<MnistToolsException>(() => wild.TrainEpoch(data));
        Assert.Equal("TrainingDiverged", e.ErrorId);
        Assert.Equal(FailureKind.InvalidResult, e.Kind);
        Assert.Contains("epoch 2, batch", e.Message);
        Assert.Contains("lower learning rate", e.Message);
        Assert.Equal(good, network.GetParameters());
        Assert.Equal(1, network.EpochsTrained);
        Assert.True(float.IsFinite(new Evaluator(network).Evaluate(data).Accuracy is var a ? (float)a : 0));
    }

    [Theory]
    [InlineData(Optimizer.AdamW, 0.001f, 1e6f, 0f, "WeightDecay", "-WeightDecay below 1000")]
    [InlineData(Optimizer.Sgd, 0.1f, 0.01f, 1e6f, "L2", "-L2 below 10")]
    [InlineData(Optimizer.Momentum, 0.1f, 0.01f, 1e6f, "L2", "-L2 below 10")]
    public void ADivergenceCausedByWeightDecayAdvisesALowerDecayNotALowerRate(Optimizer optimizer, float rate, float decay, float l2, string target, string advice)
    {
        var data = SyntheticData.Create(200);
        var network = new Network(new[] { 16, 8, 3 }, Activation.ReLU, Activation.Softmax, Loss.CrossEntropy, seed: 2);
        float[] start = network.GetParameters();
        var trainer = new Trainer(network, new TrainingOptions { Optimizer = optimizer, LearningRate = rate, WeightDecay = decay, L2 = l2, BatchSize = 20 });
        var e = Assert.Throws<MnistToolsException>(() => trainer.TrainEpoch(data));
        Assert.Equal(ErrorIds.TrainingDiverged, e.ErrorId);
        Assert.Equal(target, e.Target);
        Assert.Contains(advice, e.Message);
        Assert.DoesNotContain("lower learning rate", e.Message);
        Assert.Equal(start, network.GetParameters());
    }

    [Theory]
    [InlineData(Optimizer.Sgd, 0.01, 0.0003, 0.1)]
    [InlineData(Optimizer.AdamW, 0.001, 0.0, 0.05)]
    [InlineData(Optimizer.Momentum, 0.3, 1e-5, 0.01)]
    public void TheRecordShowsTheHyperParametersAsGivenWhileTheKernelsUseTheirFloats(Optimizer optimizer, double rate, double l2, double decay)
    {
        var data = SyntheticData.Create(200);
        Network typed = NewNetwork(), widened = NewNetwork();
        TrainingEpoch record = new Trainer(typed, new TrainingOptions { Optimizer = optimizer, LearningRate = rate, L2 = l2, WeightDecay = decay, BatchSize = 20 }).TrainEpoch(data);
        // As given: 0.01 is 0.01, not 0.009999999776482582 (the float the kernels use).
        Assert.Equal(rate, record.LearningRate);
        Assert.Equal(rate, record.LearningRateMin);
        Assert.Equal(rate, record.LearningRateMax);
        Assert.Equal(l2, record.L2);
        Assert.Equal(optimizer == Optimizer.AdamW ? decay : 0, record.WeightDecay);
        // The same bits as training with the float values themselves: the arithmetic did not change.
        new Trainer(widened, new TrainingOptions { Optimizer = optimizer, LearningRate = (float)rate, L2 = (float)l2, WeightDecay = (float)decay, BatchSize = 20 }).TrainEpoch(data);
        Assert.Equal(typed.GetParameters().Select(BitConverter.SingleToInt32Bits), widened.GetParameters().Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void TheDefaultRatesAndDecayAreShownAsWritten()
    {
        var data = SyntheticData.Create(60);
        foreach ((Optimizer optimizer, double rate) in new[] { (Optimizer.Sgd, 0.1), (Optimizer.Momentum, 0.01), (Optimizer.Adam, 0.001), (Optimizer.AdamW, 0.001) })
        {
            TrainingEpoch record = new Trainer(NewNetwork(), new TrainingOptions { Optimizer = optimizer, BatchSize = 20 }).TrainEpoch(data);
            Assert.Equal(rate, record.LearningRate);
            Assert.Equal(optimizer == Optimizer.AdamW ? 0.01 : 0, record.WeightDecay);
        }
    }

    [Fact]
    public void CancellationStopsBetweenBatchesAndLeavesAUsableNetwork()
    {
        var data = SyntheticData.Create(400);
        var network = NewNetwork();
        using var cancel = new CancellationTokenSource();
        int batches = 0;
        var trainer = new Trainer(network, new TrainingOptions { LearningRate = 0.1f, BatchSize = 10 });
        Assert.ThrowsAny<OperationCanceledException>(() => trainer.TrainEpoch(data, null, p => { if (++batches == 3) cancel.Cancel(); }, cancel.Token));
        Assert.Equal(3, batches);
        Assert.Equal(0, network.EpochsTrained);
        Assert.Equal(3, network.OptimizerState!.Step);
        Assert.True(network.GetParameters().All(float.IsFinite));
        Assert.Equal(400, new Evaluator(network).Evaluate(data).Total);
    }

    [Fact]
    public void MismatchedDataIsAnInvalidArgumentBeforeAnyWork()
    {
        var network = new Network(new[] { 784, 10 });
        float[] before = network.GetParameters();
        var trainer = new Trainer(network, new TrainingOptions());
        var e = Assert.Throws<MnistToolsException>(() => trainer.TrainEpoch(SyntheticData.Create(10)));
        Assert.Equal("NetworkDataMismatch", e.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, e.Kind);
        Assert.Equal(before, network.GetParameters());
        Assert.Null(network.OptimizerState);
        var small = new Network(new[] { 16, 10 });
        e = Assert.Throws<MnistToolsException>(() => new Evaluator(small).Evaluate(SyntheticData.Create(10)));
        Assert.Contains("3 classes", e.Message);
    }

    [Theory]
    [InlineData(0, 0.1f, 0.9f, 0f, "BatchSizeOutOfRange")]
    [InlineData(10, -1f, 0.9f, 0f, "LearningRateOutOfRange")]
    [InlineData(10, float.NaN, 0.9f, 0f, "LearningRateOutOfRange")]
    [InlineData(10, 0.1f, 1f, 0f, "MomentumOutOfRange")]
    [InlineData(10, 0.1f, 0.9f, -1f, "L2OutOfRange")]
    public void BadOptionsAreRejected(int batch, float rate, float momentum, float l2, string id)
    {
        var e = Assert.Throws<MnistToolsException>(() => new Trainer(NewNetwork(),
            new TrainingOptions { BatchSize = batch, LearningRate = rate, Momentum = momentum, L2 = l2 }));
        Assert.Equal(id, e.ErrorId);
    }

    [Fact]
    public void TrainingDoesNotAllocatePerStep()
    {
        var data = SyntheticData.Create(2000);
        var network = NewNetwork();
        var trainer = new Trainer(network, new TrainingOptions { Optimizer = Optimizer.Adam, BatchSize = 10 });
        trainer.TrainEpoch(data); // warm up (JIT, first-epoch buffers)
        long before = GC.GetAllocatedBytesForCurrentThread();
        trainer.TrainEpoch(data);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 20_000, $"{allocated} bytes allocated over 200 steps");
    }
}
