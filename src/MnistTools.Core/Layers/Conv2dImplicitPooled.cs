using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MnistTools.Numerics;

namespace MnistTools.Layers;

/// <summary>
/// The forward of a deep ReLU convolution (stride 1, filters in blocks of 64, as <see cref="Conv2dImplicit"/> takes them)
/// and the 2 x 2, stride 2 max pooling after it in one pass (inference, and training with the pooling's winners): only
/// the convolution outputs some window reads
/// are computed (an 11 x 11 output pooled to 5 x 5 leaves its last row and column out), and one value per window and
/// filter is written instead of four. Sizes: the convolution's <see cref="Conv2dShape"/>, the pooling's
/// <see cref="MaxPool2dShape"/>, PH x PW = ⌊OH/2⌋ x ⌊OW/2⌋.
///   source   S = X, or each image copied into Xp with zeros around (as <see cref="Conv2dImplicit"/>)
///   packed   Wk [F/64 blocks][C·K·K][64]
///   convolve Z[f, 2py + dy, 2px + dx] for the four pixels of a window: register tiles of 64 filters x 4 pixels
///   pool     Y[f, py, px] = max over the window of ReLU(Z + b[f])
/// Each Z is <see cref="Conv2dImplicit"/>'s fused multiply-add chain over the taps in (c, ky, kx) order from 0; the
/// window's value is ReLU(max Z + b), which is the maximum of the four ReLU(Z + b) (rounding Z + b and ReLU never reverse
/// an order, and ReLU makes both zeros +0); a window holding NaN takes the pooling's own scan
/// (<see cref="MaxPool2dKernels.Replaces"/>). The same bits as the convolution's forward with ReLU followed by the pooling's.
/// </summary>
[SkipLocalsInit]
internal static unsafe class Conv2dImplicitPooled
{
    private const int FilterBlock = Conv2dImplicit.FilterBlock, Lanes = 16, Pixels = 4;

    /// <summary>Whether the convolution <paramref name="shape"/> and the pooling <paramref name="pooling"/> of its output
    /// run here.</summary>
    internal static bool Applies(in Conv2dShape shape, in MaxPool2dShape pooling, InstructionSet path) =>
        Conv2dImplicit.Applies(shape, path) && shape.Filters % FilterBlock == 0 && pooling.SavesWinners && pooling.Channels == shape.Filters
        && pooling.Height == shape.OutputHeight && pooling.Width == shape.OutputWidth;

    /// <summary>Scratch floats: what <see cref="Conv2dImplicit.ScratchFloats"/> asks (the packed weights, the taps'
    /// offsets into a source image, and one padded image if padded).</summary>
    internal static long ScratchFloats(in Conv2dShape shape) => Conv2dImplicit.ScratchFloats(shape);

    /// <param name="input">X [B x C x H x W].</param>
    /// <param name="weights">W [F x C x K x K].</param>
    /// <param name="biases">b [F].</param>
    /// <param name="output">Y [B x F x PH x PW], the pooled values, overwritten.</param>
    /// <param name="scratch">At least <see cref="ScratchFloats"/> floats.</param>
    /// <param name="winners">Empty, or [B x F x PH x PW] bytes: each window's winner as the pooling keeps it under ReLU's
    /// derivative (<see cref="MaxPool2dKernels.MaxPool2dForward(ReadOnlySpan{float}, in MaxPool2dShape, Span{float}, Span{byte}, int, bool)"/>
    /// with positiveWinnersOnly), for training.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> biases, in Conv2dShape shape,
        in MaxPool2dShape pooling, Span<float> output, Span<float> scratch, int rows, Span<byte> winners = default)
    {
        if (!Applies(shape, pooling, ComputeSettings.InstructionSet)) throw new ArgumentException("The pair does not run here.", nameof(pooling));
        if (rows < 0) throw new ArgumentOutOfRangeException(nameof(rows), "The row count must not be negative.");
        if (input.Length < (long)rows * shape.InputSize) throw new ArgumentException("X is shorter than B·C·H·W.", nameof(input));
        if (weights.Length < shape.WeightCount) throw new ArgumentException("W is shorter than F·C·K·K.", nameof(weights));
        if (biases.Length < shape.Filters) throw new ArgumentException("The biases are fewer than the filters.", nameof(biases));
        if (output.Length < (long)rows * pooling.OutputSize) throw new ArgumentException("Y is shorter than B·F·PH·PW.", nameof(output));
        if (scratch.Length < ScratchFloats(shape)) throw new ArgumentException("The scratch is shorter than ScratchFloats.", nameof(scratch));
        if (!winners.IsEmpty && winners.Length < (long)rows * pooling.OutputSize) throw new ArgumentException("The winners are fewer than B·F·PH·PW.", nameof(winners));
        fixed (float* x = input, w = weights, b = biases, y = output, work = scratch)
        fixed (byte* kept = winners)
            Run(x, w, b, shape, pooling, y, work, rows, kept);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run(float* input, float* weights, float* biases, in Conv2dShape shape, in MaxPool2dShape pooling, float* output,
        float* scratch, int rows, byte* winners)
    {
        int filters = shape.Filters, patch = shape.PatchSize, blocks = filters / FilterBlock;
        (int sourceWidth, int sourcePlane) = Conv2dImplicit.Source(shape);
        float* packed = scratch;
        int* offsets = (int*)(scratch + (long)filters * patch);
        float* padded = scratch + (long)filters * patch + patch;
        float* values = stackalloc float[FilterBlock * Pixels + FilterBlock];

        Conv2dImplicit.Pack(weights, shape, FilterBlock, packed, offsets);

        bool isPadded = Conv2dImplicit.Padded(shape);
        if (isPadded) new Span<float>(padded, shape.Channels * sourcePlane).Clear();
        int pooledHeight = pooling.OutputHeight, pooledWidth = pooling.OutputWidth, plane = pooledHeight * pooledWidth;
        for (int i = 0; i < rows; i++)
        {
            float* source = input + (long)i * shape.InputSize;
            if (isPadded)
            {
                Conv2dImplicit.CopyPadded(source, shape, padded);
                source = padded;
            }
            long image = (long)i * pooling.OutputSize;
            for (int py = 0; py < pooledHeight; py++)
                for (int px = 0; px < pooledWidth; px++)
                {
                    float* top = source + (long)2 * py * sourceWidth + 2 * px;
                    for (int block = 0; block < blocks; block++)
                    {
                        long at = image + (long)block * FilterBlock * plane + (long)py * pooledWidth + px;
                        Window(top, sourceWidth, packed + (long)block * patch * FilterBlock, biases + block * FilterBlock, offsets, patch,
                            output + at, winners == null ? null : winners + at, plane, values);
                    }
                }
        }
    }

    /// <summary>
    /// The pooled values of 64 filters over one window whose top-left convolution output reads the source at
    /// <paramref name="top"/> into destination[j·plane] (and their winners into winners[j·plane] unless null): one loop over
    /// the taps, no calls, so the 16 accumulators stay in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Window(float* top, int sourceWidth, float* weights, float* biases, int* offsets, int patch, float* destination, byte* winners,
        long plane, float* values)
    {
        float* p0 = top, p1 = top + 1, p2 = top + sourceWidth, p3 = top + sourceWidth + 1;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, d0 = default, d1 = default, d2 = default, d3 = default;
        float* w = weights;
        for (int tap = 0; tap < patch; tap++, w += FilterBlock)
        {
            int offset = offsets[tap];
            Vector512<float> w0 = Vector512.Load(w), w1 = Vector512.Load(w + Lanes), w2 = Vector512.Load(w + 2 * Lanes), w3 = Vector512.Load(w + 3 * Lanes);
            Vector512<float> v = Vector512.Create(p0[offset]);
            a0 = Avx512F.FusedMultiplyAdd(w0, v, a0); b0 = Avx512F.FusedMultiplyAdd(w1, v, b0);
            c0 = Avx512F.FusedMultiplyAdd(w2, v, c0); d0 = Avx512F.FusedMultiplyAdd(w3, v, d0);
            v = Vector512.Create(p1[offset]);
            a1 = Avx512F.FusedMultiplyAdd(w0, v, a1); b1 = Avx512F.FusedMultiplyAdd(w1, v, b1);
            c1 = Avx512F.FusedMultiplyAdd(w2, v, c1); d1 = Avx512F.FusedMultiplyAdd(w3, v, d1);
            v = Vector512.Create(p2[offset]);
            a2 = Avx512F.FusedMultiplyAdd(w0, v, a2); b2 = Avx512F.FusedMultiplyAdd(w1, v, b2);
            c2 = Avx512F.FusedMultiplyAdd(w2, v, c2); d2 = Avx512F.FusedMultiplyAdd(w3, v, d2);
            v = Vector512.Create(p3[offset]);
            a3 = Avx512F.FusedMultiplyAdd(w0, v, a3); b3 = Avx512F.FusedMultiplyAdd(w1, v, b3);
            c3 = Avx512F.FusedMultiplyAdd(w2, v, c3); d3 = Avx512F.FusedMultiplyAdd(w3, v, d3);
        }
        // Pixel q of the window (row by row) is (a_q, b_q, c_q, d_q): filters 0-15, 16-31, 32-47, 48-63.
        Vector512<float> e0 = Vector512.Load(biases), e1 = Vector512.Load(biases + Lanes), e2 = Vector512.Load(biases + 2 * Lanes), e3 = Vector512.Load(biases + 3 * Lanes);
        // A NaN among the sums or the biases makes this sum NaN (so does +∞ meeting −∞): then the pooling's own scan, from
        // memory, so that no sum stays live across a call.
        Vector512<float> probe = (((a0 + a1) + (a2 + a3)) + ((b0 + b1) + (b2 + b3))) + (((c0 + c1) + (c2 + c3)) + ((d0 + d1) + (d2 + d3)))
            + ((e0 + e1) + (e2 + e3));
        if (!Vector512.EqualsAll(probe, probe))
        {
            Vector512.Store(a0, values); Vector512.Store(a1, values + Lanes); Vector512.Store(a2, values + 2 * Lanes); Vector512.Store(a3, values + 3 * Lanes);
            Vector512.Store(b0, values + 4 * Lanes); Vector512.Store(b1, values + 5 * Lanes); Vector512.Store(b2, values + 6 * Lanes); Vector512.Store(b3, values + 7 * Lanes);
            Vector512.Store(c0, values + 8 * Lanes); Vector512.Store(c1, values + 9 * Lanes); Vector512.Store(c2, values + 10 * Lanes); Vector512.Store(c3, values + 11 * Lanes);
            Vector512.Store(d0, values + 12 * Lanes); Vector512.Store(d1, values + 13 * Lanes); Vector512.Store(d2, values + 14 * Lanes); Vector512.Store(d3, values + 15 * Lanes);
            Scan(values, biases, destination, winners, plane);
            return;
        }
        float* pooled = values;
        if (winners == null)
        {
            Vector512.Store(Pool(a0, a1, a2, a3, e0), pooled);
            Vector512.Store(Pool(b0, b1, b2, b3, e1), pooled + Lanes);
            Vector512.Store(Pool(c0, c1, c2, c3, e2), pooled + 2 * Lanes);
            Vector512.Store(Pool(d0, d1, d2, d3, e3), pooled + 3 * Lanes);
            for (int j = 0; j < FilterBlock; j++) destination[j * plane] = pooled[j];
            return;
        }
        byte* first = (byte*)(values + FilterBlock);
        Vector512.Store(Conv2dPooled.PoolWithWinners(a0, a1, a2, a3, e0, out Vector128<byte> k0), pooled);
        Vector512.Store(Conv2dPooled.PoolWithWinners(b0, b1, b2, b3, e1, out Vector128<byte> k1), pooled + Lanes);
        Vector512.Store(Conv2dPooled.PoolWithWinners(c0, c1, c2, c3, e2, out Vector128<byte> k2), pooled + 2 * Lanes);
        Vector512.Store(Conv2dPooled.PoolWithWinners(d0, d1, d2, d3, e3, out Vector128<byte> k3), pooled + 3 * Lanes);
        Vector128.Store(k0, first);
        Vector128.Store(k1, first + Lanes);
        Vector128.Store(k2, first + 2 * Lanes);
        Vector128.Store(k3, first + 3 * Lanes);
        for (int j = 0; j < FilterBlock; j++)
        {
            destination[j * plane] = pooled[j];
            winners[j * plane] = first[j];
        }
    }

    /// <summary>ReLU(max of the window's four sums + b) for 16 filters.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Pool(Vector512<float> topLeft, Vector512<float> topRight, Vector512<float> bottomLeft, Vector512<float> bottomRight,
        Vector512<float> bias)
    {
        Vector512<float> maxima = Avx512F.Max(Avx512F.Max(topLeft, topRight), Avx512F.Max(bottomLeft, bottomRight));
        // vmaxps(z, +0) is ReLU for numbers: +0 for z <= 0, −0 included.
        return Avx512F.Max(maxima + bias, Vector512<float>.Zero);
    }

    /// <summary>The window as the two passes compute it from the sums in memory (sums[(g·4 + q)·16 + j]: filter 16g + j,
    /// pixel q): ReLU(Z + b) as <see cref="Conv2dDirect.Finish"/> stores it, then the maximum by
    /// <see cref="MaxPool2dKernels.Replaces"/> in scan order (a window holding NaN gives its first NaN), and its winner.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Scan(float* sums, float* biases, float* destination, byte* winners, long plane)
    {
        for (int g = 0; g < FilterBlock / Lanes; g++)
        {
            Vector512<float> bias = Vector512.Load(biases + g * Lanes);
            for (int q = 0; q < Pixels; q++)
            {
                float* values = sums + (g * Pixels + q) * Lanes;
                Vector512.Store(Conv2dDirect.Finish(Vector512.Load(values) + bias, true), values);
            }
            for (int j = 0; j < Lanes; j++)
            {
                float maximum = sums[g * Pixels * Lanes + j];
                int at = 0;
                for (int q = 1; q < Pixels; q++)
                    if (MaxPool2dKernels.Replaces(sums[(g * Pixels + q) * Lanes + j], maximum)) (maximum, at) = (sums[(g * Pixels + q) * Lanes + j], q);
                destination[(g * Lanes + j) * plane] = maximum;
                if (winners != null) winners[(g * Lanes + j) * plane] = maximum > 0f ? (byte)at : MaxPool2dKernels.NoWinner;
            }
        }
    }
}
