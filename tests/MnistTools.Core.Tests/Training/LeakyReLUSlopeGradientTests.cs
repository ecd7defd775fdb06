using MnistTools.Layers;
using MnistTools.Numerics;
using MnistTools.Tests.Layers;
using MnistTools.Training;

namespace MnistTools.Tests.Training;

/// <summary>
/// A layer's LeakyReLU slope (<c>slope=</c>) through the production training step and prediction: Dense, Conv2d and
/// BatchNorm (batch statistics) layers with slopes 0.1, 0 and −0.5 against a double reference written from the definitions. The step's float
/// gradient against central differences (h = 1e-6) of the reference loss, |float − numeric| ≤ 1e-4 · max(1, |numeric|); its
/// loss and the network's predictions against the reference's. Pre-activations are checked to lie away from the kink
/// and some of them below it, so the slope is what the check measures. The wide Dense layer runs forward by units
/// (<see cref="Layer.ForwardUnits"/>).
/// </summary>
public class LeakyReLUSlopeGradientTests
{
    private const int Classes = 3, Rows = 6;

    /// <summary>The reference network: the hidden pre-activations Z [rows x hidden] of a batch [rows x inputs], then Dense 3
    /// on LeakyReLU(Z).</summary>
    private delegate double[] HiddenLayer(double[] p, double[] batch, int rows);

    /// <summary>A hidden layer that sees one image at a time.</summary>
    private static HiddenLayer ByImage(int inputs, Func<double[], double[], double[]> image) => (p, batch, rows) =>
        Enumerable.Range(0, rows).SelectMany(r => image(p, batch[(r * inputs)..((r + 1) * inputs)])).ToArray();

    public static TheoryData<float> Slopes() => new() { 0.1f, 0f, -0.5f };

    [Theory]
    [MemberData(nameof(Slopes))]
    public void DenseGradientMatchesCentralDifferences(float slope)
    {
        const int hidden = 6, inputs = 16;
        var network = new Network([inputs], LayerSpec.ParseAll([FormattableString.Invariant($"Dense {hidden} LeakyReLU slope={slope:R}"), "Dense 3 Softmax"]), Loss.CrossEntropy,
            Initializer.Default, seed: 5);
        Assert.Equal(slope, network.LayerSpecs[0].Slope);
        Check(network, SyntheticData.Create(64, seed: 4), slope, hidden, ByImage(inputs, (p, x) => Dense(p, 0, x, inputs, hidden)));
    }

    /// <summary>Dense 8 → BatchNorm LeakyReLU (the batch's mean and biased variance, eps 1e-5) → Dense 3. Prediction uses
    /// the running statistics, so only the training step is compared.</summary>
    [Theory]
    [MemberData(nameof(Slopes))]
    public void BatchNormGradientMatchesCentralDifferences(float slope)
    {
        const int hidden = 8, inputs = 16;
        var network = new Network([inputs], LayerSpec.ParseAll(["Dense 8", FormattableString.Invariant($"BatchNorm LeakyReLU slope={slope:R}"), "Dense 3 Softmax"]),
            Loss.CrossEntropy, Initializer.Default, seed: 5);
        Check(network, SyntheticData.Create(64, seed: 4), slope, hidden, (p, x, rows) =>
        {
            double[] z = ByImage(inputs, (q, image) => Dense(q, 0, image, inputs, hidden))(p, x, rows);
            int gamma = hidden * inputs + hidden, beta = gamma + hidden;
            for (int j = 0; j < hidden; j++)
            {
                double mean = Enumerable.Range(0, rows).Average(r => z[r * hidden + j]);
                double variance = Enumerable.Range(0, rows).Average(r => Math.Pow(z[r * hidden + j] - mean, 2));
                double[] normalised = Enumerable.Range(0, rows).Select(r => (z[r * hidden + j] - mean) / Math.Sqrt(variance + 1e-5)).ToArray();
                for (int r = 0; r < rows; r++) z[r * hidden + j] = normalised[r] * p[gamma + j] + p[beta + j];
            }
            return z;
        }, predicts: false);
    }

    [Theory]
    [MemberData(nameof(Slopes))]
    public void Conv2dGradientMatchesCentralDifferences(float slope)
    {
        var shape = Conv2dShape.Create(1, 4, 4, 3, 3, 1, Padding.Same);
        var network = new Network([1, 4, 4], LayerSpec.ParseAll([FormattableString.Invariant($"Conv2d 3 3 padding=same LeakyReLU slope={slope:R}"), "Dense 3 Softmax"]),
            Loss.CrossEntropy, Initializer.Default, seed: 5);
        Check(network, SyntheticData.Create(64, seed: 4), slope, shape.OutputSize, ByImage(shape.InputSize, (p, x) =>
        {
            double[] w = p[..shape.WeightCount], b = p[shape.WeightCount..(shape.WeightCount + shape.Filters)];
            return ReferenceLayers.Conv2dForward(x, w, b, shape, 1).Output;
        }));
    }

    [Fact]
    public void AWideDenseLayerForwardByUnitsAppliesTheSlope()
    {
        const int hidden = 100, inputs = 784;
        const float slope = 0.2f;
        var network = new Network([inputs], LayerSpec.ParseAll(["Dense 100 LeakyReLU slope=0.2", "Dense 3 Softmax"]), Loss.CrossEntropy,
            Initializer.Default, seed: 5);
        Assert.True(network.Stack.Layers[0].WeightCount >= TrainingStep.SplitFirstLayerWeights, "the first layer must be wide enough to run by units");
        Check(network, SyntheticData.Images(32, seed: 4), slope, hidden, ByImage(inputs, (p, x) => Dense(p, 0, x, inputs, hidden)), sampledParameters: 40);
    }

    /// <summary>
    /// The step's gradient and loss on <see cref="Rows"/> images (one and two cores), then Predict, against the reference:
    /// the hidden layer (its parameters first in p), LeakyReLU with <paramref name="slope"/>, Dense 3, softmax cross-entropy.
    /// </summary>
    private static void Check(Network network, MnistDataSet data, float slope, int hidden, HiddenLayer layer, int? sampledParameters = null,
        bool predicts = true)
    {
        StepHarness.RandomizeBiases(network, 0.3, 7);
        int[] order = Enumerable.Range(0, data.Count).ToArray();
        (double[] x, int[] labels) = StepHarness.Rows(data, order, 3, Rows);
        double[] p = StepHarness.ToDouble(network.Parameters);
        double Loss(double[] parameters, double[]? scores = null, List<double>? preActivations = null)
        {
            int head = parameters.Length - Classes * hidden - Classes;
            double total = 0;
            double[] all = layer(parameters, x, Rows);
            preActivations?.AddRange(all);
            for (int r = 0; r < Rows; r++)
            {
                double[] z = all[(r * hidden)..((r + 1) * hidden)];
                double[] a = z.Select(v => ReferenceNetwork.Hidden(Activation.LeakyReLU, v, slope)).ToArray();
                double[] logits = Dense(parameters, head, a, hidden, Classes);
                double max = logits.Max(), log = max + Math.Log(logits.Sum(v => Math.Exp(v - max)));
                total += log - logits[labels[r]];
                if (scores is not null)
                    for (int k = 0; k < Classes; k++) scores[r * Classes + k] = Math.Exp(logits[k] - log);
            }
            return total / Rows;
        }

        var zs = new List<double>();
        var expectedScores = new double[Rows * Classes];
        double expectedLoss = Loss(p, expectedScores, zs);
        Assert.All(zs, z => Assert.True(Math.Abs(z) > 1e-3, $"pre-activation {z} too close to the kink for a finite-difference check"));
        Assert.True(zs.Count(z => z < 0) >= zs.Count / 10, "too few negative pre-activations for the slope to matter");

        float[]? first = null;
        foreach (int threads in new[] { 1, 2 })
        {
            using var scope = ComputeSettings.Override(threads: threads);
            (float[] gradient, double lossSum, _, double checkLoss, _) = StepHarness.Gradient(network, data, order, 3, Rows, batchSize: Rows);
            Assert.True(Math.Abs(lossSum / Rows - expectedLoss) <= 1e-5 * Math.Max(1, expectedLoss), $"loss {lossSum / Rows:R} vs reference {expectedLoss:R}");
            Assert.Equal(lossSum, checkLoss);
            if (first is null) first = gradient;
            else Assert.Equal(first, gradient); // one core and two: the same bits
        }

        const double h = 1e-6;
        int stride = sampledParameters is { } count ? Math.Max(1, p.Length / count) : 1;
        for (int i = 0; i < p.Length; i += stride)
        {
            double saved = p[i];
            p[i] = saved + h;
            double plus = Loss(p);
            p[i] = saved - h;
            double minus = Loss(p);
            p[i] = saved;
            double numeric = (plus - minus) / (2 * h);
            Assert.True(Math.Abs(first![i] - numeric) <= 1e-4 * Math.Max(1, Math.Abs(numeric)), $"parameter {i}: step {first[i]:R}, central difference {numeric:R}");
        }

        if (!predicts) return;
        float[] inputs = x.Select(v => (float)v).ToArray(), scores = new float[Rows * Classes];
        network.Predict(inputs, Rows, scores);
        for (int i = 0; i < scores.Length; i++)
            Assert.True(Math.Abs(scores[i] - expectedScores[i]) <= 1e-5 + 1e-4 * expectedScores[i], $"score {i}: {scores[i]:R} vs reference {expectedScores[i]:R}");
    }

    /// <summary>W x + b for W [outputs x inputs] at p[offset], then b [outputs].</summary>
    private static double[] Dense(double[] p, int offset, double[] x, int inputs, int outputs)
    {
        var z = new double[outputs];
        for (int o = 0; o < outputs; o++)
        {
            double sum = p[offset + outputs * inputs + o];
            for (int i = 0; i < inputs; i++) sum += p[offset + o * inputs + i] * x[i];
            z[o] = sum;
        }
        return z;
    }
}
