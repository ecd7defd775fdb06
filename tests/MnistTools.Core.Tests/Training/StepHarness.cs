using MnistTools.Layers;
using MnistTools.Randomness;
using MnistTools.Training;

namespace MnistTools.Tests.Training;

/// <summary>Drives the production training step (<see cref="TrainingStep"/>) from the tests and reads what it did.</summary>
internal static class StepHarness
{
    public static double[] ToDouble(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = values[i];
        return result;
    }

    /// <summary>Images order[start .. start + rows) as the step sees them: inputs pixel / 255f [rows x ImageSize], and labels [rows].</summary>
    public static (double[] Inputs, int[] Labels) Rows(MnistDataSet data, int[] order, int start, int rows)
    {
        int size = data.ImageSize;
        var inputs = new double[rows * size];
        var labels = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<byte> pixels = data.GetPixels(order[start + r]);
            for (int p = 0; p < size; p++) inputs[r * size + p] = pixels[p] / 255f;
            labels[r] = data.GetLabel(order[start + r]);
        }
        return (inputs, labels);
    }

    /// <summary>A training batch of rows order[start .. start + rows) at optimizer step <paramref name="step"/>.</summary>
    public static TrainingStep.Batch Batch(MnistDataSet data, int[] order, int start, int rows, long step = 0) =>
        new(data, order, start, rows, new LaneKey(true, 1, 1, step, 0));

    /// <summary>
    /// What the production step computes for one batch, the parameters left as they were: the float gradient the optimizer
    /// receives (both lanes summed), the summed loss and correct count of <see cref="TrainingStep.Propagate"/>, and the loss
    /// and finiteness of <see cref="TrainingStep.Check"/> run first on the same rows. The gradient is read exactly as the
    /// velocity of one Momentum update from zero velocity with λ = 0 (v = μ·0 + g = g, no rounding).
    /// </summary>
    public static (float[] Gradient, double LossSum, int Correct, double CheckLoss, bool Finite) Gradient(Network network, MnistDataSet data,
        int[] order, int start, int rows, int batchSize)
    {
        float[] saved = network.GetParameters();
        var step = new TrainingStep(network, batchSize);
        (double checkLoss, bool finite) = step.Check(Batch(data, order, start, rows));
        (double loss, int correct) = step.Propagate(Batch(data, order, start, rows));
        var state = OptimizerState.Create(Optimizer.Momentum, network.ParameterCount);
        var options = new TrainingOptions { Optimizer = Optimizer.Momentum, LearningRate = 1f, L2 = 0f };
        step.Update(state, Optimizers.Begin(state, options, options.EffectiveLearningRate));
        saved.CopyTo(network.Parameters);
        return (state.Velocity!, loss, correct, checkLoss, finite);
    }

    /// <summary>Sets every bias to a seeded Gaussian of σ = <paramref name="sigma"/> (the initializers leave them 0), so an
    /// update that wrongly decays biases shows.</summary>
    public static void RandomizeBiases(Network network, double sigma, ulong seed)
    {
        var random = new SeededRandom(seed);
        foreach (Layer layer in network.Stack.Layers)
        {
            Span<float> biases = network.Parameters.Slice(layer.BiasOffset, layer.Units);
            for (int i = 0; i < biases.Length; i++) biases[i] = (float)(sigma * random.NextGaussian());
        }
    }
}
