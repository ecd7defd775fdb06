using MnistTools.Training;

namespace MnistTools.Tests.Training;

/// <summary>Optimizer steps against values worked out by hand (20 parameters: vector body plus scalar tail on any width).</summary>
public class OptimizerTests
{
    private static ParameterLayout Layout() => new(new[] { 3, 4, 1 }); // W0 12, b0 4, W1 4, b1 1 = 21 parameters

    [Fact]
    public void SgdWithL2DecaysWeightsButNotBiases()
    {
        var layout = Layout();
        float[] theta = Enumerable.Repeat(2f, 21).ToArray();
        float[] g = Enumerable.Repeat(0.5f, 21).ToArray();
        Optimizers.Step(OptimizerState.Create(Optimizer.Sgd, 21), layout, theta, g, learningRate: 0.1f, l2: 0.25f);
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
        state.Momentum = 0.9f;
        float[] theta = new float[21];
        Optimizers.Step(state, layout, theta, Enumerable.Repeat(1f, 21).ToArray(), 0.1f, 0f);
        // v = 1, theta = -0.1
        Assert.All(theta, t => Assert.Equal(-0.1f, t, 6));
        Optimizers.Step(state, layout, theta, Enumerable.Repeat(1f, 21).ToArray(), 0.1f, 0f);
        // v = 0.9 + 1 = 1.9, theta = -0.1 - 0.19 = -0.29
        Assert.All(state.Velocity!, v => Assert.Equal(1.9f, v, 6));
        Assert.All(theta, t => Assert.Equal(-0.29f, t, 6));
        Assert.Equal(2, state.Step);
    }

    [Fact]
    public void AdamIsBiasCorrected()
    {
        var layout = Layout();
        var state = OptimizerState.Create(Optimizer.Adam, 21);
        float[] theta = new float[21];
        float[] g = Enumerable.Range(0, 21).Select(i => i % 2 == 0 ? 0.5f : -2f).ToArray();
        Optimizers.Step(state, layout, theta, (float[])g.Clone(), 0.01f, 0f);
        // t=1: m = 0.1 g, v = 0.001 g²; m̂ = g, v̂ = g²; step = 0.01 · g / (|g| + 1e-8) ≈ 0.01 · sign(g)
        for (int i = 0; i < 21; i++) Assert.Equal(-0.01f * MathF.Sign(g[i]), theta[i], 6);
        Optimizers.Step(state, layout, theta, (float[])g.Clone(), 0.01f, 0f);
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
            Optimizers.Step(state, layout, theta, g, 0.001f, 0f);
        }
        for (int i = 0; i < 21; i++) Assert.Equal(t[i], theta[i], 5);
    }

    [Fact]
    public void TinyBufferEntriesAreFlushedToZero()
    {
        var layout = Layout();
        var momentum = OptimizerState.Create(Optimizer.Momentum, 21);
        Array.Fill(momentum.Velocity!, 1e-30f);
        float[] theta = new float[21];
        Optimizers.Step(momentum, layout, theta, new float[21], 0.1f, 0f);
        Assert.All(momentum.Velocity!, v => Assert.Equal(0f, v)); // 0.9e-30 < 1e-30
        Assert.All(theta, t => Assert.Equal(0f, t));

        var adam = OptimizerState.Create(Optimizer.Adam, 21);
        float[] g = Enumerable.Repeat(1e-20f, 21).ToArray(); // g² = 1e-40 is subnormal
        Optimizers.Step(adam, layout, theta, g, 0.001f, 0f);
        Assert.All(adam.SecondMoment!, v => Assert.Equal(0f, v));
        Assert.All(adam.FirstMoment!, v => Assert.InRange(v, 0.99e-21f, 1.01e-21f)); // 1e-21 is normal: kept
        Assert.All(theta, x => Assert.False(float.IsNaN(x)));
    }
    [Theory]
    [InlineData(Optimizer.Sgd)]
    [InlineData(Optimizer.Momentum)]
    [InlineData(Optimizer.Adam)]
    public void TheUpdateReportsInsaneParametersWhereverTheyAre(Optimizer optimizer)
    {
        // Every position of 21 parameters (vector body and scalar tail on any width), each kind of bad value.
        var layout = Layout();
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity, 3e30f, -3e30f })
            for (int position = 0; position < 21; position++)
            {
                var state = OptimizerState.Create(optimizer, 21);
                float[] theta = Enumerable.Repeat(0.5f, 21).ToArray(), g = Enumerable.Repeat(0.01f, 21).ToArray();
                theta[position] = bad;
                Assert.False(Optimizers.Step(state, layout, theta, g, 0.01f, 0.001f), $"{optimizer}: {bad} at {position} not reported");
            }
        var healthy = OptimizerState.Create(optimizer, 21);
        float[] fine = Enumerable.Repeat(1e29f, 21).ToArray();
        Assert.True(Optimizers.Step(healthy, layout, fine, new float[21], 0.01f, 0f));

        // A NaN gradient makes the parameter NaN, which is reported too.
        float[] nanGradient = new float[21];
        nanGradient[20] = float.NaN;
        Assert.False(Optimizers.Step(OptimizerState.Create(optimizer, 21), layout, new float[21], nanGradient, 0.01f, 0f));
    }

    [Fact]
    public void TwoGradientBuffersAreSummedBeforeTheUpdate()
    {
        var layout = Layout();
        float[] g0 = Enumerable.Range(0, 21).Select(i => 0.1f * i).ToArray(), g1 = Enumerable.Range(0, 21).Select(i => 1f - 0.05f * i).ToArray();
        float[] sum = g0.Zip(g1, (a, b) => a + b).ToArray();
        var one = OptimizerState.Create(Optimizer.Momentum, 21);
        var two = OptimizerState.Create(Optimizer.Momentum, 21);
        float[] thetaOne = Enumerable.Repeat(0.3f, 21).ToArray(), thetaTwo = Enumerable.Repeat(0.3f, 21).ToArray();
        Optimizers.Step(one, layout, thetaOne, sum, 0.1f, 0.01f);
        var scalars = Optimizers.Begin(two, 0.1f, 0.01f);
        // Split at 10 (inside the first layer's weights): the halves must give exactly the whole-range result.
        Assert.True(Optimizers.UpdateRange(two, layout, thetaTwo, g0, g1, 0, 10, scalars));
        Assert.True(Optimizers.UpdateRange(two, layout, thetaTwo, g0, g1, 10, 21, scalars));
        Assert.Equal(thetaOne, thetaTwo);
        Assert.Equal(one.Velocity, two.Velocity);
    }
}
