using MnistTools.Layers;
using MnistTools.Randomness;

namespace MnistTools;

/// <summary>
/// Draws a network's starting parameters from a <see cref="SeededRandom"/> seeded with the network's seed.
/// Order of draws (part of the reproducibility contract): layer by layer, the weights W_l in row-major
/// order, then (Normal only) the biases b_l. Each value is (float)(σ · NextGaussian()). Fan-in is the inputs each unit
/// sees (Dense: inputs; Conv2d: C·K·K), fan-out the units each input feeds (Dense: units; Conv2d: F·K·K).
/// <list type="bullet">
/// <item>Normal: W, b ~ N(0, 1) (the original numpy script's).</item>
/// <item>Xavier: W ~ N(0, 2 / (fan_in + fan_out)), b = 0.</item>
/// <item>He: W ~ N(0, 2 / fan_in), b = 0.</item>
/// <item>Default, per layer: Xavier for Sigmoid and Tanh, He for ReLU and LeakyReLU (the last layer, and layers without
/// an activation, follow the network's hidden activation).</item>
/// </list>
/// </summary>
internal static class WeightInitialization
{
    public static Initializer Resolve(Initializer initializer, Activation activation) => initializer switch
    {
        Initializer.Default => activation is Activation.ReLU or Activation.LeakyReLU ? Initializer.He : Initializer.Xavier,
        _ => initializer,
    };

    /// <summary>Fills every layer's slice of <paramref name="parameters"/>; <paramref name="hiddenActivation"/> decides
    /// the Default initializer of layers without an activation of their own (the last layer).</summary>
    public static void Fill(IReadOnlyList<Layers.Layer> layers, Span<float> parameters, Initializer initializer, Activation hiddenActivation, int seed)
    {
        var random = new SeededRandom(unchecked((ulong)(uint)seed));
        foreach (Layers.Layer layer in layers)
        {
            if (layer.Units == 0) continue;
            // Fixed starting values (BatchNorm's γ = 1, β = 0) draw nothing.
            if (layer.InitializeParameters(parameters.Slice(layer.ParameterOffset, layer.WeightCount), parameters.Slice(layer.BiasOffset, layer.BiasCount))) continue;
            Initializer resolved = Resolve(initializer, layer.Activation ?? hiddenActivation);
            int fanIn = layer.FanIn, fanOut = layer.FanOut;
            double sigma = resolved switch
            {
                Initializer.Normal => 1.0,
                Initializer.Xavier => Math.Sqrt(2.0 / (fanIn + fanOut)),
                _ => Math.Sqrt(2.0 / fanIn),
            };
            Span<float> weights = parameters.Slice(layer.ParameterOffset, layer.WeightCount);
            for (int i = 0; i < weights.Length; i++) weights[i] = (float)(sigma * random.NextGaussian());
            Span<float> biases = parameters.Slice(layer.BiasOffset, layer.BiasCount);
            if (resolved == Initializer.Normal)
                for (int i = 0; i < biases.Length; i++) biases[i] = (float)random.NextGaussian();
            else
                biases.Clear();
        }
    }
}
