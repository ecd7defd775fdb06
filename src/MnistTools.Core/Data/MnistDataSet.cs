namespace MnistTools;

/// <summary>
/// A set of labelled images held compactly: all pixels in one contiguous byte buffer
/// (shape [Count x Rows x Columns]) and one label byte per image. Immutable once built, so one
/// instance may be read from many threads or runspaces at once.
/// </summary>
/// <remarks>Deliberately not IEnumerable: PowerShell would unroll 60,000 images into the pipeline.</remarks>
public sealed class MnistDataSet
{
    private readonly byte[] _pixels;
    private readonly byte[] _labels;

    /// <param name="name">Display name, e.g. "mnist-train".</param>
    /// <param name="source">Where it came from (file path or URI); informational.</param>
    /// <param name="rows">Image height.</param>
    /// <param name="columns">Image width.</param>
    /// <param name="pixels">[count x rows x columns] grey levels; kept, not copied.</param>
    /// <param name="labels">[count] class labels, each below <paramref name="classCount"/>; kept, not copied.</param>
    /// <param name="classCount">Number of classes (10 for MNIST-style sets).</param>
    public MnistDataSet(string name, string? source, int rows, int columns, byte[] pixels, byte[] labels, int classCount = 10)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        if (rows < 1 || columns < 1) throw new ArgumentOutOfRangeException(nameof(rows), "Rows and columns must be positive.");
        if (classCount < 1 || classCount > 256) throw new ArgumentOutOfRangeException(nameof(classCount));
        long imageSize = (long)rows * columns;
        if (pixels.LongLength != imageSize * labels.LongLength)
            throw new ArgumentException($"pixels has {pixels.LongLength} bytes; expected {labels.LongLength} images of {rows}x{columns}.", nameof(pixels));
        foreach (byte label in labels)
            if (label >= classCount) throw new ArgumentException($"Label {label} is outside 0..{classCount - 1}.", nameof(labels));
        Name = name;
        Source = source;
        Rows = rows;
        Columns = columns;
        ClassCount = classCount;
        _pixels = pixels;
        _labels = labels;
    }

    public string Name { get; }

    public int Count => _labels.Length;

    public int Rows { get; }

    public int Columns { get; }

    /// <summary>Pixels per image (Rows x Columns).</summary>
    public int ImageSize => Rows * Columns;

    public int ClassCount { get; }

    public string? Source { get; }

    /// <summary>Image <paramref name="index"/> as a new <see cref="MnistImage"/> (its pixels copied).</summary>
    public MnistImage this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(index), index, $"Index must be in 0..{Count - 1}.");
            return new MnistImage(index, _labels[index], Rows, Columns, GetPixels(index).ToArray(), Name);
        }
    }

    /// <summary>All pixels, shape [Count x Rows x Columns]; read-only view, no copy.</summary>
    public ReadOnlySpan<byte> Pixels => _pixels;

    /// <summary>All labels, shape [Count]; read-only view, no copy.</summary>
    public ReadOnlySpan<byte> Labels => _labels;

    /// <summary>The pixels of one image, shape [Rows x Columns]; no copy.</summary>
    public ReadOnlySpan<byte> GetPixels(int index) => _pixels.AsSpan(checked(index * ImageSize), ImageSize);

    public int GetLabel(int index) => _labels[index];

    /// <summary>How many images carry each label, shape [ClassCount]. (Callable from PowerShell, unlike the span properties.)</summary>
    public int[] CountPerClass()
    {
        int[] counts = new int[ClassCount];
        foreach (byte label in _labels) counts[label]++;
        return counts;
    }

    /// <summary>Images [start, start+count) as a new set sharing nothing mutable with this one.</summary>
    public MnistDataSet Slice(int start, int count, string? name = null)
    {
        if (start < 0 || count < 0 || start > Count - count)
            throw new ArgumentOutOfRangeException(nameof(start), $"Slice {start}+{count} is outside 0..{Count}.");
        return new MnistDataSet(name ?? Name, Source, Rows, Columns,
            _pixels.AsSpan(start * ImageSize, count * ImageSize).ToArray(),
            _labels.AsSpan(start, count).ToArray(), ClassCount);
    }

    public override string ToString() => $"{Name}: {Count} images {Rows}x{Columns}, {ClassCount} classes";
}
