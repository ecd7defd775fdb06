using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MnistTools.Numerics;

namespace MnistTools.Layers;

/// <summary>
/// The weight gradient of a stride-1 convolution with 5x5 kernels and filters in blocks of <see cref="FilterBlock"/>
/// (LeNet-5's second layer: 16 filters over 6 channels, 10x10 outputs), without a column matrix:
///   source   S = X itself without padding, else each image copied into Xp [C x (H + pads) x (W + pads)] with zeros around
///   dYᵀ      T [OH·OW][16] = dY of one image and one block of 16 filters, pixel by pixel
///   dW       dW[f, c, ky, kx] = Σ_i Σ_(oy, ox) dY[i, f, oy, ox] · S[i, c, oy + ky, ox + kx]
/// AVX-512 register tiles of one channel's 25 taps, each a vector of the block's 16 filters: per output pixel one load of
/// T's row and one broadcast input value per tap. The sums are those of the im2col route, bit for bit: that route
/// multiplies dY [F x g·P] by the group's columnsᵀ for each group of g = <see cref="Conv2dShape.ImagesPerGroup"/> images
/// (image i's pixels at columns (i mod g)·P + oy·OW + ox), and the packed GEMM runs one fused multiply-add chain from 0
/// over each slice of <see cref="GemmBlocked.KC"/> columns and adds the slices in order to dW (the lane's first replaces
/// it). The same chains run here, a slice's open part kept in scratch from one image to the next; so dW depends on the
/// lane's images alone, not on the thread.
/// </summary>
[SkipLocalsInit]
internal static unsafe class Conv2dImplicitWeights
{
    /// <summary>Filters per vector: the multiple of which a shape needs.</summary>
    internal const int FilterBlock = 16;

    /// <summary>The kernel size the register tile is written for.</summary>
    internal const int Kernel = 5;

    private const int Taps = Kernel * Kernel;

    /// <summary>Whether the convolution backward (<see cref="Conv2dKernels"/>) takes dW through here for <paramref name="shape"/>:
    /// patches deeper than <see cref="GemmDirect.MaxColumns"/>, whose im2col route is the packed GEMM (shallower ones take
    /// <see cref="GemmDirect"/>, which sums in another order). Measured on LeNet-5's second layer (lanes of 64 images, one
    /// thread, thread CPU time): 86-89 GFLOP/s here against 46-48 through im2col and the packed GEMM.</summary>
    internal static bool Applies(in Conv2dShape shape, InstructionSet path) =>
        path == InstructionSet.Avx512 && Avx512F.IsSupported && shape.Stride == 1 && shape.Kernel == Kernel && shape.Filters % FilterBlock == 0
        && shape.PatchSize > GemmDirect.MaxColumns;

    private static bool Padded(in Conv2dShape shape) => shape.PadTop + shape.PadLeft + shape.PadBottom + shape.PadRight > 0;

    /// <summary>Floats per source row and plane: the input's, or the padded copy's.</summary>
    private static (int Width, int Plane) Source(in Conv2dShape shape)
    {
        if (!Padded(shape)) return (shape.Width, shape.Height * shape.Width);
        int width = shape.Width + shape.PadLeft + shape.PadRight;
        return (width, (shape.Height + shape.PadTop + shape.PadBottom) * width);
    }

    /// <summary>Scratch floats: the sums and the open slices' sums [F/16][C·K·K][16], one image's dYᵀ, and one padded image if padded (0 where this
    /// path does not apply).</summary>
    internal static long ScratchFloats(in Conv2dShape shape) =>
        !Applies(shape, InstructionSet.Avx512) ? 0
        : 2L * shape.Filters * shape.PatchSize + (long)shape.OutputPixels * FilterBlock + (Padded(shape) ? (long)shape.Channels * Source(shape).Plane : 0);

    /// <param name="input">X [B x C x H x W].</param>
    /// <param name="outputGradient">dY [B x F x OH x OW] (dZ when the layer has an activation).</param>
    /// <param name="weightGradient">dW [F x C x K x K], overwritten with the sum over the B images.</param>
    /// <param name="scratch">At least <see cref="ScratchFloats"/> floats.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void WeightGradient(float* input, float* outputGradient, in Conv2dShape shape, float* weightGradient, float* scratch, int rows)
    {
        int filters = shape.Filters, patch = shape.PatchSize, blocks = filters / FilterBlock, pixels = shape.OutputPixels;
        int outputWidth = shape.OutputWidth, outputHeight = shape.OutputHeight;
        (int sourceWidth, int sourcePlane) = Source(shape);
        bool padded = Padded(shape);
        int group = shape.ImagesPerGroup(rows);
        float* sums = scratch, partial = sums + (long)filters * patch, transposed = partial + (long)filters * patch;
        float* copy = transposed + (long)pixels * FilterBlock;
        if (padded) new Span<float>(copy, shape.Channels * sourcePlane).Clear();
        for (int i = 0; i < rows; i++)
        {
            // Image i's pixels are columns (i mod g)·P .. of its group's columns, as the im2col route lays them out.
            int groupFirst = i - i % group, groupColumns = Math.Min(group, rows - groupFirst) * pixels, column = (i - groupFirst) * pixels;
            float* image = input + (long)i * shape.InputSize;
            if (padded)
            {
                // Xp[c, PadTop + y, PadLeft + x] = X[i, c, y, x]; the padding stays zero.
                for (int c = 0; c < shape.Channels; c++)
                    for (int y = 0; y < shape.Height; y++)
                        new ReadOnlySpan<float>(image + ((long)c * shape.Height + y) * shape.Width, shape.Width)
                            .CopyTo(new Span<float>(copy + (long)c * sourcePlane + (long)(shape.PadTop + y) * sourceWidth + shape.PadLeft, shape.Width));
                image = copy;
            }
            for (int block = 0; block < blocks; block++)
            {
                // T[p][j] = dY[i, block·16 + j, p].
                float* dy = outputGradient + (long)i * shape.OutputSize + (long)block * FilterBlock * pixels;
                int whole = pixels / Transpose16.Size * Transpose16.Size;
                for (int p = 0; p < whole; p += Transpose16.Size) Transpose16.Block(dy + p, pixels, transposed + (long)p * FilterBlock, FilterBlock);
                for (int j = 0; j < FilterBlock; j++)
                    for (int p = whole; p < pixels; p++) transposed[p * FilterBlock + j] = dy[(long)j * pixels + p];
                for (int c = 0; c < shape.Channels; c++)
                {
                    long offset = ((long)block * patch + c * Taps) * FilterBlock;
                    Channel(image + (long)c * sourcePlane, sourceWidth, transposed, outputHeight, outputWidth, sums + offset, partial + offset,
                        column, groupColumns, groupFirst == 0);
                }
            }
        }
        // dW[block·16 + j, tap] = sums[block][tap][j].
        for (int block = 0; block < blocks; block++)
            for (int tap = 0; tap < patch; tap++)
                for (int j = 0; j < FilterBlock; j++)
                    weightGradient[(long)(block * FilterBlock + j) * patch + tap] = sums[((long)block * patch + tap) * FilterBlock + j];
    }

    /// <summary>This image's part of the chains of one channel's 25 taps: the pixels in (oy, ox) order, the image's first at
    /// column <paramref name="column"/> of its group of <paramref name="groupColumns"/> columns. A chain runs from 0 over
    /// a slice of <see cref="GemmBlocked.KC"/> columns (the part begun in the images before waits in
    /// <paramref name="partial"/>), then joins sums[(ky·5 + kx)·16 + j] (the lane's first slice replaces it): one loop over the
    /// pixels, no calls, so the 25 accumulators stay in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Channel(float* plane, int width, float* transposed, int outputHeight, int outputWidth, float* sums, float* partial,
        int column, int groupColumns, bool firstGroup)
    {
        bool fresh = column % GemmBlocked.KC == 0;
        int sliceEnd = Math.Min(column - column % GemmBlocked.KC + GemmBlocked.KC, groupColumns);
        Vector512<float> a0 = fresh ? default : Vector512.Load(partial + 0),
            a1 = fresh ? default : Vector512.Load(partial + 16),
            a2 = fresh ? default : Vector512.Load(partial + 32);
        Vector512<float> a3 = fresh ? default : Vector512.Load(partial + 48),
            a4 = fresh ? default : Vector512.Load(partial + 64),
            a5 = fresh ? default : Vector512.Load(partial + 80);
        Vector512<float> a6 = fresh ? default : Vector512.Load(partial + 96),
            a7 = fresh ? default : Vector512.Load(partial + 112),
            a8 = fresh ? default : Vector512.Load(partial + 128);
        Vector512<float> a9 = fresh ? default : Vector512.Load(partial + 144),
            a10 = fresh ? default : Vector512.Load(partial + 160),
            a11 = fresh ? default : Vector512.Load(partial + 176);
        Vector512<float> a12 = fresh ? default : Vector512.Load(partial + 192),
            a13 = fresh ? default : Vector512.Load(partial + 208),
            a14 = fresh ? default : Vector512.Load(partial + 224);
        Vector512<float> a15 = fresh ? default : Vector512.Load(partial + 240),
            a16 = fresh ? default : Vector512.Load(partial + 256),
            a17 = fresh ? default : Vector512.Load(partial + 272);
        Vector512<float> a18 = fresh ? default : Vector512.Load(partial + 288),
            a19 = fresh ? default : Vector512.Load(partial + 304),
            a20 = fresh ? default : Vector512.Load(partial + 320);
        Vector512<float> a21 = fresh ? default : Vector512.Load(partial + 336),
            a22 = fresh ? default : Vector512.Load(partial + 352),
            a23 = fresh ? default : Vector512.Load(partial + 368);
        Vector512<float> a24 = fresh ? default : Vector512.Load(partial + 384);
        float* t = transposed;
        for (int oy = 0; oy < outputHeight; oy++)
        {
            float* r0 = plane + (long)oy * width, r1 = r0 + width, r2 = r1 + width, r3 = r2 + width, r4 = r3 + width;
            for (int ox = 0; ox < outputWidth; ox++, t += FilterBlock)
            {
                Vector512<float> d = Vector512.Load(t);
                a0 = Avx512F.FusedMultiplyAdd(d, Vector512.Create(r0[ox + 0]), a0);
                a1 = Avx512F.FusedMultiplyAdd(d, Vector512.Create(r0[ox + 1]), a1);
                a2 = Avx512F.FusedMultiplyAdd(d, Vector512.Create(r0[ox + 2]), a2);
                a3 = Avx512F.FusedMultiplyAdd(d, Vector512.Create(r0[ox + 3]), a3);
                a4 = Avx512F.FusedMultiplyAdd(d, Vector512.Create(r0[ox + 4]), a4);
                a5 = Avx512F.FusedMultiplyAdd(d, Vector512.Create(r1[ox + 0]), a5);
                a6 = Avx512F.FusedMultiplyAdd(d, Vector512.Create(r1[ox + 1]), a6);
                a7 = Avx512F.FusedMultiplyAdd(d, Vector512.Create(r1[ox + 2]), a7);
                a8 = Avx512F.FusedMultiplyAdd(d, Vector512.Create(r1[ox + 3]), a8);
                a9 = Avx512F.FusedMultiplyAdd(d, Vector512.Create(r1[ox + 4]), a9);
                a10 = Avx512F.FusedMultiplyAdd(d, Vector512.Create(r2[ox + 0]), a10);
                a11 = Avx512F.FusedMultiplyAdd(d, Vector512.Create(r2[ox + 1]), a11);
                a12 = Avx512F.FusedMultiplyAdd(d, Vector512.Create(r2[ox + 2]), a12);
                a13 = Avx512F.FusedMultiplyAdd(d, Vector512.Create(r2[ox + 3]), a13);
                a14 = Avx512F.FusedMultiplyAdd(d, Vector512.Create(r2[ox + 4]), a14);
                a15 = Avx512F.FusedMultiplyAdd(d, Vector512.Create(r3[ox + 0]), a15);
                a16 = Avx512F.FusedMultiplyAdd(d, Vector512.Create(r3[ox + 1]), a16);
                a17 = Avx512F.FusedMultiplyAdd(d, Vector512.Create(r3[ox + 2]), a17);
                a18 = Avx512F.FusedMultiplyAdd(d, Vector512.Create(r3[ox + 3]), a18);
                a19 = Avx512F.FusedMultiplyAdd(d, Vector512.Create(r3[ox + 4]), a19);
                a20 = Avx512F.FusedMultiplyAdd(d, Vector512.Create(r4[ox + 0]), a20);
                a21 = Avx512F.FusedMultiplyAdd(d, Vector512.Create(r4[ox + 1]), a21);
                a22 = Avx512F.FusedMultiplyAdd(d, Vector512.Create(r4[ox + 2]), a22);
                a23 = Avx512F.FusedMultiplyAdd(d, Vector512.Create(r4[ox + 3]), a23);
                a24 = Avx512F.FusedMultiplyAdd(d, Vector512.Create(r4[ox + 4]), a24);
                if (++column == sliceEnd)
                {
                    bool overwrite = firstGroup && sliceEnd <= GemmBlocked.KC;
                    Vector512.Store(overwrite ? a0 : Vector512.Load(sums + 0) + a0, sums + 0); a0 = default;
                    Vector512.Store(overwrite ? a1 : Vector512.Load(sums + 16) + a1, sums + 16); a1 = default;
                    Vector512.Store(overwrite ? a2 : Vector512.Load(sums + 32) + a2, sums + 32); a2 = default;
                    Vector512.Store(overwrite ? a3 : Vector512.Load(sums + 48) + a3, sums + 48); a3 = default;
                    Vector512.Store(overwrite ? a4 : Vector512.Load(sums + 64) + a4, sums + 64); a4 = default;
                    Vector512.Store(overwrite ? a5 : Vector512.Load(sums + 80) + a5, sums + 80); a5 = default;
                    Vector512.Store(overwrite ? a6 : Vector512.Load(sums + 96) + a6, sums + 96); a6 = default;
                    Vector512.Store(overwrite ? a7 : Vector512.Load(sums + 112) + a7, sums + 112); a7 = default;
                    Vector512.Store(overwrite ? a8 : Vector512.Load(sums + 128) + a8, sums + 128); a8 = default;
                    Vector512.Store(overwrite ? a9 : Vector512.Load(sums + 144) + a9, sums + 144); a9 = default;
                    Vector512.Store(overwrite ? a10 : Vector512.Load(sums + 160) + a10, sums + 160); a10 = default;
                    Vector512.Store(overwrite ? a11 : Vector512.Load(sums + 176) + a11, sums + 176); a11 = default;
                    Vector512.Store(overwrite ? a12 : Vector512.Load(sums + 192) + a12, sums + 192); a12 = default;
                    Vector512.Store(overwrite ? a13 : Vector512.Load(sums + 208) + a13, sums + 208); a13 = default;
                    Vector512.Store(overwrite ? a14 : Vector512.Load(sums + 224) + a14, sums + 224); a14 = default;
                    Vector512.Store(overwrite ? a15 : Vector512.Load(sums + 240) + a15, sums + 240); a15 = default;
                    Vector512.Store(overwrite ? a16 : Vector512.Load(sums + 256) + a16, sums + 256); a16 = default;
                    Vector512.Store(overwrite ? a17 : Vector512.Load(sums + 272) + a17, sums + 272); a17 = default;
                    Vector512.Store(overwrite ? a18 : Vector512.Load(sums + 288) + a18, sums + 288); a18 = default;
                    Vector512.Store(overwrite ? a19 : Vector512.Load(sums + 304) + a19, sums + 304); a19 = default;
                    Vector512.Store(overwrite ? a20 : Vector512.Load(sums + 320) + a20, sums + 320); a20 = default;
                    Vector512.Store(overwrite ? a21 : Vector512.Load(sums + 336) + a21, sums + 336); a21 = default;
                    Vector512.Store(overwrite ? a22 : Vector512.Load(sums + 352) + a22, sums + 352); a22 = default;
                    Vector512.Store(overwrite ? a23 : Vector512.Load(sums + 368) + a23, sums + 368); a23 = default;
                    Vector512.Store(overwrite ? a24 : Vector512.Load(sums + 384) + a24, sums + 384); a24 = default;
                    sliceEnd = Math.Min(sliceEnd + GemmBlocked.KC, groupColumns);
                }
            }
        }
        Vector512.Store(a0, partial + 0);
        Vector512.Store(a1, partial + 16);
        Vector512.Store(a2, partial + 32);
        Vector512.Store(a3, partial + 48);
        Vector512.Store(a4, partial + 64);
        Vector512.Store(a5, partial + 80);
        Vector512.Store(a6, partial + 96);
        Vector512.Store(a7, partial + 112);
        Vector512.Store(a8, partial + 128);
        Vector512.Store(a9, partial + 144);
        Vector512.Store(a10, partial + 160);
        Vector512.Store(a11, partial + 176);
        Vector512.Store(a12, partial + 192);
        Vector512.Store(a13, partial + 208);
        Vector512.Store(a14, partial + 224);
        Vector512.Store(a15, partial + 240);
        Vector512.Store(a16, partial + 256);
        Vector512.Store(a17, partial + 272);
        Vector512.Store(a18, partial + 288);
        Vector512.Store(a19, partial + 304);
        Vector512.Store(a20, partial + 320);
        Vector512.Store(a21, partial + 336);
        Vector512.Store(a22, partial + 352);
        Vector512.Store(a23, partial + 368);
        Vector512.Store(a24, partial + 384);
    }
}
