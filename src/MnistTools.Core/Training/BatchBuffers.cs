using System.Runtime.CompilerServices;
using MnistTools.Distortions;
using MnistTools.Layers;
using MnistTools.Numerics;

namespace MnistTools.Training;

/// <summary>
/// Every buffer a pass over up to <see cref="MaxRows"/> images needs, allocated once and reused for every batch.
/// Shapes, B = rows, per layer l with n_l = its output size:
///   Input              [B x InputSize]   the images' pixels / 255f
///   Labels             [B]
///   Outputs[l]         [B x n_l]         each layer's output
///   Saved[l]           [B x SavedSize_l] what each layer keeps for backward (training only: inference layers apply
///                                        their activation in place in Outputs[l])
///   Gradients[l]       [B x n_l]         d(loss)/d(output of l) (training only)
///   Scores             [B x K]           the output activation of the last layer's output (softmax or sigmoid)
///   RowMax, RowSum     [B]               softmax's per-row max and Σ exp(z − max), for a stable log-sum-exp
///   Scratch[band]      per band          the largest scratch any layer needs for half the rows (or all of them)
/// A band (lane) of rows [offset, offset + rows) uses the same rows of every buffer and its own scratch.
/// </summary>
internal sealed class BatchBuffers
{
    public BatchBuffers(Network network, int maxRows, bool training, int bands)
    {
        if (maxRows < 1) throw new ArgumentOutOfRangeException(nameof(maxRows));
        IReadOnlyList<Layer> layers = network.LayerStack;
        MaxRows = maxRows;
        Input = new AlignedFloats(checked(maxRows * network.InputSize));
        Labels = new int[maxRows];
        Outputs = new AlignedFloats[layers.Count];
        Saved = new AlignedFloats[layers.Count];
        Gradients = new AlignedFloats[training ? layers.Count : 0];
        int bandRows = (maxRows + bands - 1) / bands, scratch = 0;
        for (int l = 0; l < layers.Count; l++)
        {
            Outputs[l] = new AlignedFloats(checked(maxRows * layers[l].OutputSize));
            Saved[l] = new AlignedFloats(training ? checked(maxRows * layers[l].SavedSize) : 0);
            if (training) Gradients[l] = new AlignedFloats(checked(maxRows * layers[l].OutputSize));
            // A layer that runs forward by units (for every row at once) needs scratch for all the rows.
            scratch = Math.Max(scratch, layers[l].ScratchSize(layers[l].CanForwardByUnits ? maxRows : bandRows));
        }
        Scores = new AlignedFloats(checked(maxRows * network.OutputSize));
        RowMax = new float[maxRows];
        RowSum = new float[maxRows];
        Scratch = new AlignedFloats[bands];
        for (int band = 0; band < bands; band++) Scratch[band] = new AlignedFloats(scratch);
    }

    /// <summary>
    /// Floats the constructor allocates for these arguments (every buffer above, the labels and the softmax rows included),
    /// computed without allocating: <see cref="WorkingMemory"/> checks it against its bound first. Saturates at long.MaxValue.
    /// </summary>
    public static long Floats(Network network, int maxRows, bool training, int bands)
    {
        IReadOnlyList<Layer> layers = network.LayerStack;
        long rows = maxRows, bandRows = (maxRows + bands - 1) / bands, scratch = 0;
        try
        {
            checked
            {
                long total = rows * network.InputSize + 3 * rows + rows * network.OutputSize; // Input, Labels, RowMax, RowSum, Scores
                foreach (Layer layer in layers)
                {
                    total += rows * layer.OutputSize * (training ? 2 : 1) + (training ? rows * layer.SavedSize : 0);
                    scratch = Math.Max(scratch, layer.ScratchSize((int)(layer.CanForwardByUnits ? rows : bandRows)));
                }
                return total + bands * scratch;
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

    /// <summary>Rows per evaluation or prediction chunk of <paramref name="network"/>: as many as keep a chunk's inputs
    /// and layer outputs within <see cref="InferenceCacheFloats"/>, at least 1 and at most <see cref="InferenceRows"/>.
    /// Forward results per row do not depend on the chunk size.</summary>
    public static int InferenceRowsFor(Network network)
    {
        long perRow = network.InputSize;
        foreach (Layer layer in network.LayerStack) perRow += layer.OutputSize;
        return (int)Math.Clamp(InferenceCacheFloats / Math.Max(perRow, 1), 1, InferenceRows);
    }

    public int MaxRows { get; }

    public AlignedFloats Input { get; }

    public int[] Labels { get; }

    public AlignedFloats[] Outputs { get; }

    public AlignedFloats[] Saved { get; }

    public AlignedFloats[] Gradients { get; }

    public AlignedFloats Scores { get; }

    public float[] RowMax { get; }

    public float[] RowSum { get; }

    public AlignedFloats[] Scratch { get; }

    /// <summary>Layer <paramref name="l"/>'s view of rows [offset, offset + rows), with gradients when training.</summary>
    public LayerBand Band(IReadOnlyList<Layer> layers, int l, int offset, int rows, int band, in BandKey key)
    {
        Layer layer = layers[l];
        int inputs = layer.InputSize, outputs = layer.OutputSize, saved = Saved[l].Length == 0 ? 0 : layer.SavedSize;
        ReadOnlySpan<float> input = l == 0 ? Input.AsSpan(offset * inputs, rows * inputs) : Outputs[l - 1].AsSpan(offset * inputs, rows * inputs);
        var view = new LayerBand(input, Outputs[l].AsSpan(offset * outputs, rows * outputs), Saved[l].AsSpan(offset * saved, rows * saved),
            Scratch[band].AsSpan(0, layer.ScratchSize(rows)), rows, key);
        if (Gradients.Length == 0) return view;
        return new LayerBand(input, view.Output, view.Saved, view.Scratch, rows, key)
        {
            OutputGradient = Gradients[l].AsSpan(offset * outputs, rows * outputs),
            InputGradient = l == 0 ? Span<float>.Empty : Gradients[l - 1].AsSpan(offset * inputs, rows * inputs),
        };
    }

    /// <summary>
    /// Input[r, :] = pixels of image indices[r] / 255f and Labels[r] = its label, for r in [offset, offset + indices.Length);
    /// with an <paramref name="augmenter"/>, the image as it distorts it for (seed, epoch) of <paramref name="key"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Load(MnistDataSet data, ReadOnlySpan<int> indices, int offset, ImageAugmenter? augmenter = null, in BandKey key = default)
    {
        int size = data.ImageSize;
        ReadOnlySpan<byte> all = data.Pixels;
        Span<float> input = Input.AsSpan(offset * size, indices.Length * size);
        for (int r = 0; r < indices.Length; r++)
        {
            // Shuffled rows are scattered over the whole set: ask for a row a few ahead so its cache lines arrive in time.
            if (r + PrefetchDistance < indices.Length) Prefetch(all.Slice(indices[r + PrefetchDistance] * size, size));
            int index = indices[r];
            if (augmenter is null) PixelScaling.ToInputs(data.GetPixels(index), input.Slice(r * size, size));
            else augmenter.Distort(data.GetPixels(index), key.Seed, key.Epoch, index, input.Slice(r * size, size));
            Labels[offset + r] = data.GetLabel(index);
        }
    }

    /// <summary>The contiguous images [start, start + rows) of <paramref name="data"/> into rows [0, rows).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void LoadRange(MnistDataSet data, int start, int rows)
    {
        int size = data.ImageSize;
        PixelScaling.ToInputs(data.Pixels.Slice(start * size, rows * size), Input.AsSpan(0, rows * size));
        for (int r = 0; r < rows; r++) Labels[r] = data.GetLabel(start + r);
    }

    private const int PrefetchDistance = 4;

    private static unsafe void Prefetch(ReadOnlySpan<byte> row)
    {
        if (!System.Runtime.Intrinsics.X86.Sse.IsSupported) return;
        fixed (byte* start = row)
            for (int offset = 0; offset < row.Length; offset += 64) System.Runtime.Intrinsics.X86.Sse.Prefetch0(start + offset);
    }
}
