using MnistTools.Numerics;

namespace MnistTools.Layers;

/// <summary>
/// Every buffer a pass over up to <see cref="MaxRows"/> images needs, allocated once and reused for every batch.
/// Shapes, B = rows, per layer l with n_l = its output size:
///   Input              [B x InputSize]   the images' pixels / 255f
///   Labels             [B]
///   Outputs[l]         [B x n_l]         each layer's output
///   Saved[l]           [B x SavedSize_l] what each layer keeps for backward (training only: inference layers apply
///                                        their activation in place in Outputs[l])
///   Gradients[l]       [B x n_l]         d(loss)/d(output of l) (training only)
///   Statistics[l]      [per batch]       a batch-statistics layer's μ and 1/σ between its forward and backward (training only)
///   Scores             [B x K]           the output activation of the last layer's output (softmax or sigmoid)
///   RowMax, RowSum     [B]               softmax's per-row max and Σ exp(z − max), for a stable log-sum-exp
///   Scratch[lane]      per lane          the largest scratch any layer needs for half the rows (or all of them)
/// A lane of rows [offset, offset + rows) uses the same rows of every buffer and its own scratch.
/// </summary>
internal sealed class BatchBuffers
{
    public BatchBuffers(LayerStack stack, int maxRows, bool training, int lanes)
    {
        if (maxRows < 1) throw new ArgumentOutOfRangeException(nameof(maxRows));
        IReadOnlyList<Layer> layers = stack.Layers;
        _stack = stack;
        MaxRows = maxRows;
        Input = new AlignedFloats(checked(maxRows * stack.InputSize));
        Labels = new int[maxRows];
        Outputs = new AlignedFloats[layers.Count];
        Saved = new AlignedFloats[layers.Count];
        Statistics = new AlignedFloats[layers.Count];
        Gradients = new AlignedFloats[training ? layers.Count : 0];
        int laneRows = (maxRows + lanes - 1) / lanes, scratch = 0;
        for (int l = 0; l < layers.Count; l++)
        {
            Outputs[l] = new AlignedFloats(checked(maxRows * layers[l].OutputSize));
            Saved[l] = new AlignedFloats(training ? checked(maxRows * layers[l].SavedSize) : 0);
            if (training) Gradients[l] = new AlignedFloats(checked(maxRows * layers[l].OutputSize));
            Statistics[l] = new AlignedFloats(training ? layers[l].BatchStatisticsSize : 0);
            // A layer that runs forward by units (for every row at once) needs scratch for all the rows.
            scratch = Math.Max(scratch, layers[l].ScratchSize(layers[l].CanForwardByUnits ? maxRows : laneRows));
        }
        Scores = new AlignedFloats(checked(maxRows * stack.OutputSize));
        RowMax = new float[maxRows];
        RowSum = new float[maxRows];
        Scratch = new AlignedFloats[lanes];
        for (int thread = 0; thread < lanes; thread++) Scratch[thread] = new AlignedFloats(scratch);
    }

    /// <summary>
    /// Floats the constructor allocates for these arguments (every buffer above, the labels and the softmax rows included),
    /// computed without allocating: <see cref="WorkingMemory"/> checks it against its bound first. Saturates at long.MaxValue.
    /// </summary>
    public static long Floats(LayerStack stack, int maxRows, bool training, int lanes)
    {
        IReadOnlyList<Layer> layers = stack.Layers;
        long rows = maxRows, laneRows = (maxRows + lanes - 1) / lanes, scratch = 0;
        try
        {
            checked
            {
                long total = rows * stack.InputSize + 3 * rows + rows * stack.OutputSize; // Input, Labels, RowMax, RowSum, Scores
                foreach (Layer layer in layers)
                {
                    total += rows * layer.OutputSize * (training ? 2 : 1) + (training ? rows * layer.SavedSize + layer.BatchStatisticsSize : 0);
                    scratch = Math.Max(scratch, layer.ScratchSize((int)(layer.CanForwardByUnits ? rows : laneRows)));
                }
                return total + lanes * scratch;
            }
        }
        catch (OverflowException)
        {
            return long.MaxValue;
        }
    }

    /// <summary>Most rows per evaluation or prediction chunk.</summary>
    public const int InferenceRows = 256;

    /// <summary>Floats of layer outputs one inference chunk may span: 1 MiB, a core's L2 cache here, so
    /// what one layer writes is still in cache when the next reads it. A convolutional net's feature maps are large (the
    /// Keras net's first convolution writes 86 KB per image, Z and Y twice that): 256 images of them went to memory and
    /// back, and the first convolution and pooling took twice as long as on chunks of a few images.</summary>
    internal const int InferenceCacheFloats = 1 << 18;

    /// <summary>Rows per evaluation or prediction chunk of <paramref name="stack"/>: as many as keep a chunk's inputs
    /// and the layer outputs it writes (not those of a layer that runs with the next as one pass) within
    /// <see cref="InferenceCacheFloats"/>, at least 1 and at most <see cref="InferenceRows"/>. Forward results per row do
    /// not depend on the chunk size.</summary>
    public static int InferenceRowsFor(LayerStack stack)
    {
        long perRow = stack.InputSize;
        IReadOnlyList<Layer> layers = stack.Layers;
        for (int l = 0; l < layers.Count; l++)
            if (l + 1 == layers.Count || !layers[l].RunsWithNext(layers[l + 1])) perRow += layers[l].OutputSize;
        return (int)Math.Clamp(InferenceCacheFloats / Math.Max(perRow, 1), 1, InferenceRows);
    }

    public int MaxRows { get; }

    public AlignedFloats Input { get; }

    public int[] Labels { get; }

    public AlignedFloats[] Outputs { get; }

    public AlignedFloats[] Saved { get; }

    public AlignedFloats[] Gradients { get; }

    /// <summary>[l][BatchStatisticsSize_l]: what a layer with batch statistics keeps for the whole batch (training only).</summary>
    public AlignedFloats[] Statistics { get; }

    private readonly LayerStack _stack;

    public AlignedFloats Scores { get; }

    public float[] RowMax { get; }

    public float[] RowSum { get; }

    public AlignedFloats[] Scratch { get; }

    /// <summary>Layer <paramref name="l"/>'s view of rows [offset, offset + rows), with gradients when training.</summary>
    public LayerLane Lane(IReadOnlyList<Layer> layers, int l, int offset, int rows, int thread, in LaneKey key)
    {
        Layer layer = layers[l];
        int inputs = layer.InputSize, outputs = layer.OutputSize, saved = Saved[l].Length == 0 ? 0 : layer.SavedSize;
        ReadOnlySpan<float> input = l == 0 ? Input.AsSpan(offset * inputs, rows * inputs) : Outputs[l - 1].AsSpan(offset * inputs, rows * inputs);
        var view = new LayerLane(input, Outputs[l].AsSpan(offset * outputs, rows * outputs), Saved[l].AsSpan(offset * saved, rows * saved),
            Scratch[thread].AsSpan(0, layer.ScratchSize(rows)), rows, key)
        {
            State = _stack.State.Slice(layer.StateOffset, layer.StateSize),
        };
        if (Gradients.Length == 0) return view;
        return new LayerLane(input, view.Output, view.Saved, view.Scratch, rows, key)
        {
            State = view.State,
            OutputGradient = Gradients[l].AsSpan(offset * outputs, rows * outputs),
            InputGradient = l == 0 ? Span<float>.Empty : Gradients[l - 1].AsSpan(offset * inputs, rows * inputs),
        };
    }
}
