using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MnistTools.Numerics;

namespace MnistTools.Layers;

/// <summary>
/// The forward convolution as an implicit GEMM, without a column matrix, for deep patches and filters in whole blocks of
/// <see cref="FilterBlock"/> (stride 1: second layers like the Keras net's, where building the im2col columns cost as
/// much as a tenth of the product and the GEMM packed them once more).
///   source   S = X itself without padding, else each image copied into Xp [C x (H + pads) x (W + pads)] with zeros around
///   packed   Wk [F/64 blocks][C·K·K][64] = W with the 64 filters of a block side by side
///   forward  Y[i, f, oy, ox] = (Σ_(c, ky, kx) Wk[f, c, ky, kx] · S[i, c, oy + ky, ox + kx]) + b[f]
/// AVX-512 register tiles of 64 filters (4 vectors) x <see cref="Pixels"/> output pixels taken in (image, oy, ox) order,
/// so a tile may span output rows and, without padding, images: each tap is four vector loads of weights and one
/// broadcast input value per pixel, each pixel read through its own pointer. The last tile of the lane (or of a padded
/// image) repeats its last pixel and stores only the real ones. Each output is one fused multiply-add chain over the taps
/// in (c, ky, kx) order from 0, then the bias: the same bits whatever the lane, the tiling or the thread.
/// </summary>
[SkipLocalsInit]
internal static unsafe class Conv2dImplicit
{
    /// <summary>Filters per register tile: the multiple of which a shape needs.</summary>
    internal const int FilterBlock = 64;

    /// <summary>Output pixels per register tile (4 x 6 accumulators of 16 lanes).</summary>
    internal const int Pixels = 6;

    private const int Lanes = 16;

    /// <summary>Whether <see cref="Conv2dKernels.Conv2dForward"/> takes this path for <paramref name="shape"/>. Measured
    /// single-threaded on the Keras net's second layer (32 channels 13x13, 64 filters 3x3, lanes of 64 images, by the
    /// thread's CPU time): 92 GFLOP/s here (the 1024³ GEMM: 85-94 in the same sittings) against 75 through im2col and the
    /// packed GEMM (GEMM: 91-93).
    /// Filters in blocks of 16 but not of 64 go through <see cref="Conv2dImplicitRows"/>'s tiles instead.</summary>
    internal static bool Applies(in Conv2dShape shape, InstructionSet path) =>
        path == InstructionSet.Avx512 && Avx512F.IsSupported && shape.Stride == 1 && shape.Filters % Conv2dImplicitRows.FilterBlock == 0
        && shape.PatchSize > Conv2dDirect.MaxPatch;

    /// <summary>Filters side by side in the packed weights: 64 for this class's tiles, else 16 for <see cref="Conv2dImplicitRows"/>'s.</summary>
    private static int Block(in Conv2dShape shape) => shape.Filters % FilterBlock == 0 ? FilterBlock : Conv2dImplicitRows.FilterBlock;

    internal static bool Padded(in Conv2dShape shape) => shape.PadTop + shape.PadLeft + shape.PadBottom + shape.PadRight > 0;

    /// <summary>Floats per source row and plane: the input's, or the padded copy's.</summary>
    internal static (int Width, int Plane) Source(in Conv2dShape shape)
    {
        if (!Padded(shape)) return (shape.Width, shape.Height * shape.Width);
        int width = shape.Width + shape.PadLeft + shape.PadRight;
        return (width, (shape.Height + shape.PadTop + shape.PadBottom) * width);
    }

    /// <summary>Scratch floats: the packed weights, the taps' offsets into a source image, one padded image if padded, and
    /// the staging rows of <see cref="Conv2dImplicitRows"/> if it takes the shape.</summary>
    internal static long ScratchFloats(in Conv2dShape shape) =>
        (long)shape.Filters * shape.PatchSize + shape.PatchSize + (Padded(shape) ? (long)shape.Channels * Source(shape).Plane : 0)
        + (shape.Filters % FilterBlock != 0 ? Conv2dImplicitRows.StagingFloats(shape) : 0);

    /// <param name="input">X [B x C x H x W].</param>
    /// <param name="weights">W [F x C x K x K].</param>
    /// <param name="biases">b [F].</param>
    /// <param name="output">Y [B x F x OH x OW], overwritten.</param>
    /// <param name="scratch">At least <see cref="ScratchFloats"/> floats.</param>
    /// <param name="relu">Store ReLU(sum + bias) instead of sum + bias.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(float* input, float* weights, float* biases, in Conv2dShape shape, float* output, float* scratch, int rows, bool relu)
    {
        int filters = shape.Filters, patch = shape.PatchSize, width = Block(shape), blocks = filters / width;
        (int sourceWidth, int sourcePlane) = Source(shape);
        float* packed = scratch;
        int* offsets = (int*)(scratch + (long)filters * patch);
        float* padded = scratch + (long)filters * patch + patch;
        float* staging = padded + (Padded(shape) ? (long)shape.Channels * sourcePlane : 0);

        Pack(weights, shape, width, packed, offsets);

        if (!Padded(shape))
        {
            Run(input, shape.InputSize, sourceWidth, packed, biases, offsets, shape, output, rows, relu, staging);
            return;
        }
        new Span<float>(padded, shape.Channels * sourcePlane).Clear();
        for (int i = 0; i < rows; i++)
        {
            CopyPadded(input + (long)i * shape.InputSize, shape, padded);
            Run(padded, 0, sourceWidth, packed, biases, offsets, shape, output + (long)i * shape.OutputSize, 1, relu, staging);
        }
    }

    /// <summary>Wk[block][tap][j] = W[block·width + j, tap] for blocks of <paramref name="width"/> filters, and each tap's
    /// offset into a source image: tap (c, ky, kx) reads it at c·plane + ky·sourceWidth + kx.</summary>
    internal static void Pack(float* weights, in Conv2dShape shape, int width, float* packed, int* offsets)
    {
        int patch = shape.PatchSize, blocks = shape.Filters / width;
        (int sourceWidth, int sourcePlane) = Source(shape);
        for (int block = 0; block < blocks; block++)
            for (int tap = 0; tap < patch; tap++)
                for (int j = 0; j < width; j++)
                    packed[((long)block * patch + tap) * width + j] = weights[(long)(block * width + j) * patch + tap];
        for (int c = 0, tap = 0; c < shape.Channels; c++)
            for (int ky = 0; ky < shape.Kernel; ky++)
                for (int kx = 0; kx < shape.Kernel; kx++, tap++)
                    offsets[tap] = c * sourcePlane + ky * sourceWidth + kx;
    }

    /// <summary>Xp[c, PadTop + y, PadLeft + x] = X[c, y, x] of one image; the padding of <paramref name="padded"/> stays as it is (zero).</summary>
    internal static void CopyPadded(float* image, in Conv2dShape shape, float* padded)
    {
        (int sourceWidth, int sourcePlane) = Source(shape);
        for (int c = 0; c < shape.Channels; c++)
            for (int y = 0; y < shape.Height; y++)
                new ReadOnlySpan<float>(image + ((long)c * shape.Height + y) * shape.Width, shape.Width)
                    .CopyTo(new Span<float>(padded + (long)c * sourcePlane + (long)(shape.PadTop + y) * sourceWidth + shape.PadLeft, shape.Width));
    }

    /// <summary>Y of <paramref name="images"/> images whose source image i starts at source + i·imageStride.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run(float* source, long imageStride, int sourceWidth, float* packed, float* biases, int* offsets, in Conv2dShape shape,
        float* output, int images, bool relu, float* staging)
    {
        if (shape.Filters % FilterBlock != 0)
        {
            Conv2dImplicitRows.Run(source, imageStride, sourceWidth, packed, biases, offsets, shape, output, images, relu, staging);
            return;
        }
        int patch = shape.PatchSize, blocks = shape.Filters / FilterBlock, outputWidth = shape.OutputWidth, outputHeight = shape.OutputHeight;
        long plane = (long)outputHeight * outputWidth, total = images * plane;
        float** reads = stackalloc float*[Pixels];
        float** writes = stackalloc float*[Pixels];
        float* tile = stackalloc float[Pixels * FilterBlock];
        // The cursor (image, oy, ox) of the next pixel.
        int image = 0, oy = 0, ox = 0;
        for (long first = 0; first < total; first += Pixels)
        {
            int count = (int)Math.Min(Pixels, total - first);
            for (int q = 0; q < Pixels; q++)
            {
                if (q < count)
                {
                    reads[q] = source + image * imageStride + (long)oy * sourceWidth + ox;
                    writes[q] = output + (long)image * shape.OutputSize + (long)oy * outputWidth + ox;
                    if (++ox < outputWidth) continue;
                    ox = 0;
                    if (++oy < outputHeight) continue;
                    oy = 0;
                    image++;
                }
                else reads[q] = reads[count - 1];
            }
            for (int block = 0; block < blocks; block++)
            {
                Tile(reads, packed + (long)block * patch * FilterBlock, biases + block * FilterBlock, offsets, patch, tile, relu);
                // tile[q·64 + j] is filter j at pixel q: into filter j's plane.
                long blockOffset = block * FilterBlock * plane;
                for (int q = 0; q < count; q++)
                {
                    float* destination = writes[q] + blockOffset;
                    float* values = tile + q * FilterBlock;
                    for (int j = 0; j < FilterBlock; j++) destination[j * plane] = values[j];
                }
            }
        }
    }

    /// <summary>Sums plus biases (through ReLU when <paramref name="relu"/>) of 64 filters x 6 pixels (pixel q's window starting
    /// at reads[q]) into tile[q·64 + j]: one
    /// loop over the taps, no calls, so the 24 accumulators stay in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(float** reads, float* weights, float* biases, int* offsets, int patch, float* tile, bool relu)
    {
        float* p0 = reads[0], p1 = reads[1], p2 = reads[2], p3 = reads[3], p4 = reads[4], p5 = reads[5];
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        Vector512<float> d0 = default, d1 = default, d2 = default, d3 = default, d4 = default, d5 = default;
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
            v = Vector512.Create(p4[offset]);
            a4 = Avx512F.FusedMultiplyAdd(w0, v, a4); b4 = Avx512F.FusedMultiplyAdd(w1, v, b4);
            c4 = Avx512F.FusedMultiplyAdd(w2, v, c4); d4 = Avx512F.FusedMultiplyAdd(w3, v, d4);
            v = Vector512.Create(p5[offset]);
            a5 = Avx512F.FusedMultiplyAdd(w0, v, a5); b5 = Avx512F.FusedMultiplyAdd(w1, v, b5);
            c5 = Avx512F.FusedMultiplyAdd(w2, v, c5); d5 = Avx512F.FusedMultiplyAdd(w3, v, d5);
        }
        Vector512<float> e0 = Vector512.Load(biases), e1 = Vector512.Load(biases + Lanes), e2 = Vector512.Load(biases + 2 * Lanes), e3 = Vector512.Load(biases + 3 * Lanes);
        Store(a0 + e0, b0 + e1, c0 + e2, d0 + e3, relu, tile);
        Store(a1 + e0, b1 + e1, c1 + e2, d1 + e3, relu, tile + FilterBlock);
        Store(a2 + e0, b2 + e1, c2 + e2, d2 + e3, relu, tile + 2 * FilterBlock);
        Store(a3 + e0, b3 + e1, c3 + e2, d3 + e3, relu, tile + 3 * FilterBlock);
        Store(a4 + e0, b4 + e1, c4 + e2, d4 + e3, relu, tile + 4 * FilterBlock);
        Store(a5 + e0, b5 + e1, c5 + e2, d5 + e3, relu, tile + 5 * FilterBlock);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector512<float> first, Vector512<float> second, Vector512<float> third, Vector512<float> fourth, bool relu,
        float* destination)
    {
        Vector512.Store(Conv2dDirect.Finish(first, relu), destination);
        Vector512.Store(Conv2dDirect.Finish(second, relu), destination + Lanes);
        Vector512.Store(Conv2dDirect.Finish(third, relu), destination + 2 * Lanes);
        Vector512.Store(Conv2dDirect.Finish(fourth, relu), destination + 3 * Lanes);
    }
}
