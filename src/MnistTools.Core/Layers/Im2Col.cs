using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MnistTools.Layers;

/// <summary>
/// The column matrix of a convolution over a group of g images, and its adjoint.
///   Gather   columns[(c·K + ky)·K + kx, i·OH·OW + oy·OW + ox] = X[i, c, oy·S − PadTop + ky, ox·S − PadLeft + kx]  (0 outside)
///   Scatter  dX[i, c, iy, ix] += dColumns[...] over every (row, column) that Gather read (iy, ix) into
/// Columns [C·K·K x g·OH·OW]: row r holds one kernel tap for every output pixel of every image of the group, so the
/// forward product is W [F x C·K·K] · columns. For stride 1 each output row's taps are one contiguous run of an input row.
/// Scatter adds each input element's contributions in increasing (ky, kx): the same order whatever the group.
/// </summary>
[SkipLocalsInit]
internal static unsafe class Im2Col
{
    /// <param name="input">X [g x C x H x W], the group's first image.</param>
    /// <param name="columns">Columns [C·K·K x g·OH·OW], overwritten.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Gather(float* input, int images, in Conv2dShape shape, float* columns)
    {
        int kernel = shape.Kernel, stride = shape.Stride, width = shape.Width, height = shape.Height;
        int outputWidth = shape.OutputWidth, outputHeight = shape.OutputHeight, pixels = shape.OutputPixels;
        int inputSize = shape.InputSize, planeSize = height * width;
        long rowLength = (long)images * pixels;
        float* row = columns;
        for (int c = 0; c < shape.Channels; c++)
            for (int ky = 0; ky < kernel; ky++)
                for (int kx = 0; kx < kernel; kx++, row += rowLength)
                {
                    (int first, int end) = ValidColumns(shape, kx);
                    for (int i = 0; i < images; i++)
                    {
                        float* plane = input + (long)i * inputSize + (long)c * planeSize;
                        float* destination = row + (long)i * pixels;
                        for (int oy = 0; oy < outputHeight; oy++, destination += outputWidth)
                        {
                            int iy = oy * stride - shape.PadTop + ky;
                            if ((uint)iy >= (uint)height)
                            {
                                Clear(destination, outputWidth);
                                continue;
                            }
                            // source[ox·S] is input column ox·S − PadLeft + kx: valid for first <= ox < end.
                            float* source = plane + (long)iy * width + kx - shape.PadLeft;
                            Clear(destination, first);
                            if (stride == 1) Copy(source + first, destination + first, end - first);
                            else for (int ox = first; ox < end; ox++) destination[ox] = source[(long)ox * stride];
                            Clear(destination + end, outputWidth - end);
                        }
                    }
                }
    }

    /// <param name="columns">dColumns [C·K·K x g·OH·OW].</param>
    /// <param name="inputGradient">dX [g x C x H x W], the group's first image; added to (clear it first).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scatter(float* columns, int images, in Conv2dShape shape, float* inputGradient)
    {
        int kernel = shape.Kernel, stride = shape.Stride, width = shape.Width, height = shape.Height;
        int outputWidth = shape.OutputWidth, outputHeight = shape.OutputHeight, pixels = shape.OutputPixels;
        int inputSize = shape.InputSize, planeSize = height * width;
        long rowLength = (long)images * pixels;
        float* row = columns;
        for (int c = 0; c < shape.Channels; c++)
            for (int ky = 0; ky < kernel; ky++)
                for (int kx = 0; kx < kernel; kx++, row += rowLength)
                {
                    (int first, int end) = ValidColumns(shape, kx);
                    for (int i = 0; i < images; i++)
                    {
                        float* plane = inputGradient + (long)i * inputSize + (long)c * planeSize;
                        float* source = row + (long)i * pixels;
                        for (int oy = 0; oy < outputHeight; oy++, source += outputWidth)
                        {
                            int iy = oy * stride - shape.PadTop + ky;
                            if ((uint)iy >= (uint)height) continue;
                            float* destination = plane + (long)iy * width + kx - shape.PadLeft;
                            if (stride == 1) Add(source + first, destination + first, end - first);
                            else for (int ox = first; ox < end; ox++) destination[(long)ox * stride] += source[ox];
                        }
                    }
                }
    }

    /// <summary>The output columns [first, end) whose tap <paramref name="kx"/> falls inside the input (empty: first == end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (int First, int End) ValidColumns(in Conv2dShape shape, int kx)
    {
        // Input column ox·S − PadLeft + kx must be in [0, W).
        int low = shape.PadLeft - kx, high = shape.Width - 1 + shape.PadLeft - kx;
        int first = low <= 0 ? 0 : (low + shape.Stride - 1) / shape.Stride;
        int end = high < 0 ? 0 : Math.Min(shape.OutputWidth, high / shape.Stride + 1);
        first = Math.Min(first, shape.OutputWidth);
        return (first, Math.Max(first, end));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Clear(float* destination, int count)
    {
        int j = 0;
        for (; j <= count - 8; j += 8) Vector256.Store(Vector256<float>.Zero, destination + j);
        for (; j < count; j++) destination[j] = 0f;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(float* source, float* destination, int count)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; j <= count - 16; j += 16) Vector512.Store(Vector512.Load(source + j), destination + j);
        for (; j <= count - 8; j += 8) Vector256.Store(Vector256.Load(source + j), destination + j);
        for (; j < count; j++) destination[j] = source[j];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(float* source, float* destination, int count)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; j <= count - 16; j += 16) Vector512.Store(Vector512.Load(destination + j) + Vector512.Load(source + j), destination + j);
        for (; j <= count - 8; j += 8) Vector256.Store(Vector256.Load(destination + j) + Vector256.Load(source + j), destination + j);
        for (; j < count; j++) destination[j] += source[j];
    }
}
