using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MnistTools.Numerics;

namespace MnistTools.Layers;

/// <summary>
/// The forward of a shallow ReLU convolution and the 2 x 2, stride 2 max pooling after it in one pass (inference, and
/// training with the pooling's winners), without writing the convolution's output (first layers like the Keras net's and LeNet's, whose output is four times the
/// pooled one and whose few taps make writing it cost as much as computing it). Sizes: the convolution's
/// <see cref="Conv2dShape"/> (stride 1, C·K·K up to <see cref="Conv2dDirect.MaxPatch"/>) and the pooling's
/// <see cref="MaxPool2dShape"/> over its output, PH x PW = ⌊OH/2⌋ x ⌊OW/2⌋.
///   padded   Xp as in <see cref="Conv2dDirect"/>; packed Wk [F/4 blocks][C·K·K][4]
///   convolve Z[f, oy, ox] for the two rows of a pooled row: register tiles of 4 filters x 2 rows x 2 vectors of 16 columns
///            (a last block of 1 or 2 filters: tiles of 2 filters)
///   pool     Y[f, py, px] = max of ReLU(Z[f, 2py .. 2py + 1, 2px .. 2px + 1] + b[f])
/// Each Z is the direct path's fused multiply-add chain over the taps in (c, ky, kx) order from 0, then the bias and
/// ReLU as <see cref="Conv2dDirect.Finish"/>; the maximum is vmaxps, which is <see cref="MaxPool2dKernels"/>' scan rule
/// for numbers, and a window holding NaN takes that rule's own comparisons: the same bits as
/// <see cref="Conv2dKernels.Conv2dForward"/> with ReLU followed by <see cref="MaxPool2dKernels.MaxPool2dForward(ReadOnlySpan{float}, in MaxPool2dShape, Span{float}, int)"/>.
/// </summary>
[SkipLocalsInit]
internal static unsafe class Conv2dPooled
{
    private const int FilterBlock = 4, Lanes = 16;

    /// <summary>Whether the convolution <paramref name="shape"/> and the pooling <paramref name="pooling"/> of its output
    /// run here.</summary>
    internal static bool Applies(in Conv2dShape shape, in MaxPool2dShape pooling, InstructionSet path) =>
        path == InstructionSet.Avx512 && Avx512F.IsSupported && shape.Stride == 1 && shape.PatchSize <= Conv2dDirect.MaxPatch
        && pooling.SavesWinners && pooling.Channels == shape.Filters && pooling.Height == shape.OutputHeight && pooling.Width == shape.OutputWidth;

    /// <summary>Vectors of 16 convolution columns per row, rounded up to whole pairs (each pair pools into 16 columns).</summary>
    private static int Vectors(in MaxPool2dShape pooling) => (pooling.OutputWidth + Lanes - 1) / Lanes * 2;

    /// <summary>Floats per padded row: every tile's reads, the last tap's included.</summary>
    private static int PaddedWidth(in Conv2dShape shape, in MaxPool2dShape pooling) => Vectors(pooling) * Lanes + shape.Kernel - 1;

    /// <summary>Padded rows: those the pooled rows' convolution rows read.</summary>
    private static int PaddedHeight(in Conv2dShape shape, in MaxPool2dShape pooling) => 2 * pooling.OutputHeight + shape.Kernel - 1;

    /// <summary>Scratch floats: the packed weights, the taps' offsets and one padded image.</summary>
    internal static long ScratchFloats(in Conv2dShape shape, in MaxPool2dShape pooling) =>
        (long)(shape.Filters + FilterBlock - 1) / FilterBlock * FilterBlock * shape.PatchSize + shape.PatchSize
        + (long)shape.Channels * PaddedHeight(shape, pooling) * PaddedWidth(shape, pooling);

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
        if (scratch.Length < ScratchFloats(shape, pooling)) throw new ArgumentException("The scratch is shorter than ScratchFloats.", nameof(scratch));
        if (!winners.IsEmpty && winners.Length < (long)rows * pooling.OutputSize) throw new ArgumentException("The winners are fewer than B·F·PH·PW.", nameof(winners));
        fixed (float* x = input, w = weights, b = biases, y = output, work = scratch)
        fixed (byte* kept = winners)
            Run(x, w, b, shape, pooling, y, work, rows, kept);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run(float* input, float* weights, float* biases, in Conv2dShape shape, in MaxPool2dShape pooling, float* output,
        float* scratch, int rows, byte* winners)
    {
        int filters = shape.Filters, patch = shape.PatchSize, blocks = (filters + FilterBlock - 1) / FilterBlock;
        int paddedWidth = PaddedWidth(shape, pooling), paddedHeight = PaddedHeight(shape, pooling), paddedPlane = paddedHeight * paddedWidth;
        int vectors = Vectors(pooling), pooledHeight = pooling.OutputHeight, pooledWidth = pooling.OutputWidth;
        int plane = pooledHeight * pooledWidth;
        float* packed = scratch;
        int* offsets = (int*)(scratch + (long)blocks * FilterBlock * patch);
        float* padded = scratch + (long)blocks * FilterBlock * patch + patch;
        float* values = stackalloc float[FilterBlock * 4 * Lanes];

        // Wk[block][tap][j] = W[block·4 + j, tap], 0 past the last filter; tap (c, ky, kx) reads Xp at c·plane + ky·Wp + kx.
        for (int block = 0; block < blocks; block++)
            for (int tap = 0; tap < patch; tap++)
                for (int j = 0; j < FilterBlock; j++)
                {
                    int f = block * FilterBlock + j;
                    packed[((long)block * patch + tap) * FilterBlock + j] = f < filters ? weights[(long)f * patch + tap] : 0f;
                }
        for (int c = 0, tap = 0; c < shape.Channels; c++)
            for (int ky = 0; ky < shape.Kernel; ky++)
                for (int kx = 0; kx < shape.Kernel; kx++, tap++)
                    offsets[tap] = c * paddedPlane + ky * paddedWidth + kx;

        new Span<float>(padded, shape.Channels * paddedPlane).Clear();
        for (int i = 0; i < rows; i++)
        {
            // Xp[c, PadTop + y, PadLeft + x] = X[i, c, y, x] for the rows and columns the windows reach.
            float* image = input + (long)i * shape.InputSize;
            int copyRows = Math.Min(shape.Height, paddedHeight - shape.PadTop), copyColumns = Math.Min(shape.Width, paddedWidth - shape.PadLeft);
            for (int c = 0; c < shape.Channels; c++)
                for (int y = 0; y < copyRows; y++)
                    new ReadOnlySpan<float>(image + ((long)c * shape.Height + y) * shape.Width, copyColumns)
                        .CopyTo(new Span<float>(padded + (long)c * paddedPlane + (long)(shape.PadTop + y) * paddedWidth + shape.PadLeft, copyColumns));

            long y0 = (long)i * pooling.OutputSize;
            for (int block = 0; block < blocks; block++)
            {
                int count = Math.Min(FilterBlock, filters - block * FilterBlock);
                for (int py = 0; py < pooledHeight; py++)
                    for (int v = 0; v < vectors; v += 2)
                    {
                        int first = v / 2 * Lanes;
                        long offset = (long)py * pooledWidth + first;
                        // Whole vectors may run into this plane's next rows, written after this one; near the plane's end
                        // the values are written exactly.
                        int columns = offset + Lanes <= plane ? Lanes : pooledWidth - first;
                        long at = y0 + (long)block * FilterBlock * plane + offset;
                        float* row = padded + (long)2 * py * paddedWidth + v * Lanes, blockWeights = packed + (long)block * patch * FilterBlock;
                        byte* blockWinners = winners == null ? null : winners + at;
                        if (count > 2)
                            Tile(row, paddedWidth, blockWeights, offsets, patch, biases + block * FilterBlock, count, output + at, blockWinners, plane, columns, values);
                        else
                            Tile2(row, paddedWidth, blockWeights, offsets, patch, biases + block * FilterBlock, count, output + at, blockWinners, plane, columns, values);
                    }
            }
        }
    }

    /// <summary>
    /// The pooled values of 4 filters x 16 windows (convolution rows <paramref name="row"/> and one padded row further, 32
    /// columns) into destination + j·plane, the first <paramref name="columns"/> of each: one loop over the taps, no calls,
    /// so the 16 accumulators stay in registers. Without NaN, each window's value is ReLU(max of its four Z + b): the
    /// same as the maximum of the four ReLU(Z + b), since rounding Z + b and ReLU never reverse an order and ReLU makes
    /// both zeros +0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(float* row, int paddedWidth, float* weights, int* offsets, int patch, float* biases, int count, float* destination,
        byte* winners, long plane, int columns, float* values)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, d0 = default, d1 = default, d2 = default, d3 = default;
        float* w = weights;
        for (int tap = 0; tap < patch; tap++, w += FilterBlock)
        {
            float* source = row + offsets[tap];
            Vector512<float> x0 = Vector512.Load(source), x1 = Vector512.Load(source + Lanes);
            Vector512<float> x2 = Vector512.Load(source + paddedWidth), x3 = Vector512.Load(source + paddedWidth + Lanes);
            Vector512<float> k = Vector512.Create(w[0]);
            a0 = Avx512F.FusedMultiplyAdd(x0, k, a0); b0 = Avx512F.FusedMultiplyAdd(x1, k, b0);
            c0 = Avx512F.FusedMultiplyAdd(x2, k, c0); d0 = Avx512F.FusedMultiplyAdd(x3, k, d0);
            k = Vector512.Create(w[1]);
            a1 = Avx512F.FusedMultiplyAdd(x0, k, a1); b1 = Avx512F.FusedMultiplyAdd(x1, k, b1);
            c1 = Avx512F.FusedMultiplyAdd(x2, k, c1); d1 = Avx512F.FusedMultiplyAdd(x3, k, d1);
            k = Vector512.Create(w[2]);
            a2 = Avx512F.FusedMultiplyAdd(x0, k, a2); b2 = Avx512F.FusedMultiplyAdd(x1, k, b2);
            c2 = Avx512F.FusedMultiplyAdd(x2, k, c2); d2 = Avx512F.FusedMultiplyAdd(x3, k, d2);
            k = Vector512.Create(w[3]);
            a3 = Avx512F.FusedMultiplyAdd(x0, k, a3); b3 = Avx512F.FusedMultiplyAdd(x1, k, b3);
            c3 = Avx512F.FusedMultiplyAdd(x2, k, c3); d3 = Avx512F.FusedMultiplyAdd(x3, k, d3);
        }
        float bias0 = biases[0], bias1 = count > 1 ? biases[1] : 0f, bias2 = count > 2 ? biases[2] : 0f, bias3 = count > 3 ? biases[3] : 0f;
        // A NaN among the sums or the biases makes this sum NaN (so does +∞ meeting −∞): then the pooling's own scan, from
        // memory, so that no sum stays live across a call.
        Vector512<float> probe = (((a0 + b0) + (c0 + d0)) + ((a1 + b1) + (c1 + d1))) + (((a2 + b2) + (c2 + d2)) + ((a3 + b3) + (c3 + d3)))
            + Vector512.Create((bias0 + bias1) + (bias2 + bias3));
        if (!Vector512.EqualsAll(probe, probe))
        {
            Vector512.Store(a0, values); Vector512.Store(b0, values + Lanes); Vector512.Store(c0, values + 2 * Lanes); Vector512.Store(d0, values + 3 * Lanes);
            Vector512.Store(a1, values + 4 * Lanes); Vector512.Store(b1, values + 5 * Lanes); Vector512.Store(c1, values + 6 * Lanes); Vector512.Store(d1, values + 7 * Lanes);
            Vector512.Store(a2, values + 8 * Lanes); Vector512.Store(b2, values + 9 * Lanes); Vector512.Store(c2, values + 10 * Lanes); Vector512.Store(d2, values + 11 * Lanes);
            Vector512.Store(a3, values + 12 * Lanes); Vector512.Store(b3, values + 13 * Lanes); Vector512.Store(c3, values + 14 * Lanes); Vector512.Store(d3, values + 15 * Lanes);
            for (int j = 0; j < count; j++) Scan(values + j * 4 * Lanes, biases[j], destination + j * plane, winners == null ? null : winners + j * plane, columns);
            return;
        }
        Finish(a0, b0, c0, d0, bias0, destination, winners, 0, columns, values);
        if (count > 1) Finish(a1, b1, c1, d1, bias1, destination, winners, plane, columns, values);
        if (count > 2) Finish(a2, b2, c2, d2, bias2, destination, winners, 2 * plane, columns, values);
        if (count > 3) Finish(a3, b3, c3, d3, bias3, destination, winners, 3 * plane, columns, values);
    }

    /// <summary>
    /// <see cref="Tile"/> for a last block of 1 or 2 filters (LeNet's first layer: 6 filters, a block of 4 and one of 2):
    /// 8 accumulators, without the multiply-adds of the block's absent filters (their weights are 0). The same chains,
    /// bias, ReLU, maximum and NaN rule per filter.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile2(float* row, int paddedWidth, float* weights, int* offsets, int patch, float* biases, int count, float* destination,
        byte* winners, long plane, int columns, float* values)
    {
        Vector512<float> a0 = default, a1 = default, b0 = default, b1 = default, c0 = default, c1 = default, d0 = default, d1 = default;
        float* w = weights;
        for (int tap = 0; tap < patch; tap++, w += FilterBlock)
        {
            float* source = row + offsets[tap];
            Vector512<float> x0 = Vector512.Load(source), x1 = Vector512.Load(source + Lanes);
            Vector512<float> x2 = Vector512.Load(source + paddedWidth), x3 = Vector512.Load(source + paddedWidth + Lanes);
            Vector512<float> k = Vector512.Create(w[0]);
            a0 = Avx512F.FusedMultiplyAdd(x0, k, a0); b0 = Avx512F.FusedMultiplyAdd(x1, k, b0);
            c0 = Avx512F.FusedMultiplyAdd(x2, k, c0); d0 = Avx512F.FusedMultiplyAdd(x3, k, d0);
            k = Vector512.Create(w[1]);
            a1 = Avx512F.FusedMultiplyAdd(x0, k, a1); b1 = Avx512F.FusedMultiplyAdd(x1, k, b1);
            c1 = Avx512F.FusedMultiplyAdd(x2, k, c1); d1 = Avx512F.FusedMultiplyAdd(x3, k, d1);
        }
        float bias0 = biases[0], bias1 = count > 1 ? biases[1] : 0f;
        Vector512<float> probe = ((a0 + b0) + (c0 + d0)) + ((a1 + b1) + (c1 + d1)) + Vector512.Create(bias0 + bias1);
        if (!Vector512.EqualsAll(probe, probe))
        {
            Vector512.Store(a0, values); Vector512.Store(b0, values + Lanes); Vector512.Store(c0, values + 2 * Lanes); Vector512.Store(d0, values + 3 * Lanes);
            Vector512.Store(a1, values + 4 * Lanes); Vector512.Store(b1, values + 5 * Lanes); Vector512.Store(c1, values + 6 * Lanes); Vector512.Store(d1, values + 7 * Lanes);
            for (int j = 0; j < count; j++) Scan(values + j * 4 * Lanes, biases[j], destination + j * plane, winners == null ? null : winners + j * plane, columns);
            return;
        }
        Finish(a0, b0, c0, d0, bias0, destination, winners, 0, columns, values);
        if (count > 1) Finish(a1, b1, c1, d1, bias1, destination, winners, plane, columns, values);
    }

    /// <summary>One filter's two rows of sums (<paramref name="top0"/>, <paramref name="top1"/> above
    /// <paramref name="bottom0"/>, <paramref name="bottom1"/>) to its pooled row at <paramref name="offset"/> of
    /// <paramref name="destination"/>, and its winners at the same offset when <paramref name="winners"/> is not null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(Vector512<float> top0, Vector512<float> top1, Vector512<float> bottom0, Vector512<float> bottom1, float bias,
        float* destination, byte* winners, long offset, int columns, float* values)
    {
        if (winners != null) StoreWithWinners(top0, top1, bottom0, bottom1, bias, destination + offset, winners + offset, columns, values);
        else Store(Pool(top0, top1, bottom0, bottom1, bias), destination + offset, columns, values);
    }

    /// <summary>ReLU(max of each 2 x 2 window + b) of two rows of 32 numbers: 16 windows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Pool(Vector512<float> top0, Vector512<float> top1, Vector512<float> bottom0, Vector512<float> bottom1, float bias)
    {
        // Lane j of the even (odd) selection is lane 2j (2j + 1) of the pair (first, second) of vectors.
        Vector512<int> even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        Vector512<int> odd = Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
        Vector512<float> first = Avx512F.Max(top0, bottom0), second = Avx512F.Max(top1, bottom1);
        Vector512<float> maxima = Avx512F.Max(Avx512F.PermuteVar16x32x2(first, even, second), Avx512F.PermuteVar16x32x2(first, odd, second));
        // vmaxps(z, +0) is ReLU for numbers: +0 for z <= 0, −0 included.
        return Avx512F.Max(maxima + Vector512.Create(bias), Vector512<float>.Zero);
    }

    /// <summary>The 16 windows of two rows of 32 sums (as <see cref="Pool"/>) and their winners (as
    /// <see cref="PoolWithWinners"/>) into destination[0 .. columns) and winners[0 .. columns).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreWithWinners(Vector512<float> top0, Vector512<float> top1, Vector512<float> bottom0, Vector512<float> bottom1, float bias,
        float* destination, byte* winners, int columns, float* values)
    {
        Vector512<int> even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        Vector512<int> odd = Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
        Vector512<float> result = PoolWithWinners(Avx512F.PermuteVar16x32x2(top0, even, top1), Avx512F.PermuteVar16x32x2(top0, odd, top1),
            Avx512F.PermuteVar16x32x2(bottom0, even, bottom1), Avx512F.PermuteVar16x32x2(bottom0, odd, bottom1), Vector512.Create(bias),
            out Vector128<byte> kept);
        Store(result, destination, columns, values);
        if (columns == Lanes)
        {
            Vector128.Store(kept, winners);
            return;
        }
        byte* bytes = (byte*)values;
        Vector128.Store(kept, bytes);
        for (int q = 0; q < columns; q++) winners[q] = bytes[q];
    }

    /// <summary>
    /// The window of four sums per lane (in scan order) as <see cref="Pool"/> computes it, and its winner as the pooling
    /// keeps it under ReLU's derivative: the first of the four whose Z + b equals the window's value (the pooling compares
    /// ReLU(Z + b), which for a positive value is the same), or <see cref="MaxPool2dKernels.NoWinner"/> where the value is
    /// not positive. Numbers only.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> PoolWithWinners(Vector512<float> topLeft, Vector512<float> topRight, Vector512<float> bottomLeft,
        Vector512<float> bottomRight, Vector512<float> bias, out Vector128<byte> winners)
    {
        Vector512<float> first = topLeft + bias, second = topRight + bias, third = bottomLeft + bias, fourth = bottomRight + bias;
        Vector512<float> result = Avx512F.Max(Avx512F.Max(Avx512F.Max(first, second), Avx512F.Max(third, fourth)), Vector512<float>.Zero);
        Vector512<int> winner = Vector512.ConditionalSelect(Vector512.Equals(third, result).AsInt32(), Vector512.Create(2), Vector512.Create(3));
        winner = Vector512.ConditionalSelect(Vector512.Equals(second, result).AsInt32(), Vector512.Create(1), winner);
        winner = Vector512.ConditionalSelect(Vector512.Equals(first, result).AsInt32(), Vector512<int>.Zero, winner);
        winner = Vector512.ConditionalSelect(Vector512.GreaterThan(result, Vector512<float>.Zero).AsInt32(), winner, Vector512.Create((int)MaxPool2dKernels.NoWinner));
        winners = Avx512F.ConvertToVector128Byte(winner);
        return result;
    }

    /// <summary>destination[0 .. columns) = the first columns of <paramref name="result"/> (a whole vector when columns is 16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector512<float> result, float* destination, int columns, float* values)
    {
        if (columns == Lanes)
        {
            Vector512.Store(result, destination);
            return;
        }
        Vector512.Store(result, values);
        for (int q = 0; q < columns; q++) destination[q] = values[q];
    }

    /// <summary>The windows as the two passes compute them from one filter's sums in memory (the top row's 32 columns,
    /// then the bottom row's): ReLU(Z + b) as <see cref="Conv2dDirect.Finish"/> stores it, then the maximum by
    /// <see cref="MaxPool2dKernels.Replaces"/>, scanned row by row (a window holding NaN gives its first NaN).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Scan(float* values, float bias, float* destination, byte* winners, int columns)
    {
        Vector512<float> b = Vector512.Create(bias);
        for (int v = 0; v < 4; v++) Vector512.Store(Conv2dDirect.Finish(Vector512.Load(values + v * Lanes) + b, true), values + v * Lanes);
        for (int q = 0; q < columns; q++)
        {
            float maximum = values[2 * q];
            int at = 0;
            if (MaxPool2dKernels.Replaces(values[2 * q + 1], maximum)) (maximum, at) = (values[2 * q + 1], 1);
            if (MaxPool2dKernels.Replaces(values[2 * Lanes + 2 * q], maximum)) (maximum, at) = (values[2 * Lanes + 2 * q], 2);
            if (MaxPool2dKernels.Replaces(values[2 * Lanes + 2 * q + 1], maximum)) (maximum, at) = (values[2 * Lanes + 2 * q + 1], 3);
            destination[q] = maximum;
            if (winners != null) winners[q] = maximum > 0f ? (byte)at : MaxPool2dKernels.NoWinner;
        }
    }
}
