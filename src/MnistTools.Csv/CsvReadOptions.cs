namespace MnistTools.Csv;

/// <summary>How <see cref="CsvSetReader"/> reads a file.</summary>
public sealed record CsvReadOptions
{
    /// <summary>Data rows left out at the start (the header is not counted).</summary>
    public int Skip { get; init; }

    /// <summary>At most this many images kept after <see cref="Skip"/>; reading stops there. Null keeps the rest.</summary>
    public int? First { get; init; }

    /// <summary>The header name of the label column; null finds a column named "label", else takes the first column
    /// when the rest make a square image, else reads the file as unlabelled.</summary>
    public string? LabelColumn { get; init; }

    /// <summary>Class names; their count is the class count (labels must be below it). Null: the class count is
    /// the largest label + 1, at least 10, and the names are the numbers.</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }
}
