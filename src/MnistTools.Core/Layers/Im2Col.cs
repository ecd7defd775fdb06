using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using MnistTools.Numerics;

namespace MnistTools.Layers;

/// <summary>
/// The column matrix of a convolution over a group of g images, and its adjoint.
///   Gather   columns[(c·K + ky)·K + kx, i·OH·OW + oy·OW + ox] = X[i, c, oy·S − PadTop + ky, ox·S − PadLeft + kx]  (0 outside)
///   Scatter  dX[i, c, iy, ix] = Σ dColumns[...] over every (row, column) that Gather read (iy, ix) into
/// Columns [C·K·K x g·OH·OW]: row r holds one kernel tap for every output pixel of every image of the group, so the
/// forward product is W [F x C·K·K] · columns. Both directions keep <see cref="Slack"/> readable floats before and after
/// the columns. For stride 1 with vectors (<see cref="VectorWidth"/>):
/// <list type="bullet">
/// <item>Gather copies each output row's run of an input row in whole vectors and lets the last one run past the row:
///   it writes in increasing address order and writes every output row whole, so an overshoot is overwritten by the
///   writes after it; the last one lands in the slack. Reads stay inside the input.</item>
/// <item>Scatter (AVX-512, kernels up to 16) builds each dX row in registers, the same row of two channels side by side
///   (two independent sums, one mask per tap): for every tap (ky, kx) that reaches the row, one vector load of the
///   dColumns row shifted by the tap, its lanes outside the run masked to +0. No dX value is read back, and only the
///   group's own dX is written.</item>
/// </list>
/// Scatter sums each input element's contributions from +0 in increasing (ky, kx) on every path: the same bits whatever
/// the path or the group.
/// </summary>
[SkipLocalsInit]
internal static unsafe class Im2Col
{
    /// <summary>Floats before and after the columns that the vector paths may read (Scatter: a kernel tap's shift plus a
    /// vector, below 32 for kernels up to 16) or overwrite (Gather: below one vector).</summary>
    internal const int Slack = 32;

    /// <summary>Largest kernel the register path of Scatter takes (its shifted reads stay within <see cref="Slack"/>).</summary>
    internal const int MaxRegisterKernel = 16;

    /// <summary>Widest input the register path of Scatter takes: its lane masks, one per (16 columns, kx), fit on the stack.</summary>
    internal const int MaxRegisterWidth = 256;

    private static readonly int[] s_lanes = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

    /// <summary>Floats per vector for the row runs under <paramref name="path"/>: 16 (AVX-512), 8 (AVX2), 0 (element by element).</summary>
    internal static int VectorWidth(InstructionSet path) => path switch
    {
        InstructionSet.Avx512 when Vector512.IsHardwareAccelerated => 16,
        InstructionSet.Avx2 when Vector256.IsHardwareAccelerated => 8,
        _ => 0,
    };

    /// <param name="input">X [g x C x H x W], the group's first image.</param>
    /// <param name="inputEnd">The end of the readable input (reads stop there).</param>
    /// <param name="columns">Columns [C·K·K x g·OH·OW] between <see cref="Slack"/> floats each side, overwritten.</param>
    /// <param name="vector">16, 8 or 0 (see <see cref="VectorWidth"/>).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Gather(float* input, float* inputEnd, int images, in Conv2dShape shape, float* columns, int vector)
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
                    int count = end - first, rounded = vector == 0 ? int.MaxValue : (count + vector - 1) / vector * vector;
                    // Output rows [top, bottom) read input rows oy·S − PadTop + ky inside [0, H); the others are padding.
                    int top = Math.Min(outputHeight, FirstInside(shape.PadTop - ky, stride));
                    int bottom = Math.Max(top, Math.Min(outputHeight, FirstInside(height + shape.PadTop - ky, stride)));
                    bool whole = first == 0 && end == outputWidth;
                    for (int i = 0; i < images; i++)
                    {
                        float* destination = row + (long)i * pixels;
                        new Span<float>(destination, top * outputWidth).Clear();
                        float* source = input + (long)i * inputSize + (long)c * planeSize + (long)(top * stride - shape.PadTop + ky) * width + kx - shape.PadLeft;
                        float* target = destination + (long)top * outputWidth;
                        long sourceStep = (long)stride * width;
                        if (stride == 1 && vector != 0 && whole)
                        {
                            // The common case: no padding columns, one vector copy per row while the reads stay inside.
                            int oy = top;
                            for (; oy < bottom && source + rounded <= inputEnd; oy++, source += sourceStep, target += outputWidth)
                                CopyWhole(source, target, rounded, vector);
                            for (; oy < bottom; oy++, source += sourceStep, target += outputWidth) Copy(source, target, count);
                        }
                        else
                            for (int oy = top; oy < bottom; oy++, source += sourceStep, target += outputWidth)
                            {
                                // source[ox·S] is input column ox·S − PadLeft + kx: inside for first <= ox < end.
                                Clear(target, first);
                                if (stride != 1) for (int ox = first; ox < end; ox++) target[ox] = source[(long)ox * stride];
                                else if (vector != 0 && source + first + rounded <= inputEnd) CopyWhole(source + first, target + first, rounded, vector);
                                else Copy(source + first, target + first, count);
                                Clear(target + end, outputWidth - end);
                            }
                        new Span<float>(destination + (long)bottom * outputWidth, (outputHeight - bottom) * outputWidth).Clear();
                    }
                }
    }

    /// <summary>The first output index o with o·S &gt;= <paramref name="offset"/> (0 when the offset is not positive).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int FirstInside(int offset, int stride) => offset <= 0 ? 0 : (offset + stride - 1) / stride;

    /// <param name="columns">dColumns [C·K·K x g·OH·OW] between <see cref="Slack"/> readable floats each side.</param>
    /// <param name="inputGradient">dX [g x C x H x W], the group's first image; overwritten.</param>
    /// <param name="vector">16, 8 or 0 (see <see cref="VectorWidth"/>).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scatter(float* columns, int images, in Conv2dShape shape, float* inputGradient, int vector)
    {
        if (vector == 16 && shape.Stride == 1 && shape.Kernel <= MaxRegisterKernel && shape.Width <= MaxRegisterWidth)
        {
            ScatterRows(columns, images, shape, inputGradient);
            return;
        }
        new Span<float>(inputGradient, images * shape.InputSize).Clear();
        int kernel = shape.Kernel, stride = shape.Stride, width = shape.Width, height = shape.Height;
        int outputWidth = shape.OutputWidth, outputHeight = shape.OutputHeight, pixels = shape.OutputPixels;
        int inputSize = shape.InputSize, planeSize = height * width;
        float* gradientEnd = inputGradient + (long)images * inputSize;
        long rowLength = (long)images * pixels;
        float* row = columns;
        for (int c = 0; c < shape.Channels; c++)
            for (int ky = 0; ky < kernel; ky++)
                for (int kx = 0; kx < kernel; kx++, row += rowLength)
                {
                    (int first, int end) = ValidColumns(shape, kx);
                    int count = end - first, rounded = vector == 0 ? int.MaxValue : (count + vector - 1) / vector * vector;
                    for (int i = 0; i < images; i++)
                    {
                        float* plane = inputGradient + (long)i * inputSize + (long)c * planeSize;
                        float* source = row + (long)i * pixels;
                        for (int oy = 0; oy < outputHeight; oy++, source += outputWidth)
                        {
                            int iy = oy * stride - shape.PadTop + ky;
                            if ((uint)iy >= (uint)height) continue;
                            float* destination = plane + (long)iy * width + kx - shape.PadLeft;
                            if (stride != 1) for (int ox = first; ox < end; ox++) destination[(long)ox * stride] += source[ox];
                            else if (destination + first + rounded <= gradientEnd) AddMasked(source + first, destination + first, count, vector);
                            else Add(source + first, destination + first, count);
                        }
                    }
                }
    }

    /// <summary>Stride 1, AVX-512: each dX row [W] built in 16-lane registers from the shifted dColumns rows of every tap
    /// that reaches it, then stored once; two channels' rows at a time (LeNet-5's second layer: 12% less time for its dX
    /// than one at a time, one thread).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScatterRows(float* columns, int images, in Conv2dShape shape, float* inputGradient)
    {
        int kernel = shape.Kernel, width = shape.Width, height = shape.Height, outputWidth = shape.OutputWidth, outputHeight = shape.OutputHeight;
        int pixels = shape.OutputPixels, padTop = shape.PadTop, padLeft = shape.PadLeft;
        long rowLength = (long)images * pixels;
        Vector512<int> lanes = Vector512.Create(s_lanes);
        float* partial = stackalloc float[16];
        // keep[block·K + kx]: lane j of the 16 dX columns from x0 = 16·block takes tap kx when its output column
        // ox = x0 + j + PadLeft − kx is in [0, OW) and the column x0 + j is in the row; the same for every row and image.
        int blocks = (width + 15) / 16;
        Vector512<float>* keep = stackalloc Vector512<float>[blocks * kernel];
        for (int block = 0; block < blocks; block++)
        {
            int x0 = 16 * block;
            Vector512<int> inRow = Vector512.LessThan(lanes + Vector512.Create(x0), Vector512.Create(width));
            for (int kx = 0; kx < kernel; kx++)
            {
                Vector512<int> ox = lanes + Vector512.Create(x0 + padLeft - kx);
                keep[block * kernel + kx] = (Vector512.LessThan(ox.AsUInt32(), Vector512.Create((uint)outputWidth)).AsInt32() & inRow).AsSingle();
            }
        }
        int channels = shape.Channels, plane = height * width;
        long channelRows = (long)kernel * kernel * rowLength;
        for (int i = 0; i < images; i++)
            for (int c = 0; c < channels; c += 2)
            {
                // Channels c and c + 1 side by side (the same taps and masks, two independent sums); an odd last channel
                // is read twice and stored once.
                bool pair = c + 1 < channels;
                // Tap (c, ky, kx) of image i: dColumns row (c·K + ky)·K + kx, this image's P columns.
                float* taps = columns + c * channelRows + (long)i * pixels, otherTaps = pair ? taps + channelRows : taps;
                float* destination = inputGradient + ((long)i * channels + c) * plane;
                for (int iy = 0; iy < height; iy++, destination += width)
                {
                    // Taps ky with oy = iy + PadTop − ky in [0, OH).
                    int kyFirst = Math.Max(0, iy + padTop - outputHeight + 1), kyEnd = Math.Min(kernel, iy + padTop + 1);
                    for (int x0 = 0, block = 0; x0 < width; x0 += 16, block++)
                    {
                        // Lane j is dX column ix = x0 + j; tap kx reads output column ox = ix + PadLeft − kx.
                        Vector512<float>* masks = keep + block * kernel;
                        Vector512<float> sum = Vector512<float>.Zero, other = Vector512<float>.Zero;
                        for (int ky = kyFirst; ky < kyEnd; ky++)
                        {
                            int oy = iy + padTop - ky;
                            long start = (long)(ky * kernel) * rowLength + (long)oy * outputWidth + x0 + padLeft;
                            float* tapRow = taps + start, otherRow = otherTaps + start;
                            for (int kx = 0; kx < kernel; kx++, tapRow += rowLength, otherRow += rowLength)
                            {
                                Vector512<float> mask = masks[kx];
                                sum += Vector512.Load(tapRow - kx) & mask;
                                other += Vector512.Load(otherRow - kx) & mask;
                            }
                        }
                        int count = Math.Min(16, width - x0);
                        Store(sum, destination + x0, count, partial);
                        if (pair) Store(other, destination + plane + x0, count, partial);
                    }
                }
            }
    }

    /// <summary>The first <paramref name="count"/> lanes of <paramref name="sum"/> to <paramref name="destination"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector512<float> sum, float* destination, int count, float* partial)
    {
        if (count == 16)
        {
            Vector512.Store(sum, destination);
            return;
        }
        Vector512.Store(sum, partial);
        for (int j = 0; j < count; j++) destination[j] = partial[j];
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

    /// <summary>Copies <paramref name="count"/> floats, a whole number of vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyWhole(float* source, float* destination, int count, int vector)
    {
        if (vector == 16)
            for (int j = 0; j < count; j += 16) Vector512.Store(Vector512.Load(source + j), destination + j);
        else
            for (int j = 0; j < count; j += 8) Vector256.Store(Vector256.Load(source + j), destination + j);
    }

    /// <summary>destination[j] += source[j] for j &lt; count, in whole vectors; lanes past count add +0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddMasked(float* source, float* destination, int count, int vector)
    {
        int j = 0;
        if (vector == 16)
        {
            for (; j <= count - 16; j += 16) Vector512.Store(Vector512.Load(destination + j) + Vector512.Load(source + j), destination + j);
            if (j < count)
            {
                Vector512<float> keep = Vector512.LessThan(Vector512.Create(s_lanes), Vector512.Create(count - j)).AsSingle();
                Vector512.Store(Vector512.Load(destination + j) + (Vector512.Load(source + j) & keep), destination + j);
            }
        }
        else
        {
            for (; j <= count - 8; j += 8) Vector256.Store(Vector256.Load(destination + j) + Vector256.Load(source + j), destination + j);
            if (j < count)
            {
                Vector256<float> keep = Vector256.LessThan(Vector256.Create(s_lanes), Vector256.Create(count - j)).AsSingle();
                Vector256.Store(Vector256.Load(destination + j) + (Vector256.Load(source + j) & keep), destination + j);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Clear(float* destination, int count)
    {
        for (int j = 0; j < count; j++) destination[j] = 0f;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(float* source, float* destination, int count)
    {
        for (int j = 0; j < count; j++) destination[j] = source[j];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(float* source, float* destination, int count)
    {
        for (int j = 0; j < count; j++) destination[j] += source[j];
    }
}
