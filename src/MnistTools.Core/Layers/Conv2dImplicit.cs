using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MnistTools.Numerics;

namespace MnistTools.Layers;

/// <summary>
/// The forward convolution as an implicit GEMM, without a column matrix, for deep patches and filters in whole blocks of
/// <see cref="FilterBlock"/> (stride 1: second layers like the Keras net's, where building the im2col columns cost as
/// much as a tenth of the product and the GEMM packed them once more). Per image:
///   padded   Xp [C x (OH + K − 1) x Wp] = X with PadTop/PadLeft zero rows and columns before, zeros after
///   packed   Wk [F/64 blocks][C·K·K][64] = W with the 64 filters of a block side by side
///   forward  Y[f, oy, ox] = (Σ_(c, ky, kx) Wk[f, c, ky, kx] · Xp[c, oy + ky, ox + kx]) + b[f]
/// AVX-512 register tiles of 64 filters (4 vectors) x <see cref="Columns"/> output columns of one output row: each tap is
/// four vector loads of weights and one broadcast input value per column. Wp covers whole tiles, so a row's last tile
/// reads zeros past the input instead of taking a masked path; its extra columns are not stored. Each output is one
/// fused multiply-add chain over the taps in (c, ky, kx) order from 0, then the bias: the same bits whatever the band
/// or thread.
/// </summary>
[SkipLocalsInit]
internal static unsafe class Conv2dImplicit
{
    /// <summary>Filters per register tile: the multiple of which a shape needs.</summary>
    internal const int FilterBlock = 64;

    /// <summary>Output columns per register tile (4 x 6 accumulators of 16 lanes).</summary>
    internal const int Columns = 6;

    private const int Lanes = 16;

    /// <summary>Whether <see cref="Conv2dKernels.Conv2dForward"/> takes this path for <paramref name="shape"/>. Measured
    /// single-threaded on the Keras net's second layer (32 channels 13x13, 64 filters 3x3, bands of 64 images, by the
    /// thread's CPU time): 84 GFLOP/s here, though a twelfth of the tiles' columns are past its 11-column rows, against
    /// 75 through im2col and the GEMM; the 1024³ GEMM ran 91-93 in the same sittings.</summary>
    internal static bool Applies(in Conv2dShape shape, InstructionSet path) =>
        path == InstructionSet.Avx512 && Avx512F.IsSupported && shape.Stride == 1 && shape.Filters % FilterBlock == 0
        && shape.PatchSize > Conv2dDirect.MaxPatch;

    /// <summary>Tiles per output row.</summary>
    private static int Tiles(in Conv2dShape shape) => (shape.OutputWidth + Columns - 1) / Columns;

    /// <summary>Floats per padded row: every tile's reads, the last tap's included.</summary>
    private static int PaddedWidth(in Conv2dShape shape) => Tiles(shape) * Columns + shape.Kernel - 1;

    /// <summary>Rows per padded plane.</summary>
    private static int PaddedHeight(in Conv2dShape shape) => shape.OutputHeight + shape.Kernel - 1;

    /// <summary>Scratch floats: the packed weights, the taps' offsets into the padded image, and one padded image.</summary>
    internal static long ScratchFloats(in Conv2dShape shape) =>
        (long)shape.Filters * shape.PatchSize + shape.PatchSize + (long)shape.Channels * PaddedHeight(shape) * PaddedWidth(shape);

    /// <param name="input">X [B x C x H x W].</param>
    /// <param name="weights">W [F x C x K x K].</param>
    /// <param name="biases">b [F].</param>
    /// <param name="output">Y [B x F x OH x OW], overwritten.</param>
    /// <param name="scratch">At least <see cref="ScratchFloats"/> floats.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(float* input, float* weights, float* biases, in Conv2dShape shape, float* output, float* scratch, int rows)
    {
        int filters = shape.Filters, patch = shape.PatchSize, blocks = filters / FilterBlock;
        int paddedWidth = PaddedWidth(shape), paddedHeight = PaddedHeight(shape), paddedPlane = paddedHeight * paddedWidth;
        int tiles = Tiles(shape), outputWidth = shape.OutputWidth;
        long plane = (long)shape.OutputHeight * outputWidth;
        float* packed = scratch;
        int* offsets = (int*)(scratch + (long)filters * patch);
        float* padded = scratch + (long)filters * patch + patch;
        float* tile = stackalloc float[Columns * FilterBlock];

        // Wk[block][tap][j] = W[block·64 + j, tap]; tap (c, ky, kx) reads Xp at c·plane + ky·Wp + kx.
        for (int block = 0; block < blocks; block++)
            for (int tap = 0; tap < patch; tap++)
                for (int j = 0; j < FilterBlock; j++)
                    packed[((long)block * patch + tap) * FilterBlock + j] = weights[(long)(block * FilterBlock + j) * patch + tap];
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
                float* blockWeights = packed + (long)block * patch * FilterBlock, blockBiases = biases + block * FilterBlock;
                float* blockOutput = y0 + block * FilterBlock * plane;
                for (int oy = 0; oy < shape.OutputHeight; oy++)
                    for (int t = 0; t < tiles; t++)
                    {
                        Tile(padded + (long)oy * paddedWidth + t * Columns, blockWeights, blockBiases, offsets, patch, tile);
                        // tile[q·64 + j] is filter j at column q of the tile: filter j's run of columns into its plane.
                        int count = Math.Min(Columns, outputWidth - t * Columns);
                        float* destination = blockOutput + (long)oy * outputWidth + t * Columns;
                        for (int j = 0; j < FilterBlock; j++, destination += plane)
                            for (int q = 0; q < count; q++) destination[q] = tile[q * FilterBlock + j];
                    }
            }
        }
    }

    /// <summary>Sums plus biases of 64 filters x 6 output columns of one output row into tile[q·64 + j]: one loop over the
    /// taps, no calls, so the 24 accumulators stay in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(float* row, float* weights, float* biases, int* offsets, int patch, float* tile)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        Vector512<float> d0 = default, d1 = default, d2 = default, d3 = default, d4 = default, d5 = default;
        float* w = weights;
        for (int tap = 0; tap < patch; tap++, w += FilterBlock)
        {
            float* x = row + offsets[tap];
            Vector512<float> w0 = Vector512.Load(w), w1 = Vector512.Load(w + Lanes), w2 = Vector512.Load(w + 2 * Lanes), w3 = Vector512.Load(w + 3 * Lanes);
            Vector512<float> v = Vector512.Create(x[0]);
            a0 = Avx512F.FusedMultiplyAdd(w0, v, a0); b0 = Avx512F.FusedMultiplyAdd(w1, v, b0);
            c0 = Avx512F.FusedMultiplyAdd(w2, v, c0); d0 = Avx512F.FusedMultiplyAdd(w3, v, d0);
            v = Vector512.Create(x[1]);
            a1 = Avx512F.FusedMultiplyAdd(w0, v, a1); b1 = Avx512F.FusedMultiplyAdd(w1, v, b1);
            c1 = Avx512F.FusedMultiplyAdd(w2, v, c1); d1 = Avx512F.FusedMultiplyAdd(w3, v, d1);
            v = Vector512.Create(x[2]);
            a2 = Avx512F.FusedMultiplyAdd(w0, v, a2); b2 = Avx512F.FusedMultiplyAdd(w1, v, b2);
            c2 = Avx512F.FusedMultiplyAdd(w2, v, c2); d2 = Avx512F.FusedMultiplyAdd(w3, v, d2);
            v = Vector512.Create(x[3]);
            a3 = Avx512F.FusedMultiplyAdd(w0, v, a3); b3 = Avx512F.FusedMultiplyAdd(w1, v, b3);
            c3 = Avx512F.FusedMultiplyAdd(w2, v, c3); d3 = Avx512F.FusedMultiplyAdd(w3, v, d3);
            v = Vector512.Create(x[4]);
            a4 = Avx512F.FusedMultiplyAdd(w0, v, a4); b4 = Avx512F.FusedMultiplyAdd(w1, v, b4);
            c4 = Avx512F.FusedMultiplyAdd(w2, v, c4); d4 = Avx512F.FusedMultiplyAdd(w3, v, d4);
            v = Vector512.Create(x[5]);
            a5 = Avx512F.FusedMultiplyAdd(w0, v, a5); b5 = Avx512F.FusedMultiplyAdd(w1, v, b5);
            c5 = Avx512F.FusedMultiplyAdd(w2, v, c5); d5 = Avx512F.FusedMultiplyAdd(w3, v, d5);
        }
        Vector512<float> e0 = Vector512.Load(biases), e1 = Vector512.Load(biases + Lanes), e2 = Vector512.Load(biases + 2 * Lanes), e3 = Vector512.Load(biases + 3 * Lanes);
        Store(a0 + e0, b0 + e1, c0 + e2, d0 + e3, tile);
        Store(a1 + e0, b1 + e1, c1 + e2, d1 + e3, tile + FilterBlock);
        Store(a2 + e0, b2 + e1, c2 + e2, d2 + e3, tile + 2 * FilterBlock);
        Store(a3 + e0, b3 + e1, c3 + e2, d3 + e3, tile + 3 * FilterBlock);
        Store(a4 + e0, b4 + e1, c4 + e2, d4 + e3, tile + 4 * FilterBlock);
        Store(a5 + e0, b5 + e1, c5 + e2, d5 + e3, tile + 5 * FilterBlock);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector512<float> first, Vector512<float> second, Vector512<float> third, Vector512<float> fourth, float* destination)
    {
        Vector512.Store(first, destination);
        Vector512.Store(second, destination + Lanes);
        Vector512.Store(third, destination + 2 * Lanes);
        Vector512.Store(fourth, destination + 3 * Lanes);
    }
}
