using System.Numerics;
using MnistTools.Errors;
using MnistTools.Layers;
using MnistTools.Training;

namespace MnistTools.Tests.Training;

/// <summary>
/// AdamW against a step computed by hand in double from the textbook algorithm (PyTorch's AdamW documentation,
/// Loshchilov and Hutter's decoupled decay):
///   θ ← θ − γ·λ·θ;  m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²;  m̂ = m/(1 − β1^t);  v̂ = v/(1 − β2^t);
///   θ ← θ − γ·m̂/(sqrt(v̂) + ε)
/// with the decay on weights only (biases as plain Adam) and g = ∂loss/∂θ (+ L2·θ, taken before the decay).
/// </summary>
public class AdamWTests
{
    private const float Rate = 0.01f, Decay = 0.1f;

    private static void Near(double expected, float actual, string what)
    {
        double tolerance = Math.Max(2e-6 * Math.Abs(expected), 1e-9);
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"{what}: expected {expected:R}, got {actual:R}");
    }

    /// <summary>Values with both signs and magnitudes from 1e-3 to 3, a zero and a zero gradient.</summary>
    private static float Theta(int i) => i % 7 == 3 ? 0f : (float)((i % 2 == 0 ? 1 : -1) * (0.5 + 0.37 * (i % 5)) * Math.Pow(10, -(i % 4)));

    private static float Grad(int i, int step) => i % 11 == 5 ? 0f : (float)(Math.Sin(1.3 * i + step) * (0.2 + 0.1 * (i % 3)));

    /// <summary>Two AdamW updates by hand, in double: the parameters after each.</summary>
    private static (double[] First, double[] Second) ByHand(int n, bool decay, float l2)
    {
        double beta1 = OptimizerDefaults.Beta1, beta2 = OptimizerDefaults.Beta2, eps = OptimizerDefaults.Epsilon;
        double[] theta = Enumerable.Range(0, n).Select(i => (double)Theta(i)).ToArray();
        double[] m = new double[n], v = new double[n];
        var after = new List<double[]>();
        for (int t = 1; t <= 2; t++)
        {
            for (int i = 0; i < n; i++)
            {
                double g = Grad(i, t) + (decay ? l2 * theta[i] : 0);
                if (decay) theta[i] -= Rate * (double)Decay * theta[i];
                m[i] = beta1 * m[i] + (1 - beta1) * g;
                v[i] = beta2 * v[i] + (1 - beta2) * g * g;
                double mHat = m[i] / (1 - Math.Pow(beta1, t)), vHat = v[i] / (1 - Math.Pow(beta2, t));
                theta[i] -= Rate * mHat / (Math.Sqrt(vHat) + eps);
            }
            after.Add((double[])theta.Clone());
        }
        return (after[0], after[1]);
    }

    /// <summary>Two updates through the production path (Begin, then Update over the whole slice).</summary>
    private static (float[] First, float[] Second, OptimizerState State) ByCode(int n, bool decay, float l2)
    {
        var options = new TrainingOptions { Optimizer = Optimizer.AdamW, LearningRate = Rate, WeightDecay = Decay, L2 = l2 };
        OptimizerState state = OptimizerState.Create(Optimizer.AdamW, n);
        float[] theta = Enumerable.Range(0, n).Select(Theta).ToArray();
        var after = new List<float[]>();
        for (int t = 1; t <= 2; t++)
        {
            float[] g = Enumerable.Range(0, n).Select(i => Grad(i, t)).ToArray();
            OptimizerStep step = Optimizers.Begin(state, options, options.EffectiveLearningRate);
            Assert.True(Optimizers.Update(state, step, theta, g, ReadOnlySpan<float>.Empty, 0, decay));
            after.Add((float[])theta.Clone());
        }
        return (after[0], after[1], state);
    }

    [Theory]
    [InlineData(true, 0f)]
    [InlineData(false, 0f)]
    [InlineData(true, 0.05f)]
    public void UpdateMatchesTheHandComputedSteps(bool decay, float l2)
    {
        // Every length 0..3 vectors + 3: the vector body and the scalar tail must agree with the formula and each other.
        int longest = 3 * Vector<float>.Count + 3;
        (float[] reference, _, _) = ByCode(longest, decay, l2);
        for (int n = 0; n <= longest; n++)
        {
            (double[] first, double[] second) = ByHand(n, decay, l2);
            (float[] one, float[] two, OptimizerState state) = ByCode(n, decay, l2);
            for (int i = 0; i < n; i++)
            {
                Near(first[i], one[i], $"n={n}, step 1, element {i}");
                Near(second[i], two[i], $"n={n}, step 2, element {i}");
                Assert.Equal(BitConverter.SingleToInt32Bits(reference[i]), BitConverter.SingleToInt32Bits(one[i]));
            }
            Assert.Equal(2, state.Step);
            Assert.Equal(Decay, state.WeightDecay);
        }
    }

    [Fact]
    public void OneStepWorkedOutByHand()
    {
        // θ = 1, g = 0.5, η = 0.1, λ_w = 0.1, t = 1:
        //   decay  θ = 1 · (1 − 0.1·0.1) = 0.99
        //   m = 0.1 · 0.5 = 0.05, v = 0.001 · 0.25 = 0.00025;  m̂ = 0.05/0.1 = 0.5, v̂ = 0.00025/0.001 = 0.25
        //   step   0.1 · 0.5 / (sqrt(0.25) + 1e-8) = 0.05 / 0.50000001 = 0.099999998
        //   weight 0.99 − 0.099999998 = 0.890000002;  bias (no decay) 1 − 0.099999998 = 0.900000002
        var options = new TrainingOptions { Optimizer = Optimizer.AdamW, LearningRate = 0.1f, WeightDecay = 0.1f };
        OptimizerState state = OptimizerState.Create(Optimizer.AdamW, 2);
        float[] parameters = { 1f, 1f }, gradient = { 0.5f }; // [weight, bias], as a layer's slices of the flat buffer
        OptimizerStep step = Optimizers.Begin(state, options, options.EffectiveLearningRate);
        Optimizers.Update(state, step, parameters, gradient, ReadOnlySpan<float>.Empty, 0, decay: true);
        Optimizers.Update(state, step, parameters, gradient, ReadOnlySpan<float>.Empty, 1, decay: false);
        Near(0.890000002, parameters[0], "weight");
        Near(0.900000002, parameters[1], "bias");
    }

    [Fact]
    public void TheDecayIsDecoupled()
    {
        // One step with a zero gradient: Adam leaves θ alone (m = 0), AdamW shrinks weights by exactly 1 − η·λ and
        // leaves biases alone. Coupled L2 would instead move every weight by about η (Adam normalises λ·θ away).
        const int n = 20;
        var options = new TrainingOptions { Optimizer = Optimizer.AdamW, LearningRate = Rate, WeightDecay = Decay };
        OptimizerState state = OptimizerState.Create(Optimizer.AdamW, n);
        float[] weights = Enumerable.Range(0, n).Select(Theta).ToArray(), biases = (float[])weights.Clone(), zero = new float[n];
        OptimizerStep step = Optimizers.Begin(state, options, options.EffectiveLearningRate);
        Assert.Equal((float)(1 - (double)Rate * Decay), step.DecayFactor);
        Optimizers.Update(state, step, weights, zero, ReadOnlySpan<float>.Empty, 0, decay: true);
        Optimizers.Update(state, step, biases, zero, ReadOnlySpan<float>.Empty, 0, decay: false);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(Theta(i) * step.DecayFactor, weights[i]);
            Assert.Equal(Theta(i), biases[i]);
        }
    }

    [Fact]
    public void WithoutDecayAdamWIsAdamBitForBit()
    {
        var data = SyntheticData.Create(120);
        float[] Train(Optimizer optimizer, float decay, out OptimizerState state)
        {
            var network = new Network(new[] { 16, 9, 3 }, Activation.ReLU, Activation.Softmax, Loss.CrossEntropy, seed: 4);
            var trainer = new Trainer(network, new TrainingOptions { Optimizer = optimizer, LearningRate = 0.01f, BatchSize = 10, WeightDecay = decay, L2 = 1e-3f });
            trainer.TrainEpoch(data);
            trainer.TrainEpoch(data);
            state = network.OptimizerState!;
            return network.GetParameters();
        }
        float[] adam = Train(Optimizer.Adam, 0f, out OptimizerState adamState);
        float[] adamW = Train(Optimizer.AdamW, 0f, out OptimizerState adamWState);
        float[] decayed = Train(Optimizer.AdamW, 0.05f, out _);
        Assert.Equal(adam, adamW);
        Assert.Equal(adamState.FirstMoment, adamWState.FirstMoment);
        Assert.Equal(adamState.SecondMoment, adamWState.SecondMoment);
        Assert.Equal(Optimizer.AdamW, adamWState.Kind);
        Assert.NotEqual(adam, decayed);
        // Decay pulls weights towards 0: the decayed network's weights are smaller overall.
        Assert.True(decayed.Sum(x => (double)x * x) < adam.Sum(x => (double)x * x));
    }

    [Fact]
    public void WeightDecayDefaultsToPyTorchsAndOnlyAdamWUsesIt()
    {
        Assert.Equal(0.01f, new TrainingOptions { Optimizer = Optimizer.AdamW }.EffectiveWeightDecay);
        Assert.Equal(0f, new TrainingOptions { Optimizer = Optimizer.Adam, WeightDecay = 0.5f }.EffectiveWeightDecay);
        Assert.Equal(0.001f, new TrainingOptions { Optimizer = Optimizer.AdamW }.EffectiveLearningRate);
        var e = Assert.Throws<MnistToolsException>(() => new Trainer(new Network(new[] { 16, 3 }), new TrainingOptions { Optimizer = Optimizer.AdamW, WeightDecay = -1 }));
        Assert.Equal("WeightDecayOutOfRange", e.ErrorId);
        Assert.Equal("WeightDecay", e.Target);
    }
}
