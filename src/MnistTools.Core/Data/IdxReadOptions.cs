namespace MnistTools.Data;

/// <summary>How <see cref="IdxReader.ReadDataSet(string, string?, string, IdxReadOptions, CancellationToken)"/> reads a pair of files.</summary>
public sealed record IdxReadOptions
{
    /// <summary>Images left out at the start.</summary>
    public int Skip { get; init; }

    /// <summary>At most this many images kept after <see cref="Skip"/>; null keeps the rest.</summary>
    public int? First { get; init; }

    /// <summary>Number of classes; every label (after <see cref="FirstLabel"/> is subtracted) must be below it.</summary>
    public int ClassCount { get; init; } = 10;

    /// <summary>[ClassCount] display names, or null for "0", "1", ...</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>The images are stored transposed (column-major, as EMNIST's are): they are turned upright on reading.</summary>
    public bool Transposed { get; init; }

    /// <summary>The label value of class 0 (1 for EMNIST Letters, whose classes are numbered 1..26).</summary>
    public int FirstLabel { get; init; }
}
