using System.Runtime.CompilerServices;

namespace MnistTools.Layers;

/// <summary>
/// The one forward and backward path through a network's layers (<see cref="LayerStack"/>), over a lane of rows [offset, offset + rows) held in
/// <see cref="BatchBuffers"/>: training lanes, evaluation and prediction all run it. Shapes: K classes.
///   forward   layer by layer, then Scores = softmax or sigmoid of the last layer's output Z [rows x K]
///   loss      Σ over the rows of the per-image loss (<see cref="OutputLayer.LossAndGradient"/>)
///   backward  dZ_last = ∂loss/∂Z · <c>scale</c> (1/B of the whole batch), then each layer from the last to the first
/// </summary>
internal static class Propagation
{
    /// <summary>Forward of the lane through layers [<paramref name="firstLayer"/>, last], then the output activation.</summary>
    /// <param name="everyOutput">Whether every layer's output is written (read afterwards, as feature maps are); false lets a
    /// layer and the next run as one pass (<see cref="Layer.ForwardWithNext"/>), the same scores.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(LayerStack stack, BatchBuffers buffers, int offset, int rows, int thread, in LaneKey key, int firstLayer = 0,
        bool everyOutput = true)
    {
        IReadOnlyList<Layer> layers = stack.Layers;
        ReadOnlySpan<float> parameters = stack.Parameters;
        for (int l = firstLayer; l < layers.Count; l++)
        {
            LayerLane lane = buffers.Lane(layers, l, offset, rows, thread, key);
            if (!everyOutput && l + 1 < layers.Count
                && layers[l].ForwardWithNext(parameters, lane, layers[l + 1], buffers.Lane(layers, l + 1, offset, rows, thread, key)))
            {
                l++;
                continue;
            }
            layers[l].Forward(parameters, lane);
        }
        int classes = stack.OutputSize;
        OutputLayer.OutputForward(stack.OutputActivation, buffers.Outputs[^1].AsSpan(offset * classes, rows * classes),
            buffers.Scores.AsSpan(offset * classes, rows * classes), buffers.RowMax.AsSpan(offset, rows), buffers.RowSum.AsSpan(offset, rows), rows, classes);
    }

    /// <summary>Forward of the lane through layers [<paramref name="firstLayer"/>, <paramref name="endLayer"/>) only (a lane's
    /// share of a training step that stops at a layer with batch statistics).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ForwardLayers(LayerStack stack, BatchBuffers buffers, int offset, int rows, int thread, in LaneKey key, int firstLayer, int endLayer)
    {
        IReadOnlyList<Layer> layers = stack.Layers;
        ReadOnlySpan<float> parameters = stack.Parameters;
        for (int l = firstLayer; l < endLayer; l++) layers[l].Forward(parameters, buffers.Lane(layers, l, offset, rows, thread, key));
    }

    /// <summary>Backward of the lane through layers <paramref name="fromLayer"/> down to <paramref name="toLayer"/> (both
    /// included; none when from &lt; to), into <paramref name="gradients"/> as <see cref="Backward"/> does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardLayers(LayerStack stack, BatchBuffers buffers, int offset, int rows, int thread, in LaneKey key, int fromLayer, int toLayer,
        LaneGradients gradients)
    {
        IReadOnlyList<Layer> layers = stack.Layers;
        ReadOnlySpan<float> parameters = stack.Parameters;
        for (int l = fromLayer; l >= toLayer; l--)
            layers[l].Backward(parameters, buffers.Lane(layers, l, offset, rows, thread, key), gradients.Weights(l), gradients.Biases(l));
    }

    /// <summary>After <see cref="Forward"/>: the lane's summed loss (no gradient).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Loss(LayerStack stack, BatchBuffers buffers, int offset, int rows) =>
        LossAndGradient(stack, buffers, offset, rows, Span<float>.Empty, 0f);

    /// <summary>After <see cref="Forward"/>: how many rows of the lane have their label as the predicted class.</summary>
    public static int Correct(LayerStack stack, BatchBuffers buffers, int offset, int rows)
    {
        int classes = stack.OutputSize, correct = 0;
        ReadOnlySpan<float> scores = buffers.Scores.AsSpan(offset * classes, rows * classes);
        for (int r = 0; r < rows; r++)
            if (OutputLayer.PredictedClass(scores.Slice(r * classes, classes)) == buffers.Labels[offset + r]) correct++;
        return correct;
    }

    /// <summary>
    /// After <see cref="Forward"/>: the lane's summed loss, and backward through every layer. Layer l writes its bias
    /// gradient sums into <paramref name="gradients"/>.Biases(l) and its weight gradient into .Weights(l) where that is
    /// not empty (see <see cref="Layer.Backward"/>).
    /// </summary>
    /// <param name="scale">1/B of the whole batch (which may be larger than this lane).</param>
    /// <param name="stopLayer">The lowest layer to run backward (layers below it are run later, or not at all).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Backward(LayerStack stack, BatchBuffers buffers, int offset, int rows, int thread, in LaneKey key, float scale,
        LaneGradients gradients, int stopLayer = 0)
    {
        IReadOnlyList<Layer> layers = stack.Layers;
        ReadOnlySpan<float> parameters = stack.Parameters;
        int classes = stack.OutputSize;
        double loss = LossAndGradient(stack, buffers, offset, rows, buffers.Gradients[^1].AsSpan(offset * classes, rows * classes), scale);
        for (int l = layers.Count - 1; l >= stopLayer; l--)
            layers[l].Backward(parameters, buffers.Lane(layers, l, offset, rows, thread, key), gradients.Weights(l), gradients.Biases(l));
        return loss;
    }

    private static double LossAndGradient(LayerStack stack, BatchBuffers buffers, int offset, int rows, Span<float> gradient, float scale)
    {
        int classes = stack.OutputSize;
        return OutputLayer.LossAndGradient(stack.OutputActivation, stack.Loss, buffers.Outputs[^1].AsSpan(offset * classes, rows * classes),
            buffers.Scores.AsSpan(offset * classes, rows * classes), buffers.RowMax.AsSpan(offset, rows), buffers.RowSum.AsSpan(offset, rows),
            buffers.Labels.AsSpan(offset, rows), gradient, rows, classes, scale);
    }
}
