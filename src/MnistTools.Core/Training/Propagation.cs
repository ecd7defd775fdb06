using System.Runtime.CompilerServices;

namespace MnistTools.Training;

/// <summary>Whole-network forward and backward passes over one batch held in a <see cref="Workspace"/>.</summary>
internal static class Propagation
{
    /// <summary>Fills Z[l] and A[l] for every layer; the output is A[last] [B x K].</summary>
    /// <param name="input">X [B x n_0].</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(Network network, ReadOnlySpan<float> input, int batch, Workspace workspace)
    {
        ParameterLayout layout = network.Layout;
        ReadOnlySpan<float> parameters = network.Parameters;
        ReadOnlySpan<float> layerInput = input.Slice(0, batch * layout.InputSize);
        int last = layout.LayerCount - 1;
        for (int l = 0; l <= last; l++)
        {
            int inputs = layout.LayerSizes[l], outputs = layout.LayerSizes[l + 1];
            Span<float> z = workspace.Z[l].AsSpan(0, batch * outputs);
            Span<float> a = workspace.A[l].AsSpan(0, batch * outputs);
            DenseLayer.DenseForward(layerInput, layout.Weights(parameters, l), layout.Biases(parameters, l), z, batch, inputs, outputs);
            if (l < last) ActivationFunctions.ActivationForward(network.Activation, z, a);
            else OutputLayer.OutputForward(network.OutputActivation, z, a, workspace.RowMax, workspace.RowSum, batch, outputs);
            layerInput = a;
        }
    }

    /// <summary>The batch's summed loss (no gradient).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Loss(Network network, int batch, Workspace workspace)
    {
        int last = network.Layout.LayerCount - 1, classes = network.OutputSize;
        return OutputLayer.LossAndGradient(network.OutputActivation, network.Loss, workspace.Z[last], workspace.A[last],
            workspace.RowMax, workspace.RowSum, workspace.Labels.AsSpan(0, batch), Span<float>.Empty, batch, classes, 0f);
    }

    /// <summary>
    /// After <see cref="Forward"/>: the batch's summed loss, and Gradients = d(mean loss)/dθ in the flat layout.
    /// The plain single-workspace pass: the oracle of <see cref="TrainingStep"/> in the tests.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Backward(Network network, ReadOnlySpan<float> input, int batch, Workspace workspace)
    {
        ParameterLayout layout = network.Layout;
        ReadOnlySpan<float> parameters = network.Parameters;
        Span<float> gradients = workspace.Gradients;
        int last = layout.LayerCount - 1;
        int classes = layout.OutputSize;

        Span<float> delta = workspace.DeltaA.AsSpan(0, batch * classes);
        double loss = OutputLayer.LossAndGradient(network.OutputActivation, network.Loss, workspace.Z[last], workspace.A[last],
            workspace.RowMax, workspace.RowSum, workspace.Labels.AsSpan(0, batch), delta, batch, classes, 1f / batch);

        bool inA = true;
        for (int l = last; l >= 0; l--)
        {
            int inputs = layout.LayerSizes[l], outputs = layout.LayerSizes[l + 1];
            ReadOnlySpan<float> layerInput = l == 0 ? input.Slice(0, batch * inputs) : workspace.A[l - 1].AsSpan(0, batch * inputs);
            Span<float> inputGradient = l == 0 ? Span<float>.Empty : (inA ? workspace.DeltaB : workspace.DeltaA).AsSpan(0, batch * inputs);
            DenseLayer.DenseBackward(delta, layerInput, layout.Weights(parameters, l),
                layout.Weights(gradients, l), layout.Biases(gradients, l), inputGradient, batch, inputs, outputs);
            if (l == 0) break;
            ActivationFunctions.ActivationBackward(network.Activation, workspace.Z[l - 1].AsSpan(0, batch * inputs),
                workspace.A[l - 1].AsSpan(0, batch * inputs), inputGradient);
            delta = inputGradient;
            inA = !inA;
        }
        return loss;
    }
}
