using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MnistTools.Numerics;

namespace MnistTools.Layers;

/// <summary>
/// The implicit-GEMM forward (<see cref="Conv2dImplicit"/>) for filters in blocks of <see cref="FilterBlock"/> rather
/// than 64 (second layers like LeNet-5's: 16 filters over 6 channels 5x5). A register tile is one vector of 16 filters x
/// two output rows of up to <see cref="MaxColumns"/> pixels: per tap one weight vector and one broadcast input value per
/// pixel, the pixels of a row read at fixed distances from one pointer, so only two pointers move. Output rows wider than
/// <see cref="MaxColumns"/> are cut into near-equal chunks; an odd last row is computed twice and stored once. Each
/// output is the sum of fused multiply-add chains over the taps in (c, ky, kx) order, one per slice of
/// <see cref="GemmBlocked.KC"/> taps as the packed GEMM slices its depth, then the bias (then ReLU when asked): the bits
/// of the im2col route, whatever the tiling, the lane or the thread. The tiles store their [pixel][filter] vectors into
/// one image's staging rows, which <see cref="Transpose16"/> turns into the filters' planes 16 pixels at a time. LeNet-5's
/// second layer, a lane of 64 images, one thread, thread CPU time: 292-333 µs (92-105 GFLOP/s) against 585-631 through
/// im2col and the packed GEMM.
/// </summary>
[SkipLocalsInit]
internal static unsafe class Conv2dImplicitRows
{
    /// <summary>Filters per register tile: the multiple of which a shape needs.</summary>
    internal const int FilterBlock = 16;

    /// <summary>Widest chunk of an output row per tile (2 x 12 accumulators of 16 lanes).</summary>
    internal const int MaxColumns = 12;

    private const int Lanes = 16;

    /// <summary>Floats of the staging rows: OH + 1 output rows (an odd last row's twin lands in the extra one) x OW x 16.</summary>
    internal static long StagingFloats(in Conv2dShape shape) => (long)(shape.OutputHeight + 1) * shape.OutputWidth * Lanes;

    /// <summary>Y of <paramref name="images"/> images whose source image i starts at source + i·imageStride (rows of
    /// <paramref name="sourceWidth"/> floats), from Wk [F/16 blocks][C·K·K][16] and the taps' offsets into a source image;
    /// <paramref name="staging"/> holds <see cref="StagingFloats"/>: one image's outputs of a block, pixel by pixel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Run(float* source, long imageStride, int sourceWidth, float* packed, float* biases, int* offsets, in Conv2dShape shape,
        float* output, int images, bool relu, float* staging)
    {
        int patch = shape.PatchSize, blocks = shape.Filters / FilterBlock, outputWidth = shape.OutputWidth, outputHeight = shape.OutputHeight;
        int chunks = (outputWidth + MaxColumns - 1) / MaxColumns;
        long plane = (long)outputHeight * outputWidth;
        float* tile = stackalloc float[2 * MaxColumns * Lanes];
        for (int i = 0; i < images; i++)
        {
            float* image = source + i * imageStride;
            for (int block = 0; block < blocks; block++)
            {
                float* weights = packed + (long)block * patch * FilterBlock;
                Vector512<float> bias = Vector512.Load(biases + block * FilterBlock);
                float* y = output + (long)i * shape.OutputSize + block * FilterBlock * plane;
                for (int oy = 0; oy < outputHeight; oy += 2)
                {
                    int rows = Math.Min(2, outputHeight - oy);
                    for (int chunk = 0, x0 = 0; chunk < chunks; chunk++)
                    {
                        int columns = (outputWidth - x0 + chunks - chunk - 1) / (chunks - chunk);
                        float* row0 = image + (long)oy * sourceWidth + x0, row1 = rows == 2 ? row0 + sourceWidth : row0;
                        Tile(columns, row0, row1, weights, offsets, patch, bias, relu, tile, staging + ((long)oy * outputWidth + x0) * Lanes,
                            outputWidth * Lanes);
                        x0 += columns;
                    }
                }
                // staging[p·16 + j] is filter j at pixel p: into filter j's plane, 16 pixels at a time.
                int whole = (int)(plane / Transpose16.Size * Transpose16.Size);
                for (int p = 0; p < whole; p += Transpose16.Size) Transpose16.Block(staging + (long)p * Lanes, Lanes, y + p, plane);
                for (int j = 0; j < FilterBlock; j++)
                    for (int p = whole; p < plane; p++) y[j * plane + p] = staging[(long)p * Lanes + j];
            }
        }
    }

    private static void Tile(int columns, float* row0, float* row1, float* weights, int* offsets, int patch, Vector512<float> bias, bool relu,
        float* tile, float* staging, int rowFloats)
    {
        switch (columns)
        {
            case 1: Tile<Columns1>(row0, row1, weights, offsets, patch, bias, relu, tile, staging, rowFloats); break;
            case 2: Tile<Columns2>(row0, row1, weights, offsets, patch, bias, relu, tile, staging, rowFloats); break;
            case 3: Tile<Columns3>(row0, row1, weights, offsets, patch, bias, relu, tile, staging, rowFloats); break;
            case 4: Tile<Columns4>(row0, row1, weights, offsets, patch, bias, relu, tile, staging, rowFloats); break;
            case 5: Tile<Columns5>(row0, row1, weights, offsets, patch, bias, relu, tile, staging, rowFloats); break;
            case 6: Tile<Columns6>(row0, row1, weights, offsets, patch, bias, relu, tile, staging, rowFloats); break;
            case 7: Tile<Columns7>(row0, row1, weights, offsets, patch, bias, relu, tile, staging, rowFloats); break;
            case 8: Tile<Columns8>(row0, row1, weights, offsets, patch, bias, relu, tile, staging, rowFloats); break;
            case 9: Tile<Columns9>(row0, row1, weights, offsets, patch, bias, relu, tile, staging, rowFloats); break;
            case 10: Tile<Columns10>(row0, row1, weights, offsets, patch, bias, relu, tile, staging, rowFloats); break;
            case 11: Tile<Columns11>(row0, row1, weights, offsets, patch, bias, relu, tile, staging, rowFloats); break;
            case 12: Tile<Columns12>(row0, row1, weights, offsets, patch, bias, relu, tile, staging, rowFloats); break;
            default: throw new ArgumentOutOfRangeException(nameof(columns));
        }
    }

    /// <summary>Sums plus bias (through ReLU when <paramref name="relu"/>) of 16 filters x two rows of
    /// <typeparamref name="TColumns"/> pixels, pixel q of row r reading its window from row_r + q, into
    /// staging[r·rowFloats + q·16 + j] (the sums gather in tile[(r·12 + q)·16 + j]). The taps go in slices of the packed GEMM's depth (<see cref="GemmBlocked.KC"/>), each a chain
    /// from 0 added to the sum of the slices before, as <see cref="GemmBlocked"/> adds its k slices: the same bits as the
    /// im2col route. One loop over the taps per slice, no calls, so the accumulators stay in registers (the JIT drops
    /// those past the width, a constant of the instantiation).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TColumns>(float* row0, float* row1, float* weights, int* offsets, int patch, Vector512<float> bias, bool relu,
        float* tile, float* staging, int rowFloats) where TColumns : struct, IColumns
    {
        for (int start = 0; start < patch; start += GemmBlocked.KC)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default,
                a6 = default, a7 = default, a8 = default, a9 = default, a10 = default, a11 = default;
            Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default,
                b6 = default, b7 = default, b8 = default, b9 = default, b10 = default, b11 = default;
            float* w = weights + (long)start * FilterBlock;
            for (int tap = start, end = Math.Min(patch, start + GemmBlocked.KC); tap < end; tap++, w += FilterBlock)
            {
                Vector512<float> k = Vector512.Load(w);
                float* s = row0 + offsets[tap], t = row1 + offsets[tap];
                { a0 = Avx512F.FusedMultiplyAdd(k, Vector512.Create(s[0]), a0); b0 = Avx512F.FusedMultiplyAdd(k, Vector512.Create(t[0]), b0); }
                if (TColumns.Value > 1) {
                    a1 = Avx512F.FusedMultiplyAdd(k, Vector512.Create(s[1]), a1);
                    b1 = Avx512F.FusedMultiplyAdd(k, Vector512.Create(t[1]), b1);
                }
                if (TColumns.Value > 2) {
                    a2 = Avx512F.FusedMultiplyAdd(k, Vector512.Create(s[2]), a2);
                    b2 = Avx512F.FusedMultiplyAdd(k, Vector512.Create(t[2]), b2);
                }
                if (TColumns.Value > 3) {
                    a3 = Avx512F.FusedMultiplyAdd(k, Vector512.Create(s[3]), a3);
                    b3 = Avx512F.FusedMultiplyAdd(k, Vector512.Create(t[3]), b3);
                }
                if (TColumns.Value > 4) {
                    a4 = Avx512F.FusedMultiplyAdd(k, Vector512.Create(s[4]), a4);
                    b4 = Avx512F.FusedMultiplyAdd(k, Vector512.Create(t[4]), b4);
                }
                if (TColumns.Value > 5) {
                    a5 = Avx512F.FusedMultiplyAdd(k, Vector512.Create(s[5]), a5);
                    b5 = Avx512F.FusedMultiplyAdd(k, Vector512.Create(t[5]), b5);
                }
                if (TColumns.Value > 6) {
                    a6 = Avx512F.FusedMultiplyAdd(k, Vector512.Create(s[6]), a6);
                    b6 = Avx512F.FusedMultiplyAdd(k, Vector512.Create(t[6]), b6);
                }
                if (TColumns.Value > 7) {
                    a7 = Avx512F.FusedMultiplyAdd(k, Vector512.Create(s[7]), a7);
                    b7 = Avx512F.FusedMultiplyAdd(k, Vector512.Create(t[7]), b7);
                }
                if (TColumns.Value > 8) {
                    a8 = Avx512F.FusedMultiplyAdd(k, Vector512.Create(s[8]), a8);
                    b8 = Avx512F.FusedMultiplyAdd(k, Vector512.Create(t[8]), b8);
                }
                if (TColumns.Value > 9) {
                    a9 = Avx512F.FusedMultiplyAdd(k, Vector512.Create(s[9]), a9);
                    b9 = Avx512F.FusedMultiplyAdd(k, Vector512.Create(t[9]), b9);
                }
                if (TColumns.Value > 10) {
                    a10 = Avx512F.FusedMultiplyAdd(k, Vector512.Create(s[10]), a10);
                    b10 = Avx512F.FusedMultiplyAdd(k, Vector512.Create(t[10]), b10);
                }
                if (TColumns.Value > 11) {
                    a11 = Avx512F.FusedMultiplyAdd(k, Vector512.Create(s[11]), a11);
                    b11 = Avx512F.FusedMultiplyAdd(k, Vector512.Create(t[11]), b11);
                }
            }
            bool first = start == 0;
            { Add(a0, tile + 0, first); Add(b0, tile + 192, first); }
            if (TColumns.Value > 1) { Add(a1, tile + 16, first); Add(b1, tile + 208, first); }
            if (TColumns.Value > 2) { Add(a2, tile + 32, first); Add(b2, tile + 224, first); }
            if (TColumns.Value > 3) { Add(a3, tile + 48, first); Add(b3, tile + 240, first); }
            if (TColumns.Value > 4) { Add(a4, tile + 64, first); Add(b4, tile + 256, first); }
            if (TColumns.Value > 5) { Add(a5, tile + 80, first); Add(b5, tile + 272, first); }
            if (TColumns.Value > 6) { Add(a6, tile + 96, first); Add(b6, tile + 288, first); }
            if (TColumns.Value > 7) { Add(a7, tile + 112, first); Add(b7, tile + 304, first); }
            if (TColumns.Value > 8) { Add(a8, tile + 128, first); Add(b8, tile + 320, first); }
            if (TColumns.Value > 9) { Add(a9, tile + 144, first); Add(b9, tile + 336, first); }
            if (TColumns.Value > 10) { Add(a10, tile + 160, first); Add(b10, tile + 352, first); }
            if (TColumns.Value > 11) { Add(a11, tile + 176, first); Add(b11, tile + 368, first); }
        }
        for (int q = 0; q < TColumns.Value; q++)
        {
            Vector512.Store(Conv2dDirect.Finish(Vector512.Load(tile + q * Lanes) + bias, relu), staging + q * Lanes);
            Vector512.Store(Conv2dDirect.Finish(Vector512.Load(tile + (MaxColumns + q) * Lanes) + bias, relu), staging + rowFloats + q * Lanes);
        }
    }

    /// <summary>tile = sum on the first slice, else tile + sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(Vector512<float> sum, float* tile, bool first) => Vector512.Store(first ? sum : Vector512.Load(tile) + sum, tile);

    /// <summary>A tile's width as a type, so that each width gets its own code with the unused accumulators left out.</summary>
    private interface IColumns
    {
        static abstract int Value { get; }
    }

    private struct Columns1 : IColumns { public static int Value => 1; }
    private struct Columns2 : IColumns { public static int Value => 2; }
    private struct Columns3 : IColumns { public static int Value => 3; }
    private struct Columns4 : IColumns { public static int Value => 4; }
    private struct Columns5 : IColumns { public static int Value => 5; }
    private struct Columns6 : IColumns { public static int Value => 6; }
    private struct Columns7 : IColumns { public static int Value => 7; }
    private struct Columns8 : IColumns { public static int Value => 8; }
    private struct Columns9 : IColumns { public static int Value => 9; }
    private struct Columns10 : IColumns { public static int Value => 10; }
    private struct Columns11 : IColumns { public static int Value => 11; }
    private struct Columns12 : IColumns { public static int Value => 12; }
}
