using System.Numerics;
using MnistTools.Randomness;
using MnistTools.Tests.Persistence;
using MnistTools.Training;

namespace MnistTools.Tests.Training;

/// <summary>
/// The optimizer API (<see cref="Optimizers.Begin"/> then <see cref="Optimizers.Update"/> over slices) against values
/// worked out by hand and against <see cref="TextbookOptimizer"/>; the fused health check; splits; the state's copies.
/// The 3-4-1 layout has 21 parameters (W0 12, b0 4, W1 4, b1 1): vector body and scalar tail on any vector width.
/// </summary>
public class OptimizerTests
{
    private static ParameterLayout Layout() => new(new[] { 3, 4, 1 });

    private static TrainingOptions Options(Optimizer optimizer, float learningRate, float l2, float momentum = OptimizerDefaults.Momentum) =>
        new() { Optimizer = optimizer, LearningRate = learningRate, L2 = l2, Momentum = momentum, WeightDecay = 0.2f };

    /// <summary>One whole update as the trainer makes it: Begin once, then each layer's weights (L2) and biases (no L2).</summary>
    private static bool Step(OptimizerState state, ParameterLayout layout, float[] theta, float[] gradient, float learningRate, float l2,
        float momentum = OptimizerDefaults.Momentum)
    {
        TrainingOptions options = Options(state.Kind, learningRate, l2, momentum);
        OptimizerStep step = Optimizers.Begin(state, options, options.EffectiveLearningRate);
        bool healthy = true;
        for (int l = 0; l < layout.LayerCount; l++)
        {
            int weights = layout.WeightOffset(l), biases = layout.BiasOffset(l);
            healthy &= Optimizers.Update(state, step, theta, gradient.AsSpan(weights, layout.WeightCount(l)), default, weights, decay: true);
            healthy &= Optimizers.Update(state, step, theta, gradient.AsSpan(biases, layout.LayerSizes[l + 1]), default, biases, decay: false);
        }
        return healthy;
    }

    [Fact]
    public void SgdWithL2DecaysWeightsButNotBiases()
    {
        var layout = Layout();
        float[] theta = Enumerable.Repeat(2f, 21).ToArray();
        float[] g = Enumerable.Repeat(0.5f, 21).ToArray();
        Assert.True(Step(OptimizerState.Create(Optimizer.Sgd, 21), layout, theta, g, learningRate: 0.1f, l2: 0.25f));
        // weights: 2 - 0.1 * (0.5 + 0.25 * 2) = 1.9; biases: 2 - 0.1 * 0.5 = 1.95
        for (int i = 0; i < 21; i++)
        {
            bool bias = (i >= 12 && i < 16) || i == 20;
            Assert.Equal(bias ? 1.95f : 1.9f, theta[i], 6);
        }
    }

    [Fact]
    public void MomentumAccumulatesVelocity()
    {
        var layout = Layout();
        var state = OptimizerState.Create(Optimizer.Momentum, 21);
        float[] theta = new float[21];
        Step(state, layout, theta, Enumerable.Repeat(1f, 21).ToArray(), 0.1f, 0f, momentum: 0.9f);
        // v = 1, theta = -0.1
        Assert.All(theta, t => Assert.Equal(-0.1f, t, 6));
        Step(state, layout, theta, Enumerable.Repeat(1f, 21).ToArray(), 0.1f, 0f, momentum: 0.9f);
        // v = 0.9 + 1 = 1.9, theta = -0.1 - 0.19 = -0.29
        Assert.All(state.Velocity!, v => Assert.Equal(1.9f, v, 6));
        Assert.All(theta, t => Assert.Equal(-0.29f, t, 6));
        Assert.Equal(2, state.Step);
        Assert.Equal(0.9f, state.Momentum);

        // μ comes from the options and is recorded in the state: with μ = 0.5 the next velocity is 0.5 · 1.9 + 1 = 1.95.
        Step(state, layout, theta, Enumerable.Repeat(1f, 21).ToArray(), 0.1f, 0f, momentum: 0.5f);
        Assert.All(state.Velocity!, v => Assert.Equal(1.95f, v, 6));
        Assert.Equal(0.5f, state.Momentum);
    }

    [Fact]
    public void AdamIsBiasCorrected()
    {
        var layout = Layout();
        var state = OptimizerState.Create(Optimizer.Adam, 21);
        float[] theta = new float[21];
        float[] g = Enumerable.Range(0, 21).Select(i => i % 2 == 0 ? 0.5f : -2f).ToArray();
        Step(state, layout, theta, (float[])g.Clone(), 0.01f, 0f);
        // t=1: m = 0.1 g, v = 0.001 g²; m̂ = g, v̂ = g²; step = 0.01 · g / (|g| + 1e-8) ≈ 0.01 · sign(g)
        for (int i = 0; i < 21; i++) Assert.Equal(-0.01f * MathF.Sign(g[i]), theta[i], 6);
        Step(state, layout, theta, (float[])g.Clone(), 0.01f, 0f);
        // t=2 with the same g: m̂ = g, v̂ = g² again, so another 0.01 · sign(g)
        for (int i = 0; i < 21; i++)
        {
            Assert.Equal(-0.02f * MathF.Sign(g[i]), theta[i], 5);
            Assert.Equal(0.19f * g[i], state.FirstMoment![i], 6);            // 0.9·0.1g + 0.1g
            Assert.Equal(0.001999f * g[i] * g[i], state.SecondMoment![i], 6); // 0.999·0.001g² + 0.001g²
        }
    }

    [Fact]
    public void AdamMatchesADoubleComputationOverManySteps()
    {
        var layout = Layout();
        var state = OptimizerState.Create(Optimizer.Adam, 21);
        float[] theta = new float[21];
        double[] t = new double[21], m = new double[21], v = new double[21];
        var random = new SeededRandom(3);
        for (int step = 1; step <= 50; step++)
        {
            float[] g = Enumerable.Range(0, 21).Select(_ => (float)random.NextGaussian()).ToArray();
            for (int i = 0; i < 21; i++)
            {
                m[i] = 0.9 * m[i] + 0.1 * g[i];
                v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
                t[i] -= 0.001 * (m[i] / (1 - Math.Pow(0.9, step))) / (Math.Sqrt(v[i] / (1 - Math.Pow(0.999, step))) + 1e-8);
            }
            Step(state, layout, theta, g, 0.001f, 0f);
        }
        for (int i = 0; i < 21; i++) Assert.Equal(t[i], theta[i], 5);
    }

    /// <summary>
    /// Every optimizer, with L2, from random parameters and buffers, over 30 steps: each step's parameters and buffers
    /// equal the textbook update (in double) of the step's starting float values, within 1e-6 of the magnitudes involved
    /// (the value, its previous value and the gradient: μ·v and g may cancel).
    /// </summary>
    [Theory]
    [InlineData(Optimizer.Sgd)]
    [InlineData(Optimizer.Momentum)]
    [InlineData(Optimizer.Adam)]
    [InlineData(Optimizer.AdamW)]
    public void EveryOptimizerFollowsTheTextbook(Optimizer optimizer)
    {
        var layout = Layout();
        bool[] weight = TextbookOptimizer.WeightMask(layout);
        var random = new SeededRandom(17);
        var state = OptimizerState.Create(optimizer, 21);
        float[] theta = Enumerable.Range(0, 21).Select(_ => (float)random.NextGaussian()).ToArray();
        float[]? first = state.Velocity ?? state.FirstMoment;
        if (first is not null) for (int i = 0; i < 21; i++) first[i] = (float)(0.1 * random.NextGaussian());
        if (state.SecondMoment is { } second) for (int i = 0; i < 21; i++) second[i] = (float)(0.01 * random.NextDouble());
        TrainingOptions options = Options(optimizer, 0.03f, 0.02f, momentum: 0.85f);
        for (int step = 1; step <= 30; step++)
        {
            float[] g = Enumerable.Range(0, 21).Select(_ => (float)random.NextGaussian()).ToArray();
            float[] thetaBefore = (float[])theta.Clone();
            OptimizerState before = state.Clone();
            Assert.True(Step(state, layout, theta, g, 0.03f, 0.02f, momentum: 0.85f));
            var settings = TextbookOptimizer.Settings.From(options, state);
            float[]? firstBefore = before.Velocity ?? before.FirstMoment, firstAfter = state.Velocity ?? state.FirstMoment;
            for (int i = 0; i < 21; i++)
            {
                double scale = Math.Abs(g[i]) + Math.Abs(thetaBefore[i]);
                var (t, f, s) = TextbookOptimizer.Element(settings, step, weight[i], thetaBefore[i], g[i], firstBefore?[i] ?? 0, before.SecondMoment?[i] ?? 0);
                AssertClose(t, theta[i], thetaBefore[i], scale, $"step {step} parameter {i}");
                if (firstAfter is not null) AssertClose(f, firstAfter[i], firstBefore![i], scale, $"step {step} first buffer {i}");
                if (state.SecondMoment is not null) AssertClose(s, state.SecondMoment[i], before.SecondMoment![i], scale * scale, $"step {step} second moment {i}");
            }
        }

        static void AssertClose(double expected, float actual, double previous, double scale, string what) =>
            Assert.True(Math.Abs(actual - expected) <= 1e-6 * (Math.Abs(expected) + Math.Abs(previous) + scale),
                $"{what}: {actual:R} vs textbook {expected:R}");
    }

    [Fact]
    public void TinyBufferEntriesAreFlushedToZero()
    {
        var layout = Layout();
        var momentum = OptimizerState.Create(Optimizer.Momentum, 21);
        Array.Fill(momentum.Velocity!, 1e-30f);
        float[] theta = new float[21];
        Step(momentum, layout, theta, new float[21], 0.1f, 0f, momentum: 0.9f);
        Assert.All(momentum.Velocity!, v => Assert.Equal(0f, v)); // 0.9e-30 < 1e-30
        Assert.All(theta, t => Assert.Equal(0f, t));

        var adam = OptimizerState.Create(Optimizer.Adam, 21);
        float[] g = Enumerable.Repeat(1e-20f, 21).ToArray(); // g² = 1e-40 is subnormal
        Step(adam, layout, theta, g, 0.001f, 0f);
        Assert.All(adam.SecondMoment!, v => Assert.Equal(0f, v));
        Assert.All(adam.FirstMoment!, v => Assert.InRange(v, 0.99e-21f, 1.01e-21f)); // 1e-21 is normal: kept
        Assert.All(theta, x => Assert.False(float.IsNaN(x)));

        // Just above the threshold stays: 1.2e-30 · 0.9 = 1.08e-30.
        Array.Fill(momentum.Velocity!, 1.2e-30f);
        Step(momentum, layout, new float[21], new float[21], 0.1f, 0f, momentum: 0.9f);
        Assert.All(momentum.Velocity!, v => Assert.Equal(0.9f * 1.2e-30f, v));
    }

    [Theory]
    [InlineData(Optimizer.Sgd)]
    [InlineData(Optimizer.Momentum)]
    [InlineData(Optimizer.Adam)]
    [InlineData(Optimizer.AdamW)]
    public void TheUpdateReportsInsaneParametersWhereverTheyAre(Optimizer optimizer)
    {
        // Every slice length 1 .. three vector widths + 1 (every vector tail), every position in it, weights and biases,
        // each kind of bad value; the slice starts at 3, so it also sits off the buffer's start.
        int longest = 3 * Vector<float>.Count + 1;
        var options = Options(optimizer, 0.01f, 0.001f);
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity, 3e30f, -3e30f })
            for (int length = 1; length <= longest; length++)
                for (int position = 0; position < length; position++)
                    foreach (bool decay in new[] { true, false })
                    {
                        var state = OptimizerState.Create(optimizer, longest + 3);
                        float[] theta = Enumerable.Repeat(0.5f, longest + 3).ToArray(), g = Enumerable.Repeat(0.01f, length).ToArray();
                        theta[3 + position] = bad;
                        OptimizerStep step = Optimizers.Begin(state, options, options.EffectiveLearningRate);
                        Assert.False(Optimizers.Update(state, step, theta, g, default, 3, decay),
                            $"{optimizer}: {bad} at {position} of {length} (decay {decay}) not reported");
                    }
        for (int length = 0; length <= longest; length++)
        {
            var healthy = OptimizerState.Create(optimizer, longest);
            float[] fine = Enumerable.Repeat(1e29f, longest).ToArray();
            Assert.True(Optimizers.Update(healthy, Optimizers.Begin(healthy, options, options.EffectiveLearningRate), fine, new float[length], default, 0, decay: false),
                $"{optimizer}: healthy parameters of length {length} reported");
        }

        // A NaN gradient makes the parameter NaN, which is reported too.
        float[] nanGradient = new float[21];
        nanGradient[20] = float.NaN;
        Assert.False(Step(OptimizerState.Create(optimizer, 21), Layout(), new float[21], nanGradient, 0.01f, 0f));
    }

    /// <summary>
    /// Two gradient buffers (the lanes) are summed before the update; and any split of a range into two slices (every
    /// split point, so every vector/tail boundary) gives the bits of the update over the whole range.
    /// </summary>
    [Theory]
    [InlineData(Optimizer.Sgd)]
    [InlineData(Optimizer.Momentum)]
    [InlineData(Optimizer.Adam)]
    [InlineData(Optimizer.AdamW)]
    public void SplitSlicesEqualTheWholeUpdateBitForBit(Optimizer optimizer)
    {
        const int n = 37;
        var random = new SeededRandom(23);
        float[] Gaussian(double sigma) => Enumerable.Range(0, n).Select(_ => (float)(sigma * random.NextGaussian())).ToArray();
        float[] g0 = Gaussian(1), g1 = Gaussian(1), start = Gaussian(0.5), firstStart = Gaussian(0.1);
        float[] secondStart = Enumerable.Range(0, n).Select(_ => (float)random.NextDouble() * 0.01f).ToArray();
        float[] sum = g0.Zip(g1, (a, b) => a + b).ToArray();
        var options = Options(optimizer, 0.1f, 0.01f);

        OptimizerState Fresh()
        {
            var state = OptimizerState.Create(optimizer, n);
            state.Step = 4;
            float[]? first = state.Velocity ?? state.FirstMoment;
            if (first is not null) firstStart.CopyTo(first, 0);
            if (state.SecondMoment is not null) secondStart.CopyTo(state.SecondMoment, 0);
            return state;
        }

        foreach (bool decay in new[] { true, false })
        {
            // The whole range from the summed gradient.
            var whole = Fresh();
            float[] thetaWhole = (float[])start.Clone();
            OptimizerStep wholeStep = Optimizers.Begin(whole, options, options.EffectiveLearningRate);
            Optimizers.Update(whole, wholeStep, thetaWhole, sum, default, 0, decay);

            for (int split = 0; split <= n; split++)
            {
                var parts = Fresh();
                float[] theta = (float[])start.Clone();
                OptimizerStep step = Optimizers.Begin(parts, options, options.EffectiveLearningRate);
                Assert.Equal(wholeStep, step);
                Assert.True(Optimizers.Update(parts, step, theta, g0.AsSpan(0, split), g1.AsSpan(0, split), 0, decay));
                Assert.True(Optimizers.Update(parts, step, theta, g0.AsSpan(split), g1.AsSpan(split), split, decay));
                string what = $"{optimizer}, decay {decay}, split at {split}";
                SnapshotFactory.AssertBitsEqual(thetaWhole, theta, what);
                SnapshotFactory.AssertBitsEqual(whole.Velocity, parts.Velocity, what);
                SnapshotFactory.AssertBitsEqual(whole.FirstMoment, parts.FirstMoment, what);
                SnapshotFactory.AssertBitsEqual(whole.SecondMoment, parts.SecondMoment, what);
            }
        }
    }

    [Theory]
    [InlineData(Optimizer.Sgd)]
    [InlineData(Optimizer.Momentum)]
    [InlineData(Optimizer.Adam)]
    [InlineData(Optimizer.AdamW)]
    public void CloneAndCopyToAreExactAndCopyToReusesTheTargetsBuffers(Optimizer optimizer)
    {
        const int n = 1000;
        var random = new SeededRandom(31);
        var source = OptimizerState.Create(optimizer, n);
        source.Step = 123_456_789_012;
        source.Momentum = 0.75f;
        source.Beta1 = 0.8f;
        source.Beta2 = 0.99f;
        source.Epsilon = 1e-7f;
        source.WeightDecay = 0.03f;
        foreach (float[]? buffer in new[] { source.Velocity, source.FirstMoment, source.SecondMoment })
            if (buffer is not null)
            {
                for (int i = 0; i < n; i++) buffer[i] = (float)random.NextGaussian();
                buffer[7] = float.NaN;
                buffer[8] = -0f;
                buffer[9] = float.Epsilon;
            }

        OptimizerState clone = source.Clone();
        SnapshotFactory.AssertSameOptimizerState(source, clone);
        AssertOwnBuffers(source, clone);

        // Into a state of another kind (and a wrong length): the buffers are replaced or dropped.
        var target = OptimizerState.Create(OptimizerState.UsesMoments(optimizer) ? Optimizer.Momentum : Optimizer.Adam, n + 1);
        source.CopyTo(target);
        SnapshotFactory.AssertSameOptimizerState(source, target);
        AssertOwnBuffers(source, target);

        // Into a state whose buffers fit: they are reused, and the copy allocates nothing.
        float[]? velocity = target.Velocity, first = target.FirstMoment, second = target.SecondMoment;
        source.Step++;
        if (source.Velocity is not null) source.Velocity[0] += 1;
        if (source.SecondMoment is not null) source.SecondMoment[n - 1] += 1;
        long before = GC.GetAllocatedBytesForCurrentThread();
        source.CopyTo(target);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Same(velocity, target.Velocity);
        Assert.Same(first, target.FirstMoment);
        Assert.Same(second, target.SecondMoment);
        SnapshotFactory.AssertSameOptimizerState(source, target);

        // The copies are independent of the source.
        float[]? sourceFirst = source.Velocity ?? source.FirstMoment;
        if (sourceFirst is not null)
        {
            sourceFirst[1] = 42f;
            Assert.NotEqual(42f, (target.Velocity ?? target.FirstMoment)![1]);
            Assert.NotEqual(42f, (clone.Velocity ?? clone.FirstMoment)![1]);
        }
        Assert.Throws<ArgumentNullException>(() => source.CopyTo(null!));
    }

    private static void AssertOwnBuffers(OptimizerState source, OptimizerState copy)
    {
        if (source.Velocity is not null) Assert.NotSame(source.Velocity, copy.Velocity);
        if (source.FirstMoment is not null) Assert.NotSame(source.FirstMoment, copy.FirstMoment);
        if (source.SecondMoment is not null) Assert.NotSame(source.SecondMoment, copy.SecondMoment);
    }
}
