namespace MnistTools.Layers;

/// <summary>
/// The sizes of one 2-D convolution. Per image: input X [Channels x Height x Width], weights W [Filters x Channels x
/// Kernel x Kernel] then biases b [Filters], output Y [Filters x OutputHeight x OutputWidth]. Output pixel (oy, ox) reads
/// input rows oy·Stride − PadTop .. + Kernel − 1 and columns ox·Stride − PadLeft .. + Kernel − 1; positions outside the
/// input read zero. The bottom and right padding are whatever the output size needs (see <see cref="PadBottom"/>).
/// </summary>
internal readonly record struct Conv2dShape(int Channels, int Height, int Width, int Filters, int Kernel, int Stride,
    int PadTop, int PadLeft, int OutputHeight, int OutputWidth)
{
    /// <summary>Images per im2col group target this many GEMM columns (group × OutputHeight × OutputWidth): on the Keras
    /// net's second convolution 4 images (484 columns) ran faster than 1 or 2 and as fast as 8, in less scratch.</summary>
    internal const int GroupColumns = 512;

    /// <summary>The shape of a convolution with <paramref name="padding"/>'s rule (see <see cref="Layers.Padding"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or no output pixel fits.</exception>
    public static Conv2dShape Create(int channels, int height, int width, int filters, int kernel, int stride, Padding padding)
    {
        if (channels < 1 || height < 1 || width < 1 || filters < 1 || kernel < 1 || stride < 1)
            throw new ArgumentOutOfRangeException(nameof(channels), "Every convolution size must be positive.");
        int outputHeight = OutputExtent(height, kernel, stride, padding, out int padTop);
        int outputWidth = OutputExtent(width, kernel, stride, padding, out int padLeft);
        if (outputHeight < 1 || outputWidth < 1)
            throw new ArgumentOutOfRangeException(nameof(kernel), $"A {kernel}x{kernel} kernel does not fit a {height}x{width} input.");
        var shape = new Conv2dShape(channels, height, width, filters, kernel, stride, padTop, padLeft, outputHeight, outputWidth);
        shape.Validate();
        return shape;
    }

    /// <summary>Output pixels along one axis of <paramref name="input"/> values (below 1: none fit), and the padding before.</summary>
    public static int OutputExtent(int input, int kernel, int stride, Padding padding, out int padBefore)
    {
        if (padding == Padding.Valid)
        {
            padBefore = 0;
            return input < kernel ? 0 : (input - kernel) / stride + 1;
        }
        int output = (int)(((long)input + stride - 1) / stride);
        long total = Math.Max((long)(output - 1) * stride + kernel - input, 0);
        padBefore = (int)(total / 2);
        return output;
    }

    /// <summary>Zero rows below the input that the last output row reads (0 .. Kernel − 1).</summary>
    public int PadBottom => Math.Max((OutputHeight - 1) * Stride + Kernel - PadTop - Height, 0);

    /// <summary>Zero columns right of the input that the last output column reads (0 .. Kernel − 1).</summary>
    public int PadRight => Math.Max((OutputWidth - 1) * Stride + Kernel - PadLeft - Width, 0);

    /// <summary>Floats of one input image, C·H·W.</summary>
    public int InputSize => Channels * Height * Width;

    /// <summary>Floats of one output image, F·OH·OW.</summary>
    public int OutputSize => Filters * OutputPixels;

    /// <summary>Output pixels of one image, OH·OW.</summary>
    public int OutputPixels => OutputHeight * OutputWidth;

    /// <summary>Input values one output pixel reads, C·K·K: the GEMM depth of the forward product.</summary>
    public int PatchSize => Channels * Kernel * Kernel;

    /// <summary>Weights, F·C·K·K (the biases follow them: <see cref="Filters"/> more).</summary>
    public int WeightCount => Filters * PatchSize;

    /// <summary>Multiply-adds of the forward pass for one image, F·C·K·K·OH·OW.</summary>
    public long MultiplyAdds => (long)WeightCount * OutputPixels;

    /// <summary>Images per im2col group for a lane of <paramref name="rows"/> images: about <see cref="GroupColumns"/>
    /// GEMM columns, at least one image. Groups are [0, g), [g, 2g), ...: they depend only on the shape and the row count.</summary>
    public int ImagesPerGroup(int rows) => Math.Clamp(GroupColumns / OutputPixels, 1, Math.Max(rows, 1));

    /// <summary>Scratch floats <see cref="Conv2dKernels"/> needs for a lane of <paramref name="rows"/> images: the im2col
    /// columns [C·K·K x g·OH·OW], one group's GEMM output or gathered gradient [F x g·OH·OW], and the slack before and
    /// after them that the vector row copies may touch (<see cref="Im2Col.Slack"/>); or, if more, what the direct
    /// forward paths need (<see cref="Conv2dDirect.ScratchFloats"/>, <see cref="Conv2dImplicit.ScratchFloats"/>), the weight gradient's
    /// (<see cref="Conv2dImplicitWeights.ScratchFloats"/>), the input gradient's (<see cref="Conv2dImplicitData.ScratchFloats"/>) or, under
    /// the Winograd setting on the calling thread, <see cref="Conv2dWinograd.ScratchFloats"/>.</summary>
    public int ScratchFloats(int rows)
    {
        long columns = (long)ImagesPerGroup(rows) * OutputPixels;
        long direct = Math.Max(Math.Max(Math.Max(Conv2dDirect.ScratchFloats(this), Conv2dImplicit.ScratchFloats(this)), Conv2dWinograd.ScratchFloats(this, rows)),
            Math.Max(Conv2dImplicitWeights.ScratchFloats(this), Conv2dImplicitData.ScratchFloats(this)));
        return checked((int)Math.Max((PatchSize + (long)Filters) * columns + 2 * Im2Col.Slack, direct));
    }

    /// <summary>Throws when the sizes are inconsistent (a shape not made by <see cref="Create"/>).</summary>
    public void Validate()
    {
        if (Channels < 1 || Height < 1 || Width < 1 || Filters < 1 || Kernel < 1 || Stride < 1 || OutputHeight < 1 || OutputWidth < 1)
            throw new ArgumentOutOfRangeException(nameof(Conv2dShape), $"Invalid convolution shape {this}.");
        if ((long)Channels * Height * Width > int.MaxValue || (long)Filters * OutputHeight * OutputWidth > int.MaxValue
            || (long)Filters * Channels * Kernel * Kernel > int.MaxValue || (long)OutputHeight * Stride > int.MaxValue || (long)OutputWidth * Stride > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(Conv2dShape), $"Convolution shape too large {this}.");
        // Padding stays below the kernel, and every window overlaps the input.
        if (PadTop < 0 || PadLeft < 0 || PadTop >= Kernel || PadLeft >= Kernel || PadBottom >= Kernel || PadRight >= Kernel)
            throw new ArgumentOutOfRangeException(nameof(Conv2dShape), $"Invalid convolution padding {this}.");
    }
}
