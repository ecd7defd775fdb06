using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MnistTools.Numerics;

namespace MnistTools.Layers;

/// <summary>
/// The input gradient of a stride-1 convolution with few filters and kernels of 5 or more (LeNet-5's second layer: 16 filters, 6 channels of
/// 14x14, 10x10 outputs) without a column matrix, 16 images at a time with one image per vector lane:
///   dYᵀ   T [P][F][16] = dY of 16 images, pixel by pixel and filter by filter (lanes of absent images are 0)
///   dX    dX[i, c, iy, ix] = Σ over the taps (ky, kx) in increasing order whose output pixel (oy, ox) =
///         (iy + PadTop − ky, ix + PadLeft − kx) is inside of  Σ_f W[f, c, ky, kx] · dY[i, f, oy, ox]
/// Register tiles of 3 channels x 2 neighbouring dX pixels (6 sums, 6 chains); each dX value is computed whole in
/// registers and stored once, through a 16x16 transpose back to the images' rows.
/// The bits are those of the im2col route (dColumns = Wᵀ · dY through the GEMM, then <see cref="Im2Col.Scatter"/>): that
/// GEMM sums each dColumns value as one fused multiply-add chain from 0 over f in increasing order (the packed kernels
/// and <see cref="GemmBroadcast"/> alike while F fits one <see cref="GemmBlocked.KC"/> slice), and the scatter adds a
/// dX value's taps from +0 in increasing (ky, kx), a tap outside the output adding +0 or nothing (the same: a sum from +0
/// is never −0). The same chains and the same additions run here, so the groups of the im2col route do not matter.
/// </summary>
[SkipLocalsInit]
internal static unsafe class Conv2dImplicitData
{
    /// <summary>Images per vector.</summary>
    internal const int Lanes = 16;

    /// <summary>Channels per register tile (a last block of 1 or 2 reads its last channel again and stores it once).</summary>
    internal const int ChannelBlock = 3;

    /// <summary>Most filters taken: measured only on LeNet-5's second layer (16); each dColumns chain must fit one GEMM
    /// depth slice (<see cref="GemmBlocked.KC"/>) for the im2col route's bits.</summary>
    internal const int MaxFilters = 16;

    /// <summary>Most floats of dYᵀ (256 KiB): 16 images' output gradients stay in L2 while every dX row reads them, and the
    /// scratch stays small (larger outputs keep the im2col route).</summary>
    internal const int MaxTransposedFloats = 64 * 1024;

    /// <summary>Smallest kernel taken: with fewer taps per dX pixel the transposes weigh more (3x3, 8 channels to 16
    /// filters, 11x11 outputs: 397-398 µs per 64 images against 340-341 through the GEMM and col2im).</summary>
    internal const int MinKernel = 5;

    /// <summary>Whether the convolution backward (<see cref="Conv2dKernels"/>) takes dX through here for <paramref name="shape"/>.
    /// Measured on LeNet-5's second layer (lanes of 64 images, one thread, thread CPU time): 312-352 µs against 464-602
    /// through the GEMM and col2im.</summary>
    internal static bool Applies(in Conv2dShape shape, InstructionSet path) =>
        path == InstructionSet.Avx512 && Avx512F.IsSupported && shape.Stride == 1 && shape.Kernel >= MinKernel && shape.Filters <= MaxFilters
        && (long)RoundUp(shape.OutputPixels) * shape.Filters * Lanes <= MaxTransposedFloats;

    private static int RoundUp(int value) => (value + Lanes - 1) / Lanes * Lanes;

    /// <summary>Scratch floats (0 where this path does not apply): dYᵀ [P rounded up to 16][F][16], one tile row's sums
    /// [3][W rounded up to 16][16] and a 16x16 block.</summary>
    internal static long ScratchFloats(in Conv2dShape shape) =>
        !Applies(shape, InstructionSet.Avx512) ? 0
        : (long)RoundUp(shape.OutputPixels) * shape.Filters * Lanes + (long)ChannelBlock * RoundUp(shape.Width) * Lanes + Lanes * Lanes;

    /// <param name="outputGradient">dY [B x F x OH x OW] (dZ when the layer has an activation).</param>
    /// <param name="weights">W [F x C x K x K].</param>
    /// <param name="inputGradient">dX [B x C x H x W], overwritten.</param>
    /// <param name="scratch">At least <see cref="ScratchFloats"/> floats.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void InputGradient(float* outputGradient, float* weights, in Conv2dShape shape, float* inputGradient, float* scratch, int rows)
    {
        int filters = shape.Filters, pixels = shape.OutputPixels, outputSize = shape.OutputSize, inputSize = shape.InputSize;
        int channels = shape.Channels, kernel = shape.Kernel, width = shape.Width, height = shape.Height, plane = height * width;
        int outputWidth = shape.OutputWidth, outputHeight = shape.OutputHeight, padTop = shape.PadTop, padLeft = shape.PadLeft;
        int patch = shape.PatchSize, taps = kernel * kernel, roundedWidth = RoundUp(width), pixelStride = filters * Lanes;
        float* transposed = scratch, sums = transposed + (long)RoundUp(pixels) * pixelStride, block = sums + (long)ChannelBlock * roundedWidth * Lanes;
        for (int first = 0; first < rows; first += Lanes)
        {
            int images = Math.Min(Lanes, rows - first);
            TransposeIn(outputGradient + (long)first * outputSize, shape, images, transposed, block);
            for (int c = 0; c < channels; c += ChannelBlock)
            {
                int count = Math.Min(ChannelBlock, channels - c);
                float* w0 = weights + (long)c * taps, w1 = weights + (long)Math.Min(c + 1, channels - 1) * taps, w2 = weights + (long)Math.Min(c + 2, channels - 1) * taps;
                for (int iy = 0; iy < height; iy++)
                {
                    // Taps ky with oy = iy + PadTop − ky in [0, OH).
                    int kyFirst = Math.Max(0, iy + padTop - outputHeight + 1), kyEnd = Math.Min(kernel, iy + padTop + 1);
                    for (int ix = 0; ix < width; ix += 2)
                    {
                        bool two = ix + 1 < width;
                        Vector512<float> s00 = Vector512<float>.Zero, s01 = s00, s02 = s00, s10 = s00, s11 = s00, s12 = s00;
                        for (int ky = kyFirst; ky < kyEnd; ky++)
                        {
                            int oy = iy + padTop - ky;
                            for (int kx = 0; kx < kernel; kx++)
                            {
                                // Pixel ix reads output column ox, pixel ix + 1 the next one.
                                int ox = ix + padLeft - kx, tap = ky * kernel + kx;
                                bool inside0 = (uint)ox < (uint)outputWidth, inside1 = two && (uint)(ox + 1) < (uint)outputWidth;
                                float* row = transposed + (long)(oy * outputWidth + ox) * pixelStride;
                                if (inside0 && inside1)
                                    Pair(row, row + pixelStride, w0 + tap, w1 + tap, w2 + tap, patch, filters, ref s00, ref s01, ref s02, ref s10, ref s11, ref s12);
                                else if (inside0) Single(row, w0 + tap, w1 + tap, w2 + tap, patch, filters, ref s00, ref s01, ref s02);
                                else if (inside1) Single(row + pixelStride, w0 + tap, w1 + tap, w2 + tap, patch, filters, ref s10, ref s11, ref s12);
                            }
                        }
                        float* target = sums + (long)ix * Lanes;
                        Vector512.Store(s00, target);
                        Vector512.Store(s01, target + roundedWidth * Lanes);
                        Vector512.Store(s02, target + 2L * roundedWidth * Lanes);
                        if (!two) continue;
                        Vector512.Store(s10, target + Lanes);
                        Vector512.Store(s11, target + roundedWidth * Lanes + Lanes);
                        Vector512.Store(s12, target + 2L * roundedWidth * Lanes + Lanes);
                    }
                    for (int k = 0; k < count; k++)
                        TransposeOut(sums + (long)k * roundedWidth * Lanes, width, images, inputGradient + (long)first * inputSize + (long)(c + k) * plane + (long)iy * width,
                            inputSize, (height - 1 - iy) * width, block);
                }
            }
        }
    }

    /// <summary>Two pixels (dYᵀ rows <paramref name="row0"/>, <paramref name="row1"/>) x 3 channels: six chains from 0 over f,
    /// each then added to its sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pair(float* row0, float* row1, float* w0, float* w1, float* w2, int patch, int filters,
        ref Vector512<float> s00, ref Vector512<float> s01, ref Vector512<float> s02, ref Vector512<float> s10, ref Vector512<float> s11, ref Vector512<float> s12)
    {
        Vector512<float> a00 = Vector512<float>.Zero, a01 = a00, a02 = a00, a10 = a00, a11 = a00, a12 = a00;
        for (int f = 0; f < filters; f++, row0 += Lanes, row1 += Lanes, w0 += patch, w1 += patch, w2 += patch)
        {
            Vector512<float> y0 = Vector512.Load(row0), y1 = Vector512.Load(row1);
            Vector512<float> x = Vector512.Create(*w0);
            a00 = Avx512F.FusedMultiplyAdd(x, y0, a00);
            a10 = Avx512F.FusedMultiplyAdd(x, y1, a10);
            x = Vector512.Create(*w1);
            a01 = Avx512F.FusedMultiplyAdd(x, y0, a01);
            a11 = Avx512F.FusedMultiplyAdd(x, y1, a11);
            x = Vector512.Create(*w2);
            a02 = Avx512F.FusedMultiplyAdd(x, y0, a02);
            a12 = Avx512F.FusedMultiplyAdd(x, y1, a12);
        }
        s00 += a00; s01 += a01; s02 += a02;
        s10 += a10; s11 += a11; s12 += a12;
    }

    /// <summary>One pixel x 3 channels: three chains from 0 over f, each then added to its sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Single(float* row, float* w0, float* w1, float* w2, int patch, int filters,
        ref Vector512<float> s0, ref Vector512<float> s1, ref Vector512<float> s2)
    {
        Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0;
        for (int f = 0; f < filters; f++, row += Lanes, w0 += patch, w1 += patch, w2 += patch)
        {
            Vector512<float> y = Vector512.Load(row);
            a0 = Avx512F.FusedMultiplyAdd(Vector512.Create(*w0), y, a0);
            a1 = Avx512F.FusedMultiplyAdd(Vector512.Create(*w1), y, a1);
            a2 = Avx512F.FusedMultiplyAdd(Vector512.Create(*w2), y, a2);
        }
        s0 += a0; s1 += a1; s2 += a2;
    }

    /// <summary>dYᵀ[p][f][j] = dY[j, f, p] for the group's images j &lt; <paramref name="images"/>, 0 for the absent ones;
    /// rows p past P (up to the next multiple of 16) get whatever the last block holds.</summary>
    private static void TransposeIn(float* outputGradient, in Conv2dShape shape, int images, float* transposed, float* block)
    {
        int filters = shape.Filters, pixels = shape.OutputPixels, outputSize = shape.OutputSize;
        long pixelStride = (long)filters * Lanes;
        for (int f = 0; f < filters; f++)
            for (int p0 = 0; p0 < pixels; p0 += Lanes)
            {
                float* source = outputGradient + (long)f * pixels + p0, target = transposed + p0 * pixelStride + (long)f * Lanes;
                int count = Math.Min(Lanes, pixels - p0);
                if (images == Lanes && count == Lanes)
                {
                    Transpose16.Block(source, outputSize, target, pixelStride);
                    continue;
                }
                // A short block: through a copy, so that no read leaves the group's images.
                for (int j = 0; j < Lanes; j++)
                {
                    float* copy = block + j * Lanes;
                    int valid = j < images ? count : 0;
                    for (int p = 0; p < valid; p++) copy[p] = source[(long)j * outputSize + p];
                    for (int p = valid; p < Lanes; p++) copy[p] = 0f;
                }
                Transpose16.Block(block, Lanes, target, pixelStride);
            }
    }

    /// <summary>One channel's dX row of the group: sums [W rounded up][16 images] to dX[j, row ..] for j &lt; images. A
    /// short last block is stored as a whole vector when its overshoot stays within the <paramref name="spare"/> floats of
    /// the plane's later rows (rewritten after this one).</summary>
    private static void TransposeOut(float* sums, int width, int images, float* target, int inputSize, int spare, float* block)
    {
        for (int x0 = 0; x0 < width; x0 += Lanes)
        {
            Transpose16.Block(sums + (long)x0 * Lanes, Lanes, block, Lanes);
            int count = Math.Min(Lanes, width - x0);
            for (int j = 0; j < images; j++)
            {
                float* source = block + j * Lanes, destination = target + (long)j * inputSize + x0;
                if (Lanes - count <= spare) Vector512.Store(Vector512.Load(source), destination);
                else for (int p = 0; p < count; p++) destination[p] = source[p];
            }
        }
    }
}
