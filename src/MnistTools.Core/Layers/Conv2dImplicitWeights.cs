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
/// T's row and one broadcast input value per tap. Each weight's gradient is one fused multiply-add chain from 0 over the
/// images in order and each image's pixels in (oy, ox) order, kept in scratch between images: it depends on the lane's
/// images alone, not on the thread. Measured on LeNet-5's second layer (one lane of 64 images, one thread, thread CPU
/// time): see docs/performance.md.
/// </summary>
[SkipLocalsInit]
internal static unsafe class Conv2dImplicitWeights
{
    /// <summary>Filters per vector: the multiple of which a shape needs.</summary>
    internal const int FilterBlock = 16;

    /// <summary>The kernel size the register tile is written for.</summary>
    internal const int Kernel = 5;

    private const int Taps = Kernel * Kernel;

    /// <summary>Whether the convolution backward (<see cref="Conv2dKernels"/>) takes dW through here for <paramref name="shape"/>.</summary>
    internal static bool Applies(in Conv2dShape shape, InstructionSet path) =>
        path == InstructionSet.Avx512 && Avx512F.IsSupported && shape.Stride == 1 && shape.Kernel == Kernel && shape.Filters % FilterBlock == 0;

    private static bool Padded(in Conv2dShape shape) => shape.PadTop + shape.PadLeft + shape.PadBottom + shape.PadRight > 0;

    /// <summary>Floats per source row and plane: the input's, or the padded copy's.</summary>
    private static (int Width, int Plane) Source(in Conv2dShape shape)
    {
        if (!Padded(shape)) return (shape.Width, shape.Height * shape.Width);
        int width = shape.Width + shape.PadLeft + shape.PadRight;
        return (width, (shape.Height + shape.PadTop + shape.PadBottom) * width);
    }

    /// <summary>Scratch floats: the sums [F/16][C·K·K][16], one image's dYᵀ, and one padded image if padded (0 where this
    /// path does not apply).</summary>
    internal static long ScratchFloats(in Conv2dShape shape) =>
        !Applies(shape, InstructionSet.Avx512) ? 0
        : (long)shape.Filters * shape.PatchSize + (long)shape.OutputPixels * FilterBlock + (Padded(shape) ? (long)shape.Channels * Source(shape).Plane : 0);

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
        float* sums = scratch, transposed = scratch + (long)filters * patch, copy = transposed + (long)pixels * FilterBlock;
        new Span<float>(sums, filters * patch).Clear();
        if (padded) new Span<float>(copy, shape.Channels * sourcePlane).Clear();
        for (int i = 0; i < rows; i++)
        {
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
                for (int j = 0; j < FilterBlock; j++)
                    for (int p = 0; p < pixels; p++) transposed[p * FilterBlock + j] = dy[(long)j * pixels + p];
                for (int c = 0; c < shape.Channels; c++)
                    Channel(image + (long)c * sourcePlane, sourceWidth, transposed, outputHeight, outputWidth,
                        sums + ((long)block * patch + c * Taps) * FilterBlock);
            }
        }
        // dW[block·16 + j, tap] = sums[block][tap][j].
        for (int block = 0; block < blocks; block++)
            for (int tap = 0; tap < patch; tap++)
                for (int j = 0; j < FilterBlock; j++)
                    weightGradient[(long)(block * FilterBlock + j) * patch + tap] = sums[((long)block * patch + tap) * FilterBlock + j];
    }

    /// <summary>sums[(ky·5 + kx)·16 + j] += Σ_(oy, ox) T[oy·OW + ox][j] · plane[(oy + ky)·width + ox + kx], pixel by pixel in
    /// order: one loop over the pixels, no calls, so the 25 accumulators stay in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Channel(float* plane, int width, float* transposed, int outputHeight, int outputWidth, float* sums)
    {
        Vector512<float> a0 = Vector512.Load(sums + 0), a1 = Vector512.Load(sums + 16), a2 = Vector512.Load(sums + 32), a3 = Vector512.Load(sums + 48), a4 = Vector512.Load(sums + 64),
            a5 = Vector512.Load(sums + 80), a6 = Vector512.Load(sums + 96), a7 = Vector512.Load(sums + 112), a8 = Vector512.Load(sums + 128), a9 = Vector512.Load(sums + 144),
            a10 = Vector512.Load(sums + 160), a11 = Vector512.Load(sums + 176), a12 = Vector512.Load(sums + 192), a13 = Vector512.Load(sums + 208), a14 = Vector512.Load(sums + 224),
            a15 = Vector512.Load(sums + 240), a16 = Vector512.Load(sums + 256), a17 = Vector512.Load(sums + 272), a18 = Vector512.Load(sums + 288), a19 = Vector512.Load(sums + 304),
            a20 = Vector512.Load(sums + 320), a21 = Vector512.Load(sums + 336), a22 = Vector512.Load(sums + 352), a23 = Vector512.Load(sums + 368), a24 = Vector512.Load(sums + 384);
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
            }
        }
        Vector512.Store(a0, sums + 0); Vector512.Store(a1, sums + 16); Vector512.Store(a2, sums + 32);
        Vector512.Store(a3, sums + 48); Vector512.Store(a4, sums + 64);
        Vector512.Store(a5, sums + 80); Vector512.Store(a6, sums + 96); Vector512.Store(a7, sums + 112);
        Vector512.Store(a8, sums + 128); Vector512.Store(a9, sums + 144);
        Vector512.Store(a10, sums + 160); Vector512.Store(a11, sums + 176); Vector512.Store(a12, sums + 192);
        Vector512.Store(a13, sums + 208); Vector512.Store(a14, sums + 224);
        Vector512.Store(a15, sums + 240); Vector512.Store(a16, sums + 256); Vector512.Store(a17, sums + 272);
        Vector512.Store(a18, sums + 288); Vector512.Store(a19, sums + 304);
        Vector512.Store(a20, sums + 320); Vector512.Store(a21, sums + 336); Vector512.Store(a22, sums + 352);
        Vector512.Store(a23, sums + 368); Vector512.Store(a24, sums + 384);
    }
}
