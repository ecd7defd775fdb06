using System.Runtime.CompilerServices;
using MnistTools.Numerics;

namespace MnistTools.Training;

/// <summary>
/// Every buffer one forward (and backward) pass needs for up to <see cref="MaxBatch"/> rows, allocated once per
/// (network shape, batch size) and reused for every batch. Shapes, B = batch rows, n_l = LayerSizes[l]:
///   Z[l], A[l]           [B x n_(l+1)]  pre-activation and activation of weight layer l (A[last] = network output)
///   RowMax, RowSum       [B]            softmax's per-row max and sum of exp(z - max) (for a stable log-sum-exp)
///   DeltaA, DeltaB       [B x max n]    backward ping-pong buffers for dZ / dA (training only)
///   Gradients            [ParameterCount] dLoss/dθ in the flat parameter layout (training only)
///   Input                [B x n_0]      the batch's pixels / 255f (training and evaluation)
///   Labels               [B]            the batch's class labels
/// </summary>
internal sealed class Workspace
{
    /// <summary>Rows per chunk when predicting or evaluating.</summary>
    public const int InferenceBatch = 256;

    public Workspace(ParameterLayout layout, int maxBatch, bool training)
    {
        if (maxBatch < 1) throw new ArgumentOutOfRangeException(nameof(maxBatch));
        Layout = layout;
        MaxBatch = maxBatch;
        Z = new float[layout.LayerCount][];
        A = new float[layout.LayerCount][];
        int widest = 0;
        for (int l = 0; l < layout.LayerCount; l++)
        {
            int width = layout.LayerSizes[l + 1];
            widest = Math.Max(widest, width);
            Z[l] = new float[checked(maxBatch * width)];
            A[l] = new float[checked(maxBatch * width)];
        }
        RowMax = new float[maxBatch];
        RowSum = new float[maxBatch];
        Input = new AlignedFloats(checked(maxBatch * layout.InputSize));
        Labels = new int[maxBatch];
        if (training)
        {
            DeltaA = new float[checked(maxBatch * widest)];
            DeltaB = new float[checked(maxBatch * widest)];
            Gradients = new float[layout.ParameterCount];
        }
        else
        {
            DeltaA = DeltaB = Gradients = Array.Empty<float>();
        }
    }

    public ParameterLayout Layout { get; }

    public int MaxBatch { get; }

    public float[][] Z { get; }

    public float[][] A { get; }

    public float[] RowMax { get; }

    public float[] RowSum { get; }

    public float[] DeltaA { get; }

    public float[] DeltaB { get; }

    public float[] Gradients { get; }

    /// <summary>64-byte aligned (<see cref="AlignedFloats"/>), so rows of 784 inputs start on cache lines.</summary>
    public AlignedFloats Input { get; }

    public int[] Labels { get; }

    /// <summary>The network output for the first <paramref name="rows"/> rows, [rows x OutputSize].</summary>
    public Span<float> Output(int rows) => A[^1].AsSpan(0, rows * Layout.OutputSize);

    /// <summary>
    /// Fills <see cref="Input"/> and <see cref="Labels"/> with images <paramref name="indices"/> of <paramref name="data"/>:
    /// Input[r, :] = pixels / 255f.
    /// </summary>
    public void LoadBatch(MnistDataSet data, ReadOnlySpan<int> indices) => LoadRows(data, indices, Input, Labels);

    /// <summary>input[r, :] = pixels of image indices[r] / 255f and labels[r] = its label, for every r.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void LoadRows(MnistDataSet data, ReadOnlySpan<int> indices, Span<float> input, Span<int> labels)
    {
        int size = data.ImageSize;
        ReadOnlySpan<byte> all = data.Pixels;
        for (int r = 0; r < indices.Length; r++)
        {
            // Shuffled rows are scattered over the whole set: ask for a row a few ahead so its cache lines arrive in time.
            if (r + PrefetchDistance < indices.Length) Prefetch(all.Slice(indices[r + PrefetchDistance] * size, size));
            int index = indices[r];
            PixelScaling.ToInputs(data.GetPixels(index), input.Slice(r * size, size));
            labels[r] = data.GetLabel(index);
        }
    }

    private const int PrefetchDistance = 4;

    private static unsafe void Prefetch(ReadOnlySpan<byte> row)
    {
        if (!System.Runtime.Intrinsics.X86.Sse.IsSupported) return;
        fixed (byte* start = row)
            for (int offset = 0; offset < row.Length; offset += 64) System.Runtime.Intrinsics.X86.Sse.Prefetch0(start + offset);
    }

    /// <summary>Same as <see cref="LoadBatch(MnistDataSet, ReadOnlySpan{int})"/> for the contiguous images [start, start + rows).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void LoadRange(MnistDataSet data, int start, int rows)
    {
        int size = data.ImageSize;
        PixelScaling.ToInputs(data.Pixels.Slice(start * size, rows * size), Input.AsSpan(0, rows * size));
        for (int r = 0; r < rows; r++) Labels[r] = data.GetLabel(start + r);
    }
}
