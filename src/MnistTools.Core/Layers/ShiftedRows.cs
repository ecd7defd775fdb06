using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using MnistTools.Numerics;

namespace MnistTools.Layers;

/// <summary>
/// The rows of one image's im2col matrix (<see cref="Im2Col.Gather"/>, stride 1) without building it: for each channel c
/// and kernel column kx a shifted copy of the zero-padded plane,
///   copy[c, kx][r, ox] = X[c, r − PadTop, ox + kx − PadLeft]   (0 outside),  r &lt; OH + K − 1,  ox &lt; OW,
/// so that column row (c, ky, kx) is copy[c, kx] from row ky on: columns[(c·K + ky)·K + kx, oy·OW + ox] =
/// copy[c, kx][(oy + ky)·OW + ox]. C·K·(OH + K − 1)·OW floats instead of C·K·K·OH·OW (LeNet's first layer: 4,480
/// instead of 19,600, small enough to stay in L1 while the weight gradient's dot products read it 25 times).
/// </summary>
[SkipLocalsInit]
internal static unsafe class ShiftedRows
{
    /// <summary>Whether the weight gradient of <paramref name="shape"/> with one image per group goes through these rows:
    /// stride 1, and the product dW = dY · columnsᵀ on <see cref="GemmDirect"/>'s route (the route <see cref="Gemm"/>
    /// chooses for it from the same sizes, so the sums are the same).</summary>
    internal static bool Apply(in Conv2dShape shape, InstructionSet path) =>
        shape.Stride == 1 && GemmDirect.Applies(path, shape.PatchSize, shape.OutputPixels, transposeA: false, transposeB: true);

    /// <summary>Floats of the copies: C·K·(OH + K − 1)·OW (at most the im2col matrix of one image).</summary>
    internal static long Floats(in Conv2dShape shape) => (long)shape.Channels * shape.Kernel * (shape.OutputHeight + shape.Kernel - 1) * shape.OutputWidth;

    /// <summary>Floats past <see cref="Floats"/> that <see cref="Fill"/> may overwrite: a row's last vector of 16 runs past
    /// the row (into the next, written after it; past the last, into this slack).</summary>
    internal const int Overshoot = 15;

    private static readonly int[] s_lanes = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

    /// <param name="image">X [C x H x W] of one image.</param>
    /// <param name="copies">At least <see cref="Floats"/> + <see cref="Overshoot"/> floats, overwritten.</param>
    /// <param name="rows">[C·K·K]: set to where each column row starts (inside <paramref name="copies"/>).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Fill(float* image, in Conv2dShape shape, float* copies, float** rows)
    {
        int kernel = shape.Kernel, outputWidth = shape.OutputWidth, height = shape.OutputHeight + kernel - 1, width = shape.Width;
        // A row in whole vectors when its reads stay inside the image: each vector one load, its lanes outside
        // [first, end) masked to +0 (the zeros the scalar path writes), one store.
        bool vectors = Vector512.IsHardwareAccelerated;
        float* imageEnd = image + shape.InputSize;
        long rounded = (outputWidth + 15) / 16 * 16;
        Vector512<int> lanes = vectors ? Vector512.Create(s_lanes) : default;
        float* copy = copies;
        for (int c = 0; c < shape.Channels; c++)
            for (int kx = 0; kx < kernel; kx++, copy += (long)height * outputWidth)
            {
                // Output columns [first, end) read input columns ox + kx − PadLeft inside [0, W).
                int first = Math.Clamp(shape.PadLeft - kx, 0, outputWidth), end = Math.Clamp(width + shape.PadLeft - kx, first, outputWidth);
                for (int r = 0; r < height; r++)
                {
                    float* target = copy + (long)r * outputWidth;
                    int y = r - shape.PadTop;
                    if ((uint)y >= (uint)shape.Height)
                    {
                        new Span<float>(target, outputWidth).Clear();
                        continue;
                    }
                    float* source = image + ((long)c * shape.Height + y) * width + kx - shape.PadLeft;
                    if (vectors && source >= image && source + rounded <= imageEnd)
                    {
                        var valid = Vector512.Create((uint)(end - first));
                        for (int ox = 0; ox < outputWidth; ox += 16)
                        {
                            Vector512<float> keep = Vector512.LessThan((lanes + Vector512.Create(ox - first)).AsUInt32(), valid).AsSingle();
                            Vector512.Store(Vector512.Load(source + ox) & keep, target + ox);
                        }
                        continue;
                    }
                    for (int ox = 0; ox < first; ox++) target[ox] = 0f;
                    new ReadOnlySpan<float>(source + first, end - first).CopyTo(new Span<float>(target + first, end - first));
                    for (int ox = end; ox < outputWidth; ox++) target[ox] = 0f;
                }
                for (int ky = 0; ky < kernel; ky++) rows[(c * kernel + ky) * kernel + kx] = copy + (long)ky * outputWidth;
            }
    }
}
