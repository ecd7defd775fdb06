using System.Runtime.CompilerServices;

namespace MnistTools.Layers;

/// <summary>
/// Average pooling on a lane of B images, NCHW.
/// 2-D windows (sizes in <see cref="MaxPool2dShape"/>: C channels, window K x K moved by stride S, valid windows only):
///   forward   Y[i, c, oy, ox] = (Σ of X[i, c, oy·S .. oy·S + K − 1, ox·S .. ox·S + K − 1], row by row) / K²
///   backward  dX[i, c, y, x] = Σ over the windows that cover (y, x) of dY[i, c, oy, ox] / K²
/// Global (one value per channel, S = H·W values a plane):
///   forward   Y[i, c] = (Σ X[i, c, :] in <see cref="BatchNormKernels.Sum"/>'s fixed order) / S
///   backward  dX[i, c, :] = dY[i, c] / S
/// Division by the window's size, as ONNX's AveragePool and PyTorch's avg_pool2d do.
/// </summary>
internal static class AvgPool2dKernels
{
    /// <param name="input">X [B x C x H x W].</param>
    /// <param name="output">Y [B x C x OH x OW], overwritten.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AvgPool2dForward(ReadOnlySpan<float> input, in MaxPool2dShape shape, Span<float> output, int rows)
    {
        CheckSizes(shape, rows, input.Length, output.Length);
        int planes = rows * shape.Channels, planeSize = shape.Height * shape.Width, outputPlane = shape.OutputHeight * shape.OutputWidth;
        int size = shape.Size, stride = shape.Stride, width = shape.Width;
        float area = size * size;
        for (int plane = 0; plane < planes; plane++)
        {
            ReadOnlySpan<float> source = input.Slice(plane * planeSize, planeSize);
            Span<float> target = output.Slice(plane * outputPlane, outputPlane);
            for (int oy = 0; oy < shape.OutputHeight; oy++)
                for (int ox = 0; ox < shape.OutputWidth; ox++)
                {
                    int corner = oy * stride * width + ox * stride;
                    float sum = 0f;
                    for (int ky = 0; ky < size; ky++)
                    {
                        ReadOnlySpan<float> line = source.Slice(corner + ky * width, size);
                        for (int kx = 0; kx < size; kx++) sum += line[kx];
                    }
                    target[oy * shape.OutputWidth + ox] = sum / area;
                }
        }
    }

    /// <param name="outputGradient">dY [B x C x OH x OW].</param>
    /// <param name="inputGradient">dX [B x C x H x W], overwritten (0 where no window reads).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AvgPool2dBackward(ReadOnlySpan<float> outputGradient, in MaxPool2dShape shape, Span<float> inputGradient, int rows)
    {
        CheckSizes(shape, rows, inputGradient.Length, outputGradient.Length);
        int planes = rows * shape.Channels, planeSize = shape.Height * shape.Width, outputPlane = shape.OutputHeight * shape.OutputWidth;
        int size = shape.Size, stride = shape.Stride, width = shape.Width;
        float area = size * size;
        inputGradient.Slice(0, planes * planeSize).Clear();
        for (int plane = 0; plane < planes; plane++)
        {
            ReadOnlySpan<float> source = outputGradient.Slice(plane * outputPlane, outputPlane);
            Span<float> target = inputGradient.Slice(plane * planeSize, planeSize);
            // Windows in output order, each adding its share to its K x K inputs: overlapping windows add in that order.
            for (int oy = 0; oy < shape.OutputHeight; oy++)
                for (int ox = 0; ox < shape.OutputWidth; ox++)
                {
                    float share = source[oy * shape.OutputWidth + ox] / area;
                    int corner = oy * stride * width + ox * stride;
                    for (int ky = 0; ky < size; ky++)
                    {
                        Span<float> line = target.Slice(corner + ky * width, size);
                        for (int kx = 0; kx < size; kx++) line[kx] += share;
                    }
                }
        }
    }

    /// <param name="input">X [B x C x S].</param>
    /// <param name="output">Y [B x C], overwritten.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GlobalAvgPoolForward(ReadOnlySpan<float> input, int channels, int spatial, Span<float> output, int rows)
    {
        CheckGlobal(channels, spatial, rows, input.Length, output.Length);
        for (int plane = 0; plane < rows * channels; plane++)
            output[plane] = (float)(BatchNormKernels.Sum(input.Slice(plane * spatial, spatial)) / spatial);
    }

    /// <param name="outputGradient">dY [B x C].</param>
    /// <param name="inputGradient">dX [B x C x S], overwritten.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GlobalAvgPoolBackward(ReadOnlySpan<float> outputGradient, int channels, int spatial, Span<float> inputGradient, int rows)
    {
        CheckGlobal(channels, spatial, rows, inputGradient.Length, outputGradient.Length);
        for (int plane = 0; plane < rows * channels; plane++)
            inputGradient.Slice(plane * spatial, spatial).Fill(outputGradient[plane] / spatial);
    }

    private static void CheckSizes(in MaxPool2dShape shape, int rows, int inputLength, int outputLength)
    {
        shape.Validate();
        if (rows < 0) throw new ArgumentOutOfRangeException(nameof(rows));
        if (inputLength < (long)rows * shape.InputSize) throw new ArgumentException("X (or dX) is shorter than B·C·H·W.", nameof(inputLength));
        if (outputLength < (long)rows * shape.OutputSize) throw new ArgumentException("Y (or dY) is shorter than B·C·OH·OW.", nameof(outputLength));
    }

    private static void CheckGlobal(int channels, int spatial, int rows, int inputLength, int outputLength)
    {
        if (channels < 1 || spatial < 1 || rows < 0) throw new ArgumentOutOfRangeException(nameof(channels), "C ≥ 1, S ≥ 1 and B ≥ 0 are required.");
        if (inputLength < (long)rows * channels * spatial) throw new ArgumentException("X (or dX) is shorter than B·C·S.", nameof(inputLength));
        if (outputLength < (long)rows * channels) throw new ArgumentException("Y (or dY) is shorter than B·C.", nameof(outputLength));
    }
}
