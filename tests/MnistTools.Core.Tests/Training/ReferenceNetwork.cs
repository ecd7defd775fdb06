using MnistTools.Layers;
namespace MnistTools.Tests.Training;

/// <summary>
/// The double-precision oracle of forward and backward: a plain per-sample pass with the textbook definitions (no
/// fusing, no batching, no lanes), summed over the batch. Loss = mean over the batch of
///   Quadratic ½ Σ (a − y)²,  Softmax+CrossEntropy −ln a_label,  Sigmoid+CrossEntropy −Σ [y ln a + (1 − y) ln(1 − a)].
/// Backward goes through dL/da and the output activation's full Jacobian, then layer by layer.
/// Parameters use the module's flat layout (per layer W [out x in] row-major, then b).
/// </summary>
internal static class ReferenceNetwork
{
    /// <summary>What one pass over a batch of B samples gives. Outputs [B x K]; Gradient [ParameterCount] of the mean loss.</summary>
    public sealed record Result(double LossSum, int Correct, double[] Outputs, double[] Gradient);

    public static double Loss(int[] sizes, Activation activation, Activation output, Loss loss,
        double[] parameters, double[] inputs, int[] labels) => Run(sizes, activation, output, loss, parameters, inputs, labels, null, null, null) / labels.Length;

    public static double LossAndGradient(int[] sizes, Activation activation, Activation output, Loss loss,
        double[] parameters, double[] inputs, int[] labels, double[] gradient) =>
        Run(sizes, activation, output, loss, parameters, inputs, labels, gradient, null, null) / labels.Length;

    /// <summary>
    /// The batch through <paramref name="network"/>'s architecture with <paramref name="parameters"/>: the summed loss, the
    /// rows whose first largest output is the label, the outputs and the gradient of the mean loss.
    /// </summary>
    /// <param name="inputs">[B x InputSize].</param>
    public static Result Batch(Network network, double[] parameters, double[] inputs, int[] labels)
    {
        int classes = network.OutputSize;
        var outputs = new double[labels.Length * classes];
        var gradient = new double[parameters.Length];
        int[] sizes = network.LayerSizes ?? throw new ArgumentException("The reference runs dense networks only.", nameof(network));
        double sum = Run(sizes, network.Activation, network.OutputActivation, network.Loss, parameters, inputs, labels, gradient, outputs, null);
        int correct = 0;
        for (int s = 0; s < labels.Length; s++)
        {
            int best = 0;
            for (int k = 1; k < classes; k++) if (outputs[s * classes + k] > outputs[s * classes + best]) best = k;
            if (best == labels[s]) correct++;
        }
        return new Result(sum, correct, outputs, gradient);
    }

    /// <summary>Every hidden layer's pre-activations Z of every sample (to keep finite differences away from kinks).</summary>
    public static List<double> HiddenPreActivations(int[] sizes, Activation activation, Activation output, Loss loss,
        double[] parameters, double[] inputs, int[] labels)
    {
        var values = new List<double>();
        Run(sizes, activation, output, loss, parameters, inputs, labels, null, null, values);
        return values;
    }

    /// <returns>The summed loss.</returns>
    private static double Run(int[] sizes, Activation activation, Activation output, Loss loss,
        double[] parameters, double[] inputs, int[] labels, double[]? gradient, double[]? outputs, List<double>? hiddenZ)
    {
        var layout = new ParameterLayout(sizes);
        int layers = layout.LayerCount, batch = labels.Length, K = sizes[^1];
        if (gradient is not null) Array.Clear(gradient);
        double total = 0;
        for (int s = 0; s < batch; s++)
        {
            // forward: z[l], a[l + 1] for l = 0..layers-1; a[0] = x
            var a = new double[layers + 1][];
            var z = new double[layers][];
            a[0] = inputs.AsSpan(s * sizes[0], sizes[0]).ToArray();
            for (int l = 0; l < layers; l++)
            {
                int nIn = sizes[l], nOut = sizes[l + 1];
                z[l] = new double[nOut];
                for (int o = 0; o < nOut; o++)
                {
                    double sum = parameters[layout.BiasOffset(l) + o];
                    for (int i = 0; i < nIn; i++) sum += parameters[layout.WeightOffset(l) + o * nIn + i] * a[l][i];
                    z[l][o] = sum;
                }
                if (l < layers - 1) hiddenZ?.AddRange(z[l]);
                a[l + 1] = l < layers - 1 ? z[l].Select(v => Hidden(activation, v)).ToArray() : Output(output, z[l]);
            }
            double[] y = new double[K];
            y[labels[s]] = 1;
            double[] outA = a[layers];
            if (outputs is not null) outA.CopyTo(outputs, s * K);
            double sample = loss == MnistTools.Layers.Loss.Quadratic
                ? 0.5 * outA.Select((v, k) => (v - y[k]) * (v - y[k])).Sum()
                : output == Activation.Softmax
                    ? -Math.Log(outA[labels[s]])
                    : -outA.Select((v, k) => y[k] * Math.Log(v) + (1 - y[k]) * Math.Log(1 - v)).Sum();
            total += sample;
            if (gradient is null) continue;

            // backward, unfused: dL/da, then through the output activation's Jacobian, then layer by layer.
            double[] dA = new double[K];
            for (int k = 0; k < K; k++)
                dA[k] = loss == MnistTools.Layers.Loss.Quadratic ? outA[k] - y[k]
                    : output == Activation.Softmax ? (k == labels[s] ? -1 / outA[k] : 0)
                    : -(y[k] / outA[k]) + (1 - y[k]) / (1 - outA[k]);
            double[] dZ = new double[K];
            for (int k = 0; k < K; k++)
            {
                if (output == Activation.Sigmoid) dZ[k] = dA[k] * outA[k] * (1 - outA[k]);
                else
                    for (int j = 0; j < K; j++) dZ[k] += dA[j] * outA[j] * ((j == k ? 1 : 0) - outA[k]);
            }
            for (int l = layers - 1; l >= 0; l--)
            {
                int nIn = sizes[l], nOut = sizes[l + 1];
                double[] dPrev = new double[nIn];
                for (int o = 0; o < nOut; o++)
                {
                    gradient[layout.BiasOffset(l) + o] += dZ[o] / batch;
                    for (int i = 0; i < nIn; i++)
                    {
                        gradient[layout.WeightOffset(l) + o * nIn + i] += dZ[o] * a[l][i] / batch;
                        dPrev[i] += dZ[o] * parameters[layout.WeightOffset(l) + o * nIn + i];
                    }
                }
                if (l == 0) break;
                dZ = new double[nIn];
                for (int i = 0; i < nIn; i++) dZ[i] = dPrev[i] * HiddenDerivative(activation, z[l - 1][i]);
            }
        }
        return total;
    }

    /// <param name="slope">LeakyReLU's slope for z &lt;= 0.</param>
    public static double Hidden(Activation activation, double z, double slope = ActivationFunctions.LeakyReLUSlope) => activation switch
    {
        Activation.Sigmoid => 1 / (1 + Math.Exp(-z)),
        Activation.Tanh => Math.Tanh(z),
        Activation.ReLU => Math.Max(0, z),
        _ => z > 0 ? z : slope * z,
    };

    private static double HiddenDerivative(Activation activation, double z) => activation switch
    {
        Activation.Sigmoid => Hidden(activation, z) * (1 - Hidden(activation, z)),
        Activation.Tanh => 1 - Math.Tanh(z) * Math.Tanh(z),
        Activation.ReLU => z > 0 ? 1 : 0,
        _ => z > 0 ? 1 : ActivationFunctions.LeakyReLUSlope,
    };

    private static double[] Output(Activation output, double[] z)
    {
        if (output == Activation.Sigmoid) return z.Select(v => 1 / (1 + Math.Exp(-v))).ToArray();
        double max = z.Max();
        double[] e = z.Select(v => Math.Exp(v - max)).ToArray();
        double sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }
}
