namespace MnistTools;

/// <summary>
/// Draws a network's starting parameters from a <see cref="SeededRandom"/> seeded with the network's seed.
/// Order of draws (part of the reproducibility contract): layer by layer, the weights W_l in row-major
/// order, then (Normal only) the biases b_l. Each value is (float)(σ · NextGaussian()).
/// <list type="bullet">
/// <item>Normal: W, b ~ N(0, 1) (the original numpy script's).</item>
/// <item>Xavier: W ~ N(0, 2 / (fan_in + fan_out)), b = 0.</item>
/// <item>He: W ~ N(0, 2 / fan_in), b = 0.</item>
/// <item>Default: Xavier for Sigmoid and Tanh hidden layers, He for ReLU and LeakyReLU.</item>
/// </list>
/// </summary>
internal static class WeightInitialization
{
    public static Initializer Resolve(Initializer initializer, Activation activation) => initializer switch
    {
        Initializer.Default => activation is Activation.ReLU or Activation.LeakyReLU ? Initializer.He : Initializer.Xavier,
        _ => initializer,
    };

    public static void Fill(ParameterLayout layout, Span<float> parameters, Initializer initializer, Activation activation, int seed)
    {
        Initializer resolved = Resolve(initializer, activation);
        var random = new SeededRandom(unchecked((ulong)(uint)seed));
        for (int l = 0; l < layout.LayerCount; l++)
        {
            int fanIn = layout.LayerSizes[l], fanOut = layout.LayerSizes[l + 1];
            double sigma = resolved switch
            {
                Initializer.Normal => 1.0,
                Initializer.Xavier => Math.Sqrt(2.0 / (fanIn + fanOut)),
                _ => Math.Sqrt(2.0 / fanIn),
            };
            Span<float> weights = layout.Weights(parameters, l);
            for (int i = 0; i < weights.Length; i++) weights[i] = (float)(sigma * random.NextGaussian());
            Span<float> biases = layout.Biases(parameters, l);
            if (resolved == Initializer.Normal)
                for (int i = 0; i < biases.Length; i++) biases[i] = (float)random.NextGaussian();
            else
                biases.Clear();
        }
    }
}
