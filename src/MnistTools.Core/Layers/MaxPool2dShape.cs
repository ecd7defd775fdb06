namespace MnistTools.Layers;

/// <summary>
/// The sizes of one 2-D max pooling. Per image: input X [Channels x Height x Width], output Y [Channels x OutputHeight x
/// OutputWidth], window Size x Size moved by Stride, no padding. Output pixel (oy, ox) covers input rows oy·Stride ..
/// oy·Stride + Size − 1 (columns likewise); input rows and columns past the last whole window are not read (floor, as
/// PyTorch and Keras 'valid' pooling).
/// </summary>
internal readonly record struct MaxPool2dShape(int Channels, int Height, int Width, int Size, int Stride, int OutputHeight, int OutputWidth)
{
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or the window is larger than the input.</exception>
    public static MaxPool2dShape Create(int channels, int height, int width, int size, int stride)
    {
        if (channels < 1 || height < 1 || width < 1 || size < 1 || stride < 1)
            throw new ArgumentOutOfRangeException(nameof(channels), "Every pooling size must be positive.");
        int outputHeight = OutputExtent(height, size, stride), outputWidth = OutputExtent(width, size, stride);
        if (outputHeight < 1 || outputWidth < 1)
            throw new ArgumentOutOfRangeException(nameof(size), $"A {size}x{size} window does not fit a {height}x{width} input.");
        var shape = new MaxPool2dShape(channels, height, width, size, stride, outputHeight, outputWidth);
        shape.Validate();
        return shape;
    }

    /// <summary>Whole windows along one axis of <paramref name="input"/> values (0 when the window is larger).</summary>
    public static int OutputExtent(int input, int size, int stride) => input < size ? 0 : (input - size) / stride + 1;

    /// <summary>Floats of one input image, C·H·W.</summary>
    public int InputSize => Channels * Height * Width;

    /// <summary>Floats of one output image, C·OH·OW.</summary>
    public int OutputSize => Channels * OutputHeight * OutputWidth;

    /// <summary>2 x 2 windows moved by 2: the forward pass keeps each window's winner (one byte per output) for the
    /// backward pass (<see cref="MaxPool2dKernels"/>).</summary>
    public bool SavesWinners => Size == 2 && Stride == 2;

    /// <summary>Throws when the sizes are inconsistent (a shape not made by <see cref="Create"/>).</summary>
    public void Validate()
    {
        if (Channels < 1 || Height < 1 || Width < 1 || Size < 1 || Stride < 1
            || OutputHeight != OutputExtent(Height, Size, Stride) || OutputWidth != OutputExtent(Width, Size, Stride) || OutputHeight < 1 || OutputWidth < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxPool2dShape), $"Invalid pooling shape {this}.");
        if ((long)Channels * Height * Width > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(MaxPool2dShape), $"Pooling shape too large {this}.");
    }
}
