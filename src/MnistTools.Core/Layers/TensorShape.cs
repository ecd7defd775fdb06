namespace MnistTools.Layers;

/// <summary>The shape of one image's values: Channels x Height x Width, stored in that order (a vector is N x 1 x 1).</summary>
internal readonly record struct TensorShape(int Channels, int Height, int Width)
{
    public static TensorShape Vector(int size) => new(size, 1, 1);

    /// <summary>[n] or [c, h, w] as a shape.</summary>
    public static TensorShape Of(IReadOnlyList<int> shape) =>
        shape.Count == 3 ? new TensorShape(shape[0], shape[1], shape[2]) : Vector(shape[0]);

    public int Size => Channels * Height * Width;

    public bool IsVector => Height == 1 && Width == 1;

    /// <summary><c>128</c> for a vector, <c>32x26x26</c> otherwise.</summary>
    public override string ToString() => IsVector ? Channels.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{Channels}x{Height}x{Width}";
}
