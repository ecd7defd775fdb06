using MnistTools.Training;

namespace MnistTools.Tests.Training;

/// <summary>
/// The optimizer updates as the textbooks write them, one parameter at a time in double: the oracle for
/// <see cref="Optimizers"/>. g is the gradient of the batch-mean loss, t the step number counting this update.
///   L2 (weights only):  g ← g + λ·θ
///   Sgd:       θ ← θ − η·g
///   Momentum:  v ← μ·v + g;  θ ← θ − η·v                                         (PyTorch's convention)
///   Adam:      m ← β1·m + (1 − β1)·g;  s ← β2·s + (1 − β2)·g²;  m̂ = m/(1 − β1^t);  ŝ = s/(1 − β2^t);  θ ← θ − η·m̂/(√ŝ + ε)
///   AdamW:     weights θ ← θ − η·λ_w·θ first (g taken before), then the Adam step           (decoupled decay, PyTorch's AdamW)
/// Every buffer entry below 1e-30 in magnitude is set to 0 after its update, before θ uses it.
/// </summary>
internal static class TextbookOptimizer
{
    public const double FlushBelow = 1e-30;

    public readonly record struct Settings(Optimizer Kind, double LearningRate, double L2, double Momentum, double Beta1, double Beta2,
        double Epsilon, double WeightDecay)
    {
        /// <summary>η, λ, μ, λ_w from the options (η unscheduled); β1, β2, ε from the state (as the production reads them).</summary>
        public static Settings From(TrainingOptions options, OptimizerState state) =>
            new(options.Optimizer, options.EffectiveLearningRate, options.L2, options.Momentum, state.Beta1, state.Beta2, state.Epsilon,
                options.EffectiveWeightDecay);
    }

    /// <summary>One parameter's update at step <paramref name="t"/>.</summary>
    /// <param name="first">Momentum's v or Adam's (and AdamW's) m before the update.</param>
    /// <param name="second">Adam's (and AdamW's) s before the update.</param>
    /// <returns>θ and the buffers after the update (0 for the buffers the optimizer does not use).</returns>
    public static (double Theta, double First, double Second) Element(in Settings settings, long t, bool weight, double theta,
        double gradient, double first, double second)
    {
        double g = gradient + (weight ? settings.L2 * theta : 0);
        switch (settings.Kind)
        {
            case Optimizer.Sgd:
                return (theta - settings.LearningRate * g, 0, 0);
            case Optimizer.Momentum:
            {
                double v = Flush(settings.Momentum * first + g);
                return (theta - settings.LearningRate * v, v, 0);
            }
            default:
            {
                if (settings.Kind == Optimizer.AdamW && weight) theta -= settings.LearningRate * settings.WeightDecay * theta;
                double m = Flush(settings.Beta1 * first + (1 - settings.Beta1) * g);
                double s = Flush(settings.Beta2 * second + (1 - settings.Beta2) * g * g);
                double mHat = m / (1 - Math.Pow(settings.Beta1, t));
                double sHat = s / (1 - Math.Pow(settings.Beta2, t));
                return (theta - settings.LearningRate * mHat / (Math.Sqrt(sHat) + settings.Epsilon), m, s);
            }
        }
    }

    /// <summary>[ParameterCount]: true where the flat parameter is a weight (L2 applies), false for a bias.</summary>
    public static bool[] WeightMask(ParameterLayout layout)
    {
        var weight = new bool[layout.ParameterCount];
        for (int l = 0; l < layout.LayerCount; l++) weight.AsSpan(layout.WeightOffset(l), layout.WeightCount(l)).Fill(true);
        return weight;
    }

    /// <summary>[ParameterCount]: true where the flat parameter is a weight of one of the network's layers.</summary>
    public static bool[] WeightMask(Network network)
    {
        var weight = new bool[network.ParameterCount];
        foreach (MnistTools.Layers.Layer layer in network.Stack.Layers) weight.AsSpan(layer.ParameterOffset, layer.WeightCount).Fill(true);
        return weight;
    }

    private static double Flush(double value) => Math.Abs(value) < FlushBelow ? 0 : value;
}
