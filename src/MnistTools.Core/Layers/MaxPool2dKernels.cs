using System.Runtime.CompilerServices;

namespace MnistTools.Layers;

/// <summary>
/// 2-D max pooling on a band of B images, NCHW; sizes in <see cref="MaxPool2dShape"/> (C channels, window S0 x S0,
/// stride S, OH x OW output).
///   forward   Y[i, c, oy, ox] = max of X[i, c, oy·S .. oy·S + S0 − 1, ox·S .. ox·S + S0 − 1]
///   backward  dX[i, c, y, x] = Σ over the windows whose first maximum is (y, x) of dY[i, c, oy, ox]
/// The window is scanned row by row; a value replaces the running maximum when it is greater, or when it is NaN and the
/// maximum is not: a window holding NaN gives NaN. The backward pass finds each window's first maximum again from X and
/// Y (the first value equal to Y, or the first NaN when Y is NaN), so nothing is saved between the passes; ties give
/// the whole gradient to the first of the tied values, as PyTorch does.
/// </summary>
internal static class MaxPool2dKernels
{
    /// <param name="input">X [B x C x H x W].</param>
    /// <param name="output">Y [B x C x OH x OW], overwritten.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxPool2dForward(ReadOnlySpan<float> input, in MaxPool2dShape shape, Span<float> output, int rows)
    {
        CheckSizes(shape, rows, input.Length, output.Length, "output");
        int planes = rows * shape.Channels, planeSize = shape.Height * shape.Width, outputPlane = shape.OutputHeight * shape.OutputWidth;
        for (int plane = 0; plane < planes; plane++)
        {
            ReadOnlySpan<float> x = input.Slice(plane * planeSize, planeSize);
            Span<float> y = output.Slice(plane * outputPlane, outputPlane);
            int o = 0;
            for (int oy = 0; oy < shape.OutputHeight; oy++)
                for (int ox = 0; ox < shape.OutputWidth; ox++, o++)
                {
                    int top = oy * shape.Stride * shape.Width + ox * shape.Stride;
                    float maximum = x[top];
                    for (int dy = 0; dy < shape.Size; dy++)
                    {
                        ReadOnlySpan<float> row = x.Slice(top + dy * shape.Width, shape.Size);
                        for (int dx = 0; dx < row.Length; dx++) maximum = Replaces(row[dx], maximum) ? row[dx] : maximum;
                    }
                    y[o] = maximum;
                }
        }
    }

    /// <param name="outputGradient">dY [B x C x OH x OW].</param>
    /// <param name="input">X [B x C x H x W], the forward input.</param>
    /// <param name="output">Y [B x C x OH x OW], the forward output.</param>
    /// <param name="inputGradient">dX [B x C x H x W], overwritten.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxPool2dBackward(ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> input, ReadOnlySpan<float> output,
        in MaxPool2dShape shape, Span<float> inputGradient, int rows)
    {
        CheckSizes(shape, rows, input.Length, output.Length, "output");
        if (outputGradient.Length < (long)rows * shape.OutputSize) throw new ArgumentException("dY is shorter than B·C·OH·OW.", nameof(outputGradient));
        if (inputGradient.Length < (long)rows * shape.InputSize) throw new ArgumentException("dX is shorter than B·C·H·W.", nameof(inputGradient));
        int planes = rows * shape.Channels, planeSize = shape.Height * shape.Width, outputPlane = shape.OutputHeight * shape.OutputWidth;
        inputGradient[..(planes * planeSize)].Clear();
        for (int plane = 0; plane < planes; plane++)
        {
            ReadOnlySpan<float> x = input.Slice(plane * planeSize, planeSize);
            ReadOnlySpan<float> y = output.Slice(plane * outputPlane, outputPlane);
            ReadOnlySpan<float> dy = outputGradient.Slice(plane * outputPlane, outputPlane);
            Span<float> dx = inputGradient.Slice(plane * planeSize, planeSize);
            int o = 0;
            for (int oy = 0; oy < shape.OutputHeight; oy++)
                for (int ox = 0; ox < shape.OutputWidth; ox++, o++)
                {
                    int at = FirstMaximum(x, oy * shape.Stride * shape.Width + ox * shape.Stride, shape.Width, shape.Size, y[o]);
                    dx[at] += dy[o];
                }
        }
    }

    /// <summary>Whether <paramref name="value"/> becomes the running maximum: greater, or NaN over a number.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool Replaces(float value, float maximum) => value > maximum || (float.IsNaN(value) && !float.IsNaN(maximum));

    /// <summary>The index in <paramref name="plane"/> of the window's first value equal to <paramref name="maximum"/> (NaN
    /// matches NaN); the window's first value when none matches (a Y that is not this window's maximum).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int FirstMaximum(ReadOnlySpan<float> plane, int top, int width, int size, float maximum)
    {
        bool nan = float.IsNaN(maximum);
        for (int dy = 0; dy < size; dy++)
        {
            int start = top + dy * width;
            ReadOnlySpan<float> row = plane.Slice(start, size);
            for (int dx = 0; dx < row.Length; dx++)
                if (row[dx] == maximum || (nan && float.IsNaN(row[dx]))) return start + dx;
        }
        return top;
    }

    private static void CheckSizes(in MaxPool2dShape shape, int rows, int inputLength, int outputLength, string outputName)
    {
        shape.Validate();
        if (rows < 0) throw new ArgumentOutOfRangeException(nameof(rows), "The row count must not be negative.");
        if (inputLength < (long)rows * shape.InputSize) throw new ArgumentException("X is shorter than B·C·H·W.", "input");
        if (outputLength < (long)rows * shape.OutputSize) throw new ArgumentException("Y is shorter than B·C·OH·OW.", outputName);
    }
}
