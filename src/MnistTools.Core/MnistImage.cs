namespace MnistTools;

/// <summary>One image, copied out of an <see cref="MnistDataSet"/> (or made from a picture or a pixel array).</summary>
public sealed class MnistImage
{
    public MnistImage(int index, int? label, int rows, int columns, byte[] pixels, string? dataSet = null)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (rows < 1 || columns < 1 || pixels.Length != rows * columns)
            throw new ArgumentException($"pixels has {pixels.Length} bytes; expected rows x columns = {rows} x {columns}.", nameof(pixels));
        Index = index;
        Label = label;
        Rows = rows;
        Columns = columns;
        Pixels = pixels;
        DataSet = dataSet;
    }

    /// <summary>Position in the data set it came from (0-based).</summary>
    public int Index { get; }

    /// <summary>The true class, or null when unknown (an image that did not come from a labelled set).</summary>
    public int? Label { get; }

    public int Rows { get; }

    public int Columns { get; }

    /// <summary>Row-major grey levels, 0 = background, 255 = ink. Shape [Rows x Columns].</summary>
    public byte[] Pixels { get; }

    /// <summary>The display name of <see cref="Label"/> in its set ("7", "Sneaker", a folder name), or null when unknown.</summary>
    public string? ClassName { get; init; }

    /// <summary>The class names of the set it came from (so a classification of it can name its prediction); not a
    /// property users see, which keeps Export-Csv of images flat.</summary>
    internal IReadOnlyList<string>? SetClassNames { get; init; }

    /// <summary>The class names of the set the image came from, or null (a method, so that Export-Csv leaves it out).</summary>
    public IReadOnlyList<string>? GetClassNames() => SetClassNames;

    /// <summary>Name of the data set it came from, if any.</summary>
    public string? DataSet { get; }

    public override string ToString() => $"#{Index} label {(Label?.ToString() ?? "?")} ({Rows}x{Columns})";
}
