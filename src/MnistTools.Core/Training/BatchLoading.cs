using System.Runtime.CompilerServices;
using MnistTools.Distortions;
using MnistTools.Layers;
using MnistTools.Numerics;

namespace MnistTools.Training;

/// <summary>A data set's images into a <see cref="BatchBuffers"/>' input rows and labels (training and evaluation).</summary>
internal static class BatchLoading
{
    /// <summary>
    /// Input[r, :] = pixels of image indices[r] / 255f and Labels[r] = its label, for r in [offset, offset + indices.Length);
    /// with an <paramref name="augmenter"/>, the image as it distorts it for (seed, epoch) of <paramref name="key"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Load(this BatchBuffers buffers, MnistDataSet data, ReadOnlySpan<int> indices, int offset, ImageAugmenter? augmenter = null, in LaneKey key = default)
    {
        int size = data.ImageSize;
        ReadOnlySpan<byte> all = data.Pixels;
        Span<float> input = buffers.Input.AsSpan(offset * size, indices.Length * size);
        for (int r = 0; r < indices.Length; r++)
        {
            // Shuffled rows are scattered over the whole set: ask for a row a few ahead so its cache lines arrive in time.
            if (r + PrefetchDistance < indices.Length) Prefetch(all.Slice(indices[r + PrefetchDistance] * size, size));
            int index = indices[r];
            if (augmenter is null) PixelScaling.ToInputs(data.GetPixels(index), input.Slice(r * size, size));
            else augmenter.Distort(data.GetPixels(index), key.Seed, key.Epoch, index, input.Slice(r * size, size));
            buffers.Labels[offset + r] = data.GetLabel(index);
        }
    }

    private const int PrefetchDistance = 4;

    private static unsafe void Prefetch(ReadOnlySpan<byte> row)
    {
        if (!System.Runtime.Intrinsics.X86.Sse.IsSupported) return;
        fixed (byte* start = row)
            for (int offset = 0; offset < row.Length; offset += 64) System.Runtime.Intrinsics.X86.Sse.Prefetch0(start + offset);
    }
}
