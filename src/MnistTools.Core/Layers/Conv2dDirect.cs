using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MnistTools.Numerics;

namespace MnistTools.Layers;

/// <summary>
/// The forward convolution without im2col, for shallow patches and few filters (stride 1, C·K·K up to
/// <see cref="MaxPatch"/>, F up to <see cref="MaxFilters"/>: first layers like LeNet's, where the GEMM's depth is a
/// handful of taps, its 8-row tiles are part empty and building the columns costs as much as the product). Per image:
///   padded   Xp [C x (OH + K − 1) x Wp] = X with PadTop/PadLeft zero rows and columns before, zeros after
///   packed   Wk [F/8 blocks][C·K·K][8] = W with the filters of a block side by side (zeros past F)
///   forward  Y[f, oy, ox] = (Σ_(c, ky, kx) Wk[f, c, ky, kx] · Xp[c, oy + ky, ox + kx]) + b[f]
/// AVX-512 register tiles of 8 filters x 2 vectors of 16 output columns: each tap is one broadcast weight per filter
/// and one unaligned load per vector of the padded row, no masks. Each output is one fused multiply-add chain over the
/// taps in (c, ky, kx) order from 0, then the bias: the same bits whatever the lane or thread.
/// </summary>
[SkipLocalsInit]
internal static unsafe class Conv2dDirect
{
    /// <summary>Deepest patch (C·K·K) taken here; deeper ones are faster as GEMM.</summary>
    internal const int MaxPatch = 32;

    /// <summary>Most filters taken here. Measured single-threaded, best of three: LeNet's first layer (6 filters 5x5, the
    /// GEMM's 8-row tiles three quarters full) ran 52-58 GFLOP/s here against 23-32 as GEMM; the Keras net's first layer
    /// (32 filters 3x3) 44-48 here against 27-61 as GEMM, both bound by writing the output.</summary>
    internal const int MaxFilters = 16;

    private const int FilterBlock = 8, Lanes = 16;

    /// <summary>Most filters of a block that <see cref="PairedTile"/> takes.</summary>
    private const int PairedFilters = 6;

    /// <summary>Whether <see cref="Conv2dKernels.Conv2dForward"/> takes this path for <paramref name="shape"/>.</summary>
    internal static bool Applies(in Conv2dShape shape, InstructionSet path) =>
        path == InstructionSet.Avx512 && Avx512F.IsSupported && shape.Stride == 1 && shape.PatchSize <= MaxPatch && shape.Filters <= MaxFilters;

    /// <summary>Vectors of 16 output columns per output row, rounded up to whole tiles of 2.</summary>
    private static int Vectors(in Conv2dShape shape) => (shape.OutputWidth + 2 * Lanes - 1) / (2 * Lanes) * 2;

    /// <summary>Floats per padded row: every tile's reads, the last tap's included.</summary>
    private static int PaddedWidth(in Conv2dShape shape) => Vectors(shape) * Lanes + shape.Kernel - 1;

    /// <summary>Rows per padded plane.</summary>
    private static int PaddedHeight(in Conv2dShape shape) => shape.OutputHeight + shape.Kernel - 1;

    /// <summary>Scratch floats: the packed weights, the taps' offsets into the padded image, and one padded image.</summary>
    internal static long ScratchFloats(in Conv2dShape shape) =>
        (long)(shape.Filters + FilterBlock - 1) / FilterBlock * FilterBlock * shape.PatchSize + shape.PatchSize
        + (long)shape.Channels * PaddedHeight(shape) * PaddedWidth(shape);

    /// <param name="input">X [B x C x H x W].</param>
    /// <param name="weights">W [F x C x K x K].</param>
    /// <param name="biases">b [F].</param>
    /// <param name="output">Y [B x F x OH x OW], overwritten.</param>
    /// <param name="scratch">At least <see cref="ScratchFloats"/> floats.</param>
    /// <param name="relu">Store ReLU(sum + bias) instead of sum + bias.</param>
    /// <param name="activated">Null, or Y [B x F x OH x OW]: then <paramref name="output"/> gets Z = sum + bias and this
    /// ReLU(Z) from the same registers (training keeps both; <paramref name="relu"/> must be false).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(float* input, float* weights, float* biases, in Conv2dShape shape, float* output, float* scratch, int rows, bool relu,
        float* activated = null)
    {
        int filters = shape.Filters, patch = shape.PatchSize, blocks = (filters + FilterBlock - 1) / FilterBlock;
        int paddedWidth = PaddedWidth(shape), paddedHeight = PaddedHeight(shape), paddedPlane = paddedHeight * paddedWidth;
        int vectors = Vectors(shape), outputWidth = shape.OutputWidth;
        long plane = (long)shape.OutputHeight * outputWidth;
        float* packed = scratch;
        int* offsets = (int*)(scratch + (long)blocks * FilterBlock * patch);
        float* padded = scratch + (long)blocks * FilterBlock * patch + patch;
        float* tile = stackalloc float[2 * 2 * FilterBlock * Lanes];

        // Wk[block][tap][j] = W[block·8 + j, tap], 0 past the last filter; tap (c, ky, kx) reads Xp at c·plane + ky·Wp + kx.
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

            float* y0 = output + (long)i * shape.OutputSize;
            for (int block = 0; block < blocks; block++)
            {
                int count = Math.Min(FilterBlock, filters - block * FilterBlock);
                float* blockWeights = packed + (long)block * patch * FilterBlock;
                // Up to 6 filters and one tile per output row: two rows per tile instead (6 x 2 x 2 accumulators, none
                // of them for absent filters), the rows written in order; an odd last row goes alone.
                bool pairs = count <= PairedFilters && vectors == 2;
                for (int oy = 0; oy < shape.OutputHeight; oy++)
                    for (int v = 0; v < vectors; v += 2)
                    {
                        float* source = padded + (long)oy * paddedWidth + v * Lanes;
                        if (pairs && oy + 1 < shape.OutputHeight)
                        {
                            PairedTile(source, source + paddedWidth, blockWeights, offsets, patch, tile);
                            StoreRow(tile, y0, biases, block, count, oy, v, outputWidth, plane, relu, activated == null ? 0 : activated - output);
                            StoreRow(tile + FilterBlock * 2 * Lanes, y0, biases, block, count, ++oy, v, outputWidth, plane, relu,
                                activated == null ? 0 : activated - output);
                            continue;
                        }
                        Tile(source, blockWeights, offsets, patch, tile);
                        StoreRow(tile, y0, biases, block, count, oy, v, outputWidth, plane, relu, activated == null ? 0 : activated - output);
                    }
            }
        }
    }

    /// <summary>Filter j's two vectors of tile[j·32 ..] plus its bias into output row <paramref name="oy"/>, columns from v·16
    /// (and ReLU of them <paramref name="activatedOffset"/> floats on, unless 0). Whole vectors may run past the row into the
    /// plane's next rows, which are written after this one; near the plane's end they are written exactly.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* tile, float* y0, float* biases, int block, int count, int oy, int v, int outputWidth, long plane, bool relu,
        long activatedOffset)
    {
        int columns = Math.Min(2 * Lanes, outputWidth - v * Lanes);
        long offset = (long)oy * outputWidth + v * Lanes;
        bool whole = offset + 2 * Lanes <= plane;
        for (int j = 0; j < count; j++)
        {
            float* destination = y0 + (block * FilterBlock + j) * plane + offset;
            Vector512<float> bias = Vector512.Create(biases[block * FilterBlock + j]);
            float* sums = tile + j * 2 * Lanes;
            Vector512<float> first = Finish(Vector512.Load(sums) + bias, relu), second = Finish(Vector512.Load(sums + Lanes) + bias, relu);
            if (whole)
            {
                Vector512.Store(first, destination);
                Vector512.Store(second, destination + Lanes);
                if (activatedOffset != 0)
                {
                    Vector512.Store(Finish(first, true), destination + activatedOffset);
                    Vector512.Store(Finish(second, true), destination + activatedOffset + Lanes);
                }
                continue;
            }
            Vector512.Store(first, sums);
            Vector512.Store(second, sums + Lanes);
            for (int q = 0; q < columns; q++) destination[q] = sums[q];
            if (activatedOffset == 0) continue;
            Vector512.Store(Finish(first, true), sums);
            Vector512.Store(Finish(second, true), sums + Lanes);
            for (int q = 0; q < columns; q++) destination[activatedOffset + q] = sums[q];
        }
    }

    /// <summary>z, or ReLU(z) as <see cref="VectorMath.ReLU"/> computes it (0 where z &lt;= 0, NaN kept).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Finish(Vector512<float> z, bool relu) =>
        relu ? Vector512.ConditionalSelect(Vector512.LessThanOrEqual(z, Vector512<float>.Zero), Vector512<float>.Zero, z) : z;

    /// <summary>Sums of 8 filters x 32 output columns of one output row into tile[j·32 + q]: one loop over the taps, no
    /// calls, so the 16 accumulators stay in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(float* row, float* weights, int* offsets, int patch, float* tile)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
        float* w = weights;
        for (int tap = 0; tap < patch; tap++, w += FilterBlock)
        {
            float* source = row + offsets[tap];
            Vector512<float> x0 = Vector512.Load(source), x1 = Vector512.Load(source + Lanes);
            Vector512<float> k = Vector512.Create(w[0]);
            a0 = Avx512F.FusedMultiplyAdd(x0, k, a0); b0 = Avx512F.FusedMultiplyAdd(x1, k, b0);
            k = Vector512.Create(w[1]);
            a1 = Avx512F.FusedMultiplyAdd(x0, k, a1); b1 = Avx512F.FusedMultiplyAdd(x1, k, b1);
            k = Vector512.Create(w[2]);
            a2 = Avx512F.FusedMultiplyAdd(x0, k, a2); b2 = Avx512F.FusedMultiplyAdd(x1, k, b2);
            k = Vector512.Create(w[3]);
            a3 = Avx512F.FusedMultiplyAdd(x0, k, a3); b3 = Avx512F.FusedMultiplyAdd(x1, k, b3);
            k = Vector512.Create(w[4]);
            a4 = Avx512F.FusedMultiplyAdd(x0, k, a4); b4 = Avx512F.FusedMultiplyAdd(x1, k, b4);
            k = Vector512.Create(w[5]);
            a5 = Avx512F.FusedMultiplyAdd(x0, k, a5); b5 = Avx512F.FusedMultiplyAdd(x1, k, b5);
            k = Vector512.Create(w[6]);
            a6 = Avx512F.FusedMultiplyAdd(x0, k, a6); b6 = Avx512F.FusedMultiplyAdd(x1, k, b6);
            k = Vector512.Create(w[7]);
            a7 = Avx512F.FusedMultiplyAdd(x0, k, a7); b7 = Avx512F.FusedMultiplyAdd(x1, k, b7);
        }
        Vector512.Store(a0, tile); Vector512.Store(b0, tile + 16);
        Vector512.Store(a1, tile + 32); Vector512.Store(b1, tile + 48);
        Vector512.Store(a2, tile + 64); Vector512.Store(b2, tile + 80);
        Vector512.Store(a3, tile + 96); Vector512.Store(b3, tile + 112);
        Vector512.Store(a4, tile + 128); Vector512.Store(b4, tile + 144);
        Vector512.Store(a5, tile + 160); Vector512.Store(b5, tile + 176);
        Vector512.Store(a6, tile + 192); Vector512.Store(b6, tile + 208);
        Vector512.Store(a7, tile + 224); Vector512.Store(b7, tile + 240);
    }

    /// <summary>Sums of the first 6 filters of a block x 32 output columns of two output rows (windows from
    /// <paramref name="row0"/> and <paramref name="row1"/>) into tile[j·32 + q] and tile[256 + j·32 + q]: the same chains
    /// as <see cref="Tile"/>, 24 accumulators in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PairedTile(float* row0, float* row1, float* weights, int* offsets, int patch, float* tile)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        Vector512<float> d0 = default, d1 = default, d2 = default, d3 = default, d4 = default, d5 = default;
        float* w = weights;
        for (int tap = 0; tap < patch; tap++, w += FilterBlock)
        {
            float* source = row0 + offsets[tap], other = row1 + offsets[tap];
            Vector512<float> x0 = Vector512.Load(source), x1 = Vector512.Load(source + Lanes);
            Vector512<float> y0 = Vector512.Load(other), y1 = Vector512.Load(other + Lanes);
            Vector512<float> k;
            k = Vector512.Create(w[0]);
            a0 = Avx512F.FusedMultiplyAdd(x0, k, a0); b0 = Avx512F.FusedMultiplyAdd(x1, k, b0);
            c0 = Avx512F.FusedMultiplyAdd(y0, k, c0); d0 = Avx512F.FusedMultiplyAdd(y1, k, d0);
            k = Vector512.Create(w[1]);
            a1 = Avx512F.FusedMultiplyAdd(x0, k, a1); b1 = Avx512F.FusedMultiplyAdd(x1, k, b1);
            c1 = Avx512F.FusedMultiplyAdd(y0, k, c1); d1 = Avx512F.FusedMultiplyAdd(y1, k, d1);
            k = Vector512.Create(w[2]);
            a2 = Avx512F.FusedMultiplyAdd(x0, k, a2); b2 = Avx512F.FusedMultiplyAdd(x1, k, b2);
            c2 = Avx512F.FusedMultiplyAdd(y0, k, c2); d2 = Avx512F.FusedMultiplyAdd(y1, k, d2);
            k = Vector512.Create(w[3]);
            a3 = Avx512F.FusedMultiplyAdd(x0, k, a3); b3 = Avx512F.FusedMultiplyAdd(x1, k, b3);
            c3 = Avx512F.FusedMultiplyAdd(y0, k, c3); d3 = Avx512F.FusedMultiplyAdd(y1, k, d3);
            k = Vector512.Create(w[4]);
            a4 = Avx512F.FusedMultiplyAdd(x0, k, a4); b4 = Avx512F.FusedMultiplyAdd(x1, k, b4);
            c4 = Avx512F.FusedMultiplyAdd(y0, k, c4); d4 = Avx512F.FusedMultiplyAdd(y1, k, d4);
            k = Vector512.Create(w[5]);
            a5 = Avx512F.FusedMultiplyAdd(x0, k, a5); b5 = Avx512F.FusedMultiplyAdd(x1, k, b5);
            c5 = Avx512F.FusedMultiplyAdd(y0, k, c5); d5 = Avx512F.FusedMultiplyAdd(y1, k, d5);
        }
        Vector512.Store(a0, tile + 0); Vector512.Store(b0, tile + 16);
        Vector512.Store(a1, tile + 32); Vector512.Store(b1, tile + 48);
        Vector512.Store(a2, tile + 64); Vector512.Store(b2, tile + 80);
        Vector512.Store(a3, tile + 96); Vector512.Store(b3, tile + 112);
        Vector512.Store(a4, tile + 128); Vector512.Store(b4, tile + 144);
        Vector512.Store(a5, tile + 160); Vector512.Store(b5, tile + 176);
        Vector512.Store(c0, tile + 256); Vector512.Store(d0, tile + 272);
        Vector512.Store(c1, tile + 288); Vector512.Store(d1, tile + 304);
        Vector512.Store(c2, tile + 320); Vector512.Store(d2, tile + 336);
        Vector512.Store(c3, tile + 352); Vector512.Store(d3, tile + 368);
        Vector512.Store(c4, tile + 384); Vector512.Store(d4, tile + 400);
        Vector512.Store(c5, tile + 416); Vector512.Store(d5, tile + 432);
    }
}
