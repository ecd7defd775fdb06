using MnistTools.Layers;
using MnistTools.Randomness;
using MnistTools.Training;
using Xunit.Abstractions;

namespace MnistTools.Tests.Training;

/// <summary>
/// One step of the real trainer equals "oracle gradient, then the textbook optimizer update": for every optimizer (AdamW
/// with its decoupled decay too), with L2 > 0, for every batch size 1..64 on a narrow network and for batch sizes that take each route of the step on wider
/// ones (first layer forward split by units; each layer's weight gradient by units over the whole batch and per lane).
/// Each case runs two consecutive steps, the second from the state the first left (velocity, moments, Adam's t = 2).
/// Compared: the summed loss and correct count of <see cref="TrainingStep.Propagate"/> against
/// <see cref="ReferenceNetwork"/> (double), and every parameter and optimizer buffer against
/// <see cref="TextbookOptimizer"/> applied to the oracle gradient.
/// Tolerance: the float gradient may differ from the exact one by δ = 1e-4·|g| + 1e-7 (looser where float sums run over
/// 100,000 terms), so each value must lie in the textbook update's range over [g − δ, g + δ], widened by
/// float rounding (<see cref="Rounding"/>·|value| + <see cref="ChangeRelative"/>·|change|).
/// </summary>
public class StepOracleTests(ITestOutputHelper output)
{
    private double _gradientRelative = 1e-4, _gradientFloor = 1e-7;
    private const double Rounding = 3e-7, ChangeRelative = 1e-5;
    private const double LossRelative = 1e-5, LossFloor = 1e-6;

    /// <summary>The largest share of its allowance any compared value used (reported, to show the tolerances' slack).</summary>
    private double _worst;
    private string _worstWhat = "";

    private static TrainingOptions Options(Optimizer optimizer, int batchSize) => optimizer switch
    {
        Optimizer.Sgd => new() { Optimizer = optimizer, BatchSize = batchSize, LearningRate = 0.1f, L2 = 0.05f, Seed = 21 },
        // μ differs from the default, so the value the step uses must come from the options.
        Optimizer.Momentum => new() { Optimizer = optimizer, BatchSize = batchSize, LearningRate = 0.05f, Momentum = 0.8f, L2 = 0.05f, Seed = 21 },
        Optimizer.Adam => new() { Optimizer = optimizer, BatchSize = batchSize, LearningRate = 0.01f, L2 = 0.05f, Seed = 21 },
        // Both decays: the coupled L2 in the gradient and AdamW's decoupled one.
        _ => new() { Optimizer = optimizer, BatchSize = batchSize, LearningRate = 0.01f, L2 = 0.05f, WeightDecay = 0.5f, Seed = 21 },
    };

    /// <summary>16-12-3 Tanh/Softmax CrossEntropy: every layer's weight gradient by units for small batches, per lane for larger.</summary>
    private static Network Narrow()
    {
        var network = new Network(new[] { 16, 12, 3 }, Activation.Tanh, Activation.Softmax, Loss.CrossEntropy, seed: 11);
        StepHarness.RandomizeBiases(network, 0.3, 12);
        return network;
    }

    /// <summary>784-96-10-3 ReLU/Softmax CrossEntropy: W_0 (75,264 weights) runs forward split by units.</summary>
    private static Network Wide()
    {
        var network = new Network(new[] { 784, 96, 10, 3 }, Activation.ReLU, Activation.Softmax, Loss.CrossEntropy, seed: 5);
        StepHarness.RandomizeBiases(network, 0.1, 6);
        return network;
    }

    /// <summary>784-40-10-3 LeakyReLU/Sigmoid CrossEntropy: W_0 (31,360 weights) runs forward by rows in each lane.</summary>
    private static Network Medium()
    {
        var network = new Network(new[] { 784, 40, 10, 3 }, Activation.LeakyReLU, Activation.Sigmoid, Loss.CrossEntropy, seed: 8);
        StepHarness.RandomizeBiases(network, 0.1, 9);
        return network;
    }

    private static int[] Order(int count)
    {
        var order = new int[count];
        ShuffleOrder.Fill(order, 9, 1);
        return order;
    }

    [Theory]
    [InlineData(Optimizer.Sgd)]
    [InlineData(Optimizer.Momentum)]
    [InlineData(Optimizer.Adam)]
    [InlineData(Optimizer.AdamW)]
    public void EveryBatchSizeOfANarrowNetworkStepsLikeTheOracle(Optimizer optimizer)
    {
        var data = SyntheticData.Create(200, seed: 6);
        int[] order = Order(data.Count);
        AssertEveryRouteIsTaken(Narrow(), Enumerable.Range(1, 64), splitFirstLayer: false);
        for (int rows = 1; rows <= 64; rows++)
        {
            AssertStepsMatchTheOracle(Narrow(), data, order, optimizer, batchSize: rows, rows);
            // The last batch of an epoch: fewer rows than the step was built for.
            if (rows < 64) AssertStepsMatchTheOracle(Narrow(), data, order, optimizer, batchSize: 64, rows);
        }
        Report();
    }

    [Theory]
    [InlineData(Optimizer.Sgd)]
    [InlineData(Optimizer.Momentum)]
    [InlineData(Optimizer.Adam)]
    [InlineData(Optimizer.AdamW)]
    public void AWideFirstLayerStepsLikeTheOracle(Optimizer optimizer)
    {
        var data = SyntheticData.Images(260, seed: 2);
        int[] order = Order(data.Count);
        int[] batchSizes = { 1, 2, 3, 4, 10, 11, 17, 33, 64, 97, 128 };
        AssertEveryRouteIsTaken(Wide(), batchSizes, splitFirstLayer: true);
        foreach (int batch in batchSizes) AssertStepsMatchTheOracle(Wide(), data, order, optimizer, batch, batch);
        AssertStepsMatchTheOracle(Wide(), data, order, optimizer, batchSize: 64, rows: 37);
        AssertStepsMatchTheOracle(Wide(), data, order, optimizer, batchSize: 128, rows: 1);
        Report();
    }

    [Theory]
    [InlineData(Optimizer.Sgd)]
    [InlineData(Optimizer.Momentum)]
    [InlineData(Optimizer.Adam)]
    [InlineData(Optimizer.AdamW)]
    public void AFirstLayerForwardByRowsStepsLikeTheOracle(Optimizer optimizer)
    {
        var data = SyntheticData.Images(140, seed: 3);
        int[] order = Order(data.Count);
        int[] batchSizes = { 1, 3, 4, 7, 40, 41, 64 };
        AssertEveryRouteIsTaken(Medium(), batchSizes, splitFirstLayer: false);
        foreach (int batch in batchSizes) AssertStepsMatchTheOracle(Medium(), data, order, optimizer, batch, batch);
        AssertStepsMatchTheOracle(Medium(), data, order, optimizer, batchSize: 64, rows: 9);
        Report();
    }

    /// <summary>
    /// A first layer whose weight rows are longer than the update's gradient block (100,000 inputs: one unit's row does not
    /// fit in it), with its weight gradient computed by units.
    /// </summary>
    [Theory]
    [InlineData(Optimizer.Sgd)]
    [InlineData(Optimizer.Adam)]
    [InlineData(Optimizer.AdamW)]
    public void RowsLongerThanTheGradientBlockStepLikeTheOracle(Optimizer optimizer)
    {
        const int side = 250, inputs = side * 400;
        var random = new SeededRandom(41);
        byte[] pixels = new byte[4 * inputs], labels = { 0, 2, 1, 1 };
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)random.NextInt(256);
        var data = new MnistDataSet("long rows", null, side, inputs / side, pixels, labels, classCount: 3);
        Network Build()
        {
            var network = new Network(new[] { inputs, 4, 3 }, Activation.Tanh, Activation.Softmax, Loss.CrossEntropy, seed: 4);
            StepHarness.RandomizeBiases(network, 0.1, 5);
            return network;
        }
        Assert.True(Build().Stack.Layers[0].WeightGradientByUnits(2));
        // Each first-layer output sums 100,000 float products: its rounding error, and the gradient's, is that much larger.
        (_gradientRelative, _gradientFloor) = (1e-3, 5e-6);
        AssertStepsMatchTheOracle(Build(), data, new[] { 3, 1, 0, 2 }, optimizer, batchSize: 2, rows: 2);
        AssertStepsMatchTheOracle(Build(), data, new[] { 3, 1, 0, 2 }, optimizer, batchSize: 1, rows: 1);
        Report();
    }

    /// <summary>The trainer itself (one batch per epoch, its own shuffle): each epoch is one step that equals the oracle's.</summary>
    [Theory]
    [InlineData(Optimizer.Sgd, 1)]
    [InlineData(Optimizer.Sgd, 29)]
    [InlineData(Optimizer.Momentum, 2)]
    [InlineData(Optimizer.Momentum, 64)]
    [InlineData(Optimizer.Adam, 13)]
    [InlineData(Optimizer.Adam, 64)]
    [InlineData(Optimizer.AdamW, 7)]
    [InlineData(Optimizer.AdamW, 64)]
    public void TheTrainerOnAOneBatchSetStepsLikeTheOracle(Optimizer optimizer, int batchSize)
    {
        var data = SyntheticData.Create(batchSize, seed: 14);
        var network = Narrow();
        TrainingOptions options = Options(optimizer, batchSize);
        var trainer = new Trainer(network, options);
        OptimizerState stateBefore = OptimizerState.Create(optimizer, network.ParameterCount);
        for (int epoch = 1; epoch <= 2; epoch++)
        {
            float[] before = network.GetParameters();
            var order = new int[batchSize];
            ShuffleOrder.Fill(order, options.Seed!.Value, epoch);
            (double[] inputs, int[] labels) = StepHarness.Rows(data, order, 0, batchSize);
            ReferenceNetwork.Result oracle = ReferenceNetwork.Batch(network, StepHarness.ToDouble(before), inputs, labels);

            TrainingEpoch result = trainer.TrainEpoch(data);

            string what = $"Trainer {optimizer}, batch {batchSize}, epoch {epoch}";
            AssertLoss(what, oracle.LossSum / batchSize, result.TrainLoss);
            Assert.Equal((double)oracle.Correct / batchSize, result.TrainAccuracy);
            OptimizerState state = network.OptimizerState!;
            Assert.Equal(epoch, state.Step);
            AssertUpdate(what, TextbookOptimizer.Settings.From(options, state), epoch, TextbookOptimizer.WeightMask(network),
                before, stateBefore, oracle.Gradient, network.GetParameters(), state);
            stateBefore = state.Clone();
        }
        Report();
    }

    /// <summary>
    /// Two steps of <see cref="TrainingStep"/> (built for <paramref name="batchSize"/>) on <paramref name="rows"/> rows each
    /// (rows [0, rows) then [rows, 2·rows) of <paramref name="order"/>), each checked against the oracle from the
    /// parameters and state the production step started from.
    /// </summary>
    private void AssertStepsMatchTheOracle(Network network, MnistDataSet data, int[] order, Optimizer optimizer, int batchSize, int rows)
    {
        TrainingOptions options = Options(optimizer, batchSize);
        var state = OptimizerState.Create(optimizer, network.ParameterCount);
        var step = new TrainingStep(network, batchSize);
        bool[] weight = TextbookOptimizer.WeightMask(network);
        for (int s = 0; s < 2; s++)
        {
            string what = $"{network.Architecture} {optimizer}, step built for {batchSize}, {rows} rows, step {s + 1}";
            int start = s * rows;
            float[] before = network.GetParameters();
            OptimizerState stateBefore = state.Clone();

            (double loss, int correct) = step.Propagate(StepHarness.Batch(data, order, start, rows, state.Step));
            OptimizerStep scalars = Optimizers.Begin(state, options, options.EffectiveLearningRate);
            Assert.True(step.Update(state, scalars), $"{what}: the update reported unhealthy parameters.");
            Assert.Equal(s + 1, state.Step);

            (double[] inputs, int[] labels) = StepHarness.Rows(data, order, start, rows);
            ReferenceNetwork.Result oracle = ReferenceNetwork.Batch(network, StepHarness.ToDouble(before), inputs, labels);
            AssertLoss(what, oracle.LossSum, loss);
            Assert.True(oracle.Correct == correct, $"{what}: {correct} correct, the oracle says {oracle.Correct}.");
            AssertUpdate(what, TextbookOptimizer.Settings.From(options, state), state.Step, weight, before, stateBefore, oracle.Gradient,
                network.GetParameters(), state);
        }
    }

    /// <summary>Every layer takes both weight-gradient routes over <paramref name="batchSizes"/>; the first layer's forward is split by units or not.</summary>
    private static void AssertEveryRouteIsTaken(Network network, IEnumerable<int> batchSizes, bool splitFirstLayer)
    {
        foreach (Layer layer in network.Stack.Layers)
        {
            Assert.Contains(batchSizes, b => layer.WeightGradientByUnits(b));
            Assert.Contains(batchSizes, b => !layer.WeightGradientByUnits(b));
        }
        Assert.Equal(splitFirstLayer, network.Stack.Layers[0].WeightCount >= TrainingStep.SplitFirstLayerWeights);
    }

    private void AssertLoss(string what, double expected, double actual)
    {
        double allowance = LossRelative * Math.Abs(expected) + LossFloor;
        Note(what + " loss", Math.Abs(actual - expected) / allowance);
        Assert.True(Math.Abs(actual - expected) <= allowance, $"{what}: loss {actual:R}, the oracle's {expected:R}.");
    }

    /// <summary>
    /// Every parameter and optimizer buffer after the step against the textbook update of <paramref name="gradient"/>
    /// (the oracle's) from <paramref name="before"/> and <paramref name="stateBefore"/> at step <paramref name="t"/>.
    /// </summary>
    private void AssertUpdate(string what, in TextbookOptimizer.Settings settings, long t, bool[] weight, float[] before,
        OptimizerState stateBefore, double[] gradient, float[] after, OptimizerState stateAfter)
    {
        (float[]? firstBefore, string firstName) = settings.Kind == Optimizer.Momentum ? (stateBefore.Velocity, "velocity") : (stateBefore.FirstMoment, "first moment");
        float[]? firstAfter = settings.Kind == Optimizer.Momentum ? stateAfter.Velocity : stateAfter.FirstMoment;
        float[]? secondBefore = stateBefore.SecondMoment, secondAfter = stateAfter.SecondMoment;
        Assert.Equal(settings.Kind != Optimizer.Sgd, firstAfter is not null);
        Assert.Equal(OptimizerState.UsesMoments(settings.Kind), secondAfter is not null);
        Span<double> candidates = stackalloc double[4];
        for (int i = 0; i < before.Length; i++)
        {
            double theta = before[i], first = firstBefore?[i] ?? 0, second = secondBefore?[i] ?? 0;
            double g = gradient[i], delta = _gradientRelative * Math.Abs(g) + _gradientFloor;
            int count = 0;
            candidates[count++] = g - delta;
            candidates[count++] = g;
            candidates[count++] = g + delta;
            // Where the decayed gradient is 0 (Adam's s is smallest there).
            double zero = weight[i] ? -settings.L2 * theta : 0;
            if (zero > g - delta && zero < g + delta) candidates[count++] = zero;
            Range thetaRange = default, firstRange = default, secondRange = default;
            for (int c = 0; c < count; c++)
            {
                var (newTheta, newFirst, newSecond) = TextbookOptimizer.Element(settings, t, weight[i], theta, candidates[c], first, second);
                thetaRange.Add(newTheta, c);
                firstRange.Add(newFirst, c);
                secondRange.Add(newSecond, c);
            }
            CheckValue(what, "parameter", i, thetaRange, theta, after[i]);
            if (firstAfter is not null) CheckValue(what, firstName, i, firstRange, first, firstAfter[i]);
            if (secondAfter is not null) CheckValue(what, "second moment", i, secondRange, second, secondAfter[i]);
        }
    }

    /// <summary>The textbook value at the oracle gradient (<see cref="Exact"/>, candidate 1) and the range over all candidates.</summary>
    private struct Range
    {
        public double Low, High, Exact;

        public void Add(double value, int candidate)
        {
            if (candidate == 0) Low = High = value;
            if (candidate == 1) Exact = value;
            Low = Math.Min(Low, value);
            High = Math.Max(High, value);
        }
    }

    private void CheckValue(string what, string name, int index, Range range, double previous, float actual)
    {
        double tolerance = Rounding * Math.Max(Math.Abs(range.Low), Math.Abs(range.High))
            + ChangeRelative * Math.Max(Math.Abs(range.Low - previous), Math.Abs(range.High - previous));
        bool inside = actual >= range.Low - tolerance && actual <= range.High + tolerance;
        double allowance = (actual >= range.Exact ? range.High - range.Exact : range.Exact - range.Low) + tolerance;
        Note($"{what} {name} {index}", allowance > 0 ? Math.Abs(actual - range.Exact) / allowance : 0);
        if (!inside)
            Assert.Fail($"{what}: {name} {index} is {actual:R}; the textbook update of the oracle gradient gives [{range.Low:R}, {range.High:R}] " +
                $"± {tolerance:R} (before: {previous:R}).");
    }

    private void Note(string what, double share)
    {
        if (share > _worst || double.IsNaN(share)) { _worst = share; _worstWhat = what; }
    }

    private void Report() => output.WriteLine($"largest share of an allowance used: {_worst:F3} ({_worstWhat})");
}
