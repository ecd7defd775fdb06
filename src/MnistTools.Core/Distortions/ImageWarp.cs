using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MnistTools.Numerics;
using MnistTools.Training;

namespace MnistTools.Distortions;

/// <summary>
/// The geometric kernels of the distortions, on one image of H rows and W columns. Pixel coordinates: (x, y) is the
/// centre of column x, row y. Outside the picture is black (0), as MNIST's background.
///   <see cref="Pad"/>       padded [(H+2) x (W+2)] = the image / 255 with a one-pixel black border, so that
///                           <see cref="Sample"/> needs no bounds checks inside (-1, W) x (-1, H)
///   <see cref="Shift"/>     Y[y, x] = X[y − dy, x − dx] / 255 (whole pixels: no interpolation)
///   <see cref="Affine"/>    Y[p] = sample(X, c + M·(p − c) − t), c the centre ((W−1)/2, (H−1)/2)
///   <see cref="Displace"/>  Y[y, x] = sample(X, (x + Dx[y, x], y + Dy[y, x]))
///   <see cref="Smooth"/>    D ← G ∗ D: a separable Gaussian over a field [H x stride], black outside
/// sample() is bilinear; every output is a float in [0, 1] (a convex mix of pixels / 255).
/// </summary>
internal static class ImageWarp
{
    /// <summary>Floats of the padded source of an image of <paramref name="rows"/> x <paramref name="columns"/>.</summary>
    public static int PaddedSize(int rows, int columns) => (rows + 2) * (columns + 2);

    /// <param name="pixels">X [H x W] grey levels.</param>
    /// <param name="padded">[(H+2) x (W+2)], overwritten: the border 0, the inside X / 255 (exact, <see cref="PixelScaling"/>).</param>
    public static void Pad(ReadOnlySpan<byte> pixels, int rows, int columns, Span<float> padded)
    {
        int stride = columns + 2;
        padded.Slice(0, PaddedSize(rows, columns)).Clear();
        for (int y = 0; y < rows; y++)
            PixelScaling.ToInputs(pixels.Slice(y * columns, columns), padded.Slice((y + 1) * stride + 1, columns));
    }

    /// <summary>The bilinear value of the padded image at (x, y); 0 outside (-1, W) x (-1, H) and for NaN coordinates.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sample(ReadOnlySpan<float> padded, int rows, int columns, float x, float y)
    {
        if (!(x > -1f && x < columns && y > -1f && y < rows)) return 0f;
        float left = MathF.Floor(x), top = MathF.Floor(y);
        float fx = x - left, fy = y - top;
        int stride = columns + 2, at = ((int)top + 1) * stride + (int)left + 1;
        float upper = padded[at] + fx * (padded[at + 1] - padded[at]);
        float lower = padded[at + stride] + fx * (padded[at + stride + 1] - padded[at + stride]);
        return upper + fy * (lower - upper);
    }

    /// <summary>Y = X moved right by <paramref name="dx"/> and down by <paramref name="dy"/> whole pixels, / 255.</summary>
    /// <param name="pixels">X [H x W].</param>
    /// <param name="output">Y [H x W], overwritten.</param>
    public static void Shift(ReadOnlySpan<byte> pixels, int rows, int columns, int dx, int dy, Span<float> output)
    {
        output = output.Slice(0, rows * columns);
        output.Clear();
        int firstX = Math.Max(0, dx), endX = Math.Min(columns, columns + dx);
        if (endX <= firstX) return;
        for (int y = Math.Max(0, dy); y < Math.Min(rows, rows + dy); y++)
            PixelScaling.ToInputs(pixels.Slice((y - dy) * columns + firstX - dx, endX - firstX), output.Slice(y * columns + firstX, endX - firstX));
    }

    /// <summary>Y[p] = sample(padded, c + M·(p − c) − t) for every pixel p.</summary>
    /// <param name="padded">The source from <see cref="Pad"/>.</param>
    /// <param name="output">Y [H x W], overwritten.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Affine(ReadOnlySpan<float> padded, in AffineMap map, int rows, int columns, Span<float> output)
    {
        float cx = (columns - 1) * 0.5f, cy = (rows - 1) * 0.5f;
        for (int y = 0; y < rows; y++)
        {
            float v = y - cy;
            float rowX = cx + map.M01 * v - map.Tx, rowY = cy + map.M11 * v - map.Ty;
            int x = 0;
            if (UseGather)
            {
                Vector256<float> m00 = Vector256.Create(map.M00), m10 = Vector256.Create(map.M10);
                Vector256<float> startX = Vector256.Create(rowX), startY = Vector256.Create(rowY), centre = Vector256.Create(cx);
                for (; x <= columns - 8; x += 8)
                {
                    Vector256<float> u = Vector256.ConvertToSingle(Vector256.Create(x) + Lanes) - centre;
                    Sample8(padded, rows, columns, startX + m00 * u, startY + m10 * u, output.Slice(y * columns + x, 8));
                }
            }
            for (; x < columns; x++)
            {
                float u = x - cx;
                output[y * columns + x] = Sample(padded, rows, columns, rowX + map.M00 * u, rowY + map.M10 * u);
            }
        }
    }

    /// <summary>Y[y, x] = sample(padded, x + Dx[y, x], y + Dy[y, x]).</summary>
    /// <param name="padded">The source from <see cref="Pad"/>.</param>
    /// <param name="fieldX">Dx [H x stride] (columns beyond W unread).</param>
    /// <param name="fieldY">Dy [H x stride].</param>
    /// <param name="output">Y [H x W], overwritten.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Displace(ReadOnlySpan<float> padded, ReadOnlySpan<float> fieldX, ReadOnlySpan<float> fieldY, int rows, int columns, int stride,
        Span<float> output)
    {
        for (int y = 0; y < rows; y++)
        {
            int x = 0;
            if (UseGather)
            {
                Vector256<float> row = Vector256.Create((float)y);
                for (; x <= columns - 8; x += 8)
                    Sample8(padded, rows, columns, Vector256.ConvertToSingle(Vector256.Create(x) + Lanes) + Vector256.Create<float>(fieldX.Slice(y * stride + x, 8)),
                        row + Vector256.Create<float>(fieldY.Slice(y * stride + x, 8)), output.Slice(y * columns + x, 8));
            }
            for (; x < columns; x++)
                output[y * columns + x] = Sample(padded, rows, columns, x + fieldX[y * stride + x], y + fieldY[y * stride + x]);
        }
    }

    /// <summary>Whether 8 samples go at once through AVX2 gathers (the same operations as <see cref="Sample"/>, so the same bits).</summary>
    private static bool UseGather => Avx2.IsSupported && ComputeSettings.InstructionSet != InstructionSet.Portable;

    private static readonly Vector256<int> Lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);

    /// <summary><see cref="Sample"/> at 8 points: lanes outside (-1, W) x (-1, H) or NaN read pixel (0, 0) and give 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Sample8(ReadOnlySpan<float> padded, int rows, int columns, Vector256<float> x, Vector256<float> y, Span<float> output)
    {
        Vector256<float> inside = Vector256.GreaterThan(x, Vector256.Create(-1f)) & Vector256.LessThan(x, Vector256.Create((float)columns))
            & Vector256.GreaterThan(y, Vector256.Create(-1f)) & Vector256.LessThan(y, Vector256.Create((float)rows));
        x = inside & x;
        y = inside & y;
        Vector256<float> left = Vector256.Floor(x), top = Vector256.Floor(y);
        Vector256<float> fx = x - left, fy = y - top;
        int stride = columns + 2;
        Vector256<int> at = (Vector256.ConvertToInt32(top) + Vector256<int>.One) * Vector256.Create(stride) + Vector256.ConvertToInt32(left) + Vector256<int>.One;
        fixed (float* source = padded)
        {
            Vector256<float> a = Avx2.GatherVector256(source, at, 4), b = Avx2.GatherVector256(source + 1, at, 4);
            Vector256<float> c = Avx2.GatherVector256(source + stride, at, 4), d = Avx2.GatherVector256(source + stride + 1, at, 4);
            Vector256<float> upper = a + fx * (b - a), lower = c + fx * (d - c);
            (inside & (upper + fy * (lower - upper))).CopyTo(output);
        }
    }

    /// <summary>Row length of a field: the columns rounded up to whole vectors of 8.</summary>
    public static int FieldStride(int columns) => (columns + 7) & ~7;

    /// <summary>
    /// Taps of a Gaussian of standard deviation <paramref name="sigma"/> over offsets −r..r, r = ⌈3σ⌉, summing to 1,
    /// times <paramref name="gain"/> (computed in double, rounded once).
    /// </summary>
    public static float[] GaussianTaps(double sigma, double gain = 1)
    {
        int radius = (int)Math.Ceiling(3 * sigma);
        var weights = new double[2 * radius + 1];
        double sum = 0;
        for (int k = -radius; k <= radius; k++) sum += weights[k + radius] = Math.Exp(-0.5 * k * k / (sigma * sigma));
        var taps = new float[weights.Length];
        for (int i = 0; i < taps.Length; i++) taps[i] = (float)(weights[i] / sum * gain);
        return taps;
    }

    /// <summary>Floats of <see cref="Smooth"/>'s row scratch for a field of this stride and these taps.</summary>
    public static int RowScratchSize(int stride, int taps) => stride + taps - 1;

    /// <summary>
    /// field ← columnTaps ∗ (rowTaps ∗ field): the horizontal pass along each row, then the vertical pass down each
    /// column, values beyond the H x W field taken as 0. Vectorised over 8 columns (four vectors at a time, each its own sum); every sum runs in tap order.
    /// </summary>
    /// <param name="field">D [H x stride]; columns W..stride are overwritten with the smoothed spill (never read as input).</param>
    /// <param name="rowTaps">Horizontal taps, odd count 2r+1.</param>
    /// <param name="columnTaps">Vertical taps, the same count.</param>
    /// <param name="rowScratch">[stride + 2r].</param>
    /// <param name="temporary">[H x stride].</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Smooth(Span<float> field, int rows, int columns, int stride, ReadOnlySpan<float> rowTaps, ReadOnlySpan<float> columnTaps,
        Span<float> rowScratch, Span<float> temporary)
    {
        int taps = rowTaps.Length, radius = taps / 2;
        if (stride % 8 != 0 || stride < columns || columnTaps.Length != taps || taps % 2 == 0) throw new ArgumentException("Bad field stride or taps.");
        if (field.Length < rows * stride || temporary.Length < rows * stride || rowScratch.Length < RowScratchSize(stride, taps))
            throw new ArgumentException("A buffer is too short for the field.");
        rowScratch = rowScratch.Slice(0, RowScratchSize(stride, taps));
        ref float line = ref MemoryMarshal.GetReference(rowScratch);
        ref float middle = ref MemoryMarshal.GetReference(temporary);
        ref float target = ref MemoryMarshal.GetReference(field);
        for (int y = 0; y < rows; y++)
        {
            rowScratch.Clear();
            field.Slice(y * stride, columns).CopyTo(rowScratch.Slice(radius));
            // temporary[y, x] = Σ_k rowTaps[k] · line[x + k]
            WeightedRow(ref line, 0, 1, rowTaps, 0, taps, stride, ref Unsafe.Add(ref middle, y * stride));
        }
        for (int y = 0; y < rows; y++)
        {
            // field[y, x] = Σ_k columnTaps[k] · temporary[y + k − r, x], over the rows inside the field
            int first = Math.Max(0, radius - y), end = Math.Min(taps, rows + radius - y);
            WeightedRow(ref middle, (y - radius) * stride, stride, columnTaps, first, end, stride, ref Unsafe.Add(ref target, y * stride));
        }
    }

    /// <summary>
    /// destination[x] = Σ_(k = first .. end − 1) taps[k] · source[offset + k·step + x] for x in [0, width), width a multiple
    /// of 8; four vectors at a time, each its own sum in tap order. Every index read is inside source (the offset alone
    /// may be negative), so no reference ever points outside the buffer.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WeightedRow(ref float source, int offset, int step, ReadOnlySpan<float> taps, int first, int end, int width, ref float destination)
    {
        int x = 0;
        for (; x + 32 <= width; x += 32)
        {
            Vector256<float> sum0 = Vector256<float>.Zero, sum1 = sum0, sum2 = sum0, sum3 = sum0;
            for (int k = first; k < end; k++)
            {
                var tap = Vector256.Create(taps[k]);
                ref float at = ref Unsafe.Add(ref source, offset + k * step + x);
                sum0 += tap * Vector256.LoadUnsafe(ref at);
                sum1 += tap * Vector256.LoadUnsafe(ref at, 8);
                sum2 += tap * Vector256.LoadUnsafe(ref at, 16);
                sum3 += tap * Vector256.LoadUnsafe(ref at, 24);
            }
            sum0.StoreUnsafe(ref destination, (nuint)x);
            sum1.StoreUnsafe(ref destination, (nuint)(x + 8));
            sum2.StoreUnsafe(ref destination, (nuint)(x + 16));
            sum3.StoreUnsafe(ref destination, (nuint)(x + 24));
        }
        for (; x < width; x += 8)
        {
            Vector256<float> sum = Vector256<float>.Zero;
            for (int k = first; k < end; k++) sum += Vector256.Create(taps[k]) * Vector256.LoadUnsafe(ref Unsafe.Add(ref source, offset + k * step + x));
            sum.StoreUnsafe(ref destination, (nuint)x);
        }
    }
}

/// <summary>
/// The linear part M (row-major 2x2) and the shift t of an affine distortion: the output at p is the source at
/// c + M·(p − c) − t, c the image centre.
/// </summary>
internal readonly record struct AffineMap(float M00, float M01, float M10, float M11, float Tx, float Ty)
{
    public static AffineMap Identity => new(1, 0, 0, 1, 0, 0);

    /// <summary>
    /// The map that shows the source rotated by <paramref name="radians"/>, sheared by <paramref name="shear"/>, scaled by
    /// <paramref name="scale"/> and moved by (tx, ty): M = (Sh(shear)⁻¹ · R(radians)⁻¹) / scale, computed in double.
    /// </summary>
    public static AffineMap From(double radians, double scale, double shear, double tx, double ty)
    {
        double cos = Math.Cos(radians), sin = Math.Sin(radians);
        // R⁻¹ = [[cos, sin], [−sin, cos]]; Sh⁻¹ = [[1, −shear], [0, 1]].
        double m00 = cos + shear * sin, m01 = sin - shear * cos, m10 = -sin, m11 = cos;
        return new AffineMap((float)(m00 / scale), (float)(m01 / scale), (float)(m10 / scale), (float)(m11 / scale), (float)tx, (float)ty);
    }
}
