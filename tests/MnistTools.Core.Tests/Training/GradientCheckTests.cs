using MnistTools.Layers;
using MnistTools.Numerics;
using MnistTools.Randomness;
using MnistTools.Tests.Layers;
using MnistTools.Training;

namespace MnistTools.Tests.Training;

/// <summary>
/// Gradient checks on a 5-4-3-3 network, batch 4, for every activation x output activation x loss:
/// (1) the double reference's analytic gradient against central differences (h = 1e-6) of the double loss:
///     |analytic − numeric| ≤ 1e-6 · max(1, |numeric|) for every parameter;
/// (2) the production float gradient (the training step's lanes and fused kernels, read as the gradient the optimizer
///     receives) against the double reference: |float − double| ≤ 1e-5 + 1e-3 · |double|, and the float loss within
///     1e-5 relative of the double loss.
/// Parameters are drawn so no ReLU/LeakyReLU pre-activation sits within 1e-3 of its kink.
/// </summary>
public class GradientCheckTests
{
    private static readonly int[] Sizes = { 5, 4, 3, 3 };
    private const int Batch = 4;

    public static IEnumerable<object[]> Combinations() =>
        from activation in Activations.Nonlinear
        from output in Activations.Output
        from loss in Enum.GetValues<Loss>()
        select new object[] { activation, output, loss };

    /// <summary>The network, and a batch of 4 random 5x1 images (inputs pixel / 255f) with labels 0, 2, 1, 2.</summary>
    private static (Network network, MnistDataSet data, float[] inputs, int[] labels) Build(Activation activation, Activation output, Loss loss)
    {
        var random = new SeededRandom(42);
        var network = new Network(Sizes, activation, output, loss, Initializer.Normal, seed: 7);
        // Scale Normal init down so sigmoid outputs stay away from saturation (well-conditioned differences).
        Span<float> parameters = network.Parameters;
        for (int i = 0; i < parameters.Length; i++) parameters[i] *= 0.7f;
        byte[] pixels = new byte[Batch * Sizes[0]];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)random.NextInt(256);
        int[] labels = { 0, 2, 1, 2 };
        var data = new MnistDataSet("gradient check", null, 1, Sizes[0], pixels, labels.Select(l => (byte)l).ToArray(), classCount: 3);
        float[] inputs = new float[pixels.Length];
        PixelScaling.ToInputs(pixels, inputs);
        return (network, data, inputs, labels);
    }

    private static double[] ToDouble(ReadOnlySpan<float> values) => StepHarness.ToDouble(values);

    [Theory]
    [MemberData(nameof(Combinations))]
    public void ReferenceGradientMatchesCentralDifferences(Activation activation, Activation output, Loss loss)
    {
        var (network, _, inputs, labels) = Build(activation, output, loss);
        double[] parameters = ToDouble(network.Parameters);
        double[] x = ToDouble(inputs);
        double[] analytic = new double[parameters.Length];
        ReferenceNetwork.LossAndGradient(Sizes, activation, output, loss, parameters, x, labels, analytic);
        AssertAwayFromKinks(network, x, labels);
        const double h = 1e-6;
        for (int p = 0; p < parameters.Length; p++)
        {
            double saved = parameters[p];
            parameters[p] = saved + h;
            double plus = ReferenceNetwork.Loss(Sizes, activation, output, loss, parameters, x, labels);
            parameters[p] = saved - h;
            double minus = ReferenceNetwork.Loss(Sizes, activation, output, loss, parameters, x, labels);
            parameters[p] = saved;
            double numeric = (plus - minus) / (2 * h);
            Assert.True(Math.Abs(analytic[p] - numeric) <= 1e-6 * Math.Max(1, Math.Abs(numeric)),
                $"parameter {p}: analytic {analytic[p]:R}, central difference {numeric:R}");
        }
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public void FloatGradientMatchesTheDoubleReference(Activation activation, Activation output, Loss loss)
    {
        var (network, data, inputs, labels) = Build(activation, output, loss);
        AssertAwayFromKinks(network, ToDouble(inputs), labels);
        int[] order = Enumerable.Range(0, Batch).ToArray();
        (float[] gradient, double lossSum, _, _, _) = StepHarness.Gradient(network, data, order, 0, Batch, Batch);
        double floatLoss = lossSum / Batch;

        double[] expected = new double[network.ParameterCount];
        double expectedLoss = ReferenceNetwork.LossAndGradient(Sizes, activation, output, loss, ToDouble(network.Parameters), ToDouble(inputs), labels, expected);
        Assert.True(Math.Abs(floatLoss - expectedLoss) <= 1e-5 * Math.Max(1, Math.Abs(expectedLoss)), $"loss {floatLoss:R} vs reference {expectedLoss:R}");
        double largest = expected.Max(Math.Abs);
        Assert.True(largest > 1e-3, "the test network's gradient is too small to be a meaningful check");
        for (int p = 0; p < expected.Length; p++)
            Assert.True(Math.Abs(gradient[p] - expected[p]) <= 1e-5 + 1e-3 * Math.Abs(expected[p]),
                $"parameter {p}: float {gradient[p]:R}, reference {expected[p]:R}");
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public void PredictMatchesTheReferenceForward(Activation activation, Activation output, Loss loss)
    {
        var (network, _, inputs, _) = Build(activation, output, loss);
        float[] outputs = new float[Batch * 3];
        network.Predict(inputs, Batch, outputs);
        // Reference loss of a one-hot label k is a monotone function of a_k; compare the outputs directly instead.
        double[] parameters = ToDouble(network.Parameters);
        ParameterLayout layout = new ParameterLayout(network.LayerSizes!);
        for (int s = 0; s < Batch; s++)
        {
            double[] a = ToDouble(inputs.AsSpan(s * 5, 5));
            for (int l = 0; l < layout.LayerCount; l++)
            {
                int nIn = Sizes[l], nOut = Sizes[l + 1];
                double[] z = new double[nOut];
                for (int o = 0; o < nOut; o++)
                {
                    z[o] = parameters[layout.BiasOffset(l) + o];
                    for (int i = 0; i < nIn; i++) z[o] += parameters[layout.WeightOffset(l) + o * nIn + i] * a[i];
                }
                if (l < layout.LayerCount - 1) a = z.Select(v => ReferenceNetwork.Hidden(activation, v)).ToArray();
                else if (output == Activation.Sigmoid) a = z.Select(v => 1 / (1 + Math.Exp(-v))).ToArray();
                else { double max = z.Max(); double sum = z.Sum(v => Math.Exp(v - max)); a = z.Select(v => Math.Exp(v - max) / sum).ToArray(); }
            }
            for (int k = 0; k < 3; k++)
                Assert.True(Math.Abs(outputs[s * 3 + k] - a[k]) <= 1e-6, $"sample {s} output {k}: {outputs[s * 3 + k]} vs {a[k]}");
        }
    }

    private static void AssertAwayFromKinks(Network network, double[] inputs, int[] labels)
    {
        if (network.Activation is not (Activation.ReLU or Activation.LeakyReLU)) return;
        foreach (double z in ReferenceNetwork.HiddenPreActivations(Sizes, network.Activation, network.OutputActivation, network.Loss,
                     ToDouble(network.Parameters), inputs, labels))
            Assert.True(Math.Abs(z) > 1e-3, $"pre-activation {z} too close to the kink for a finite-difference check");
    }
}
