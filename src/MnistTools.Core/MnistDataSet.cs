namespace MnistTools;

/// <summary>
/// A set of images, labelled or not, held compactly: all pixels in one contiguous byte buffer
/// (shape [Count x Rows x Columns]) and, for a labelled set, one label byte per image. Immutable once built, so one
/// instance may be read from many threads or runspaces at once.
/// </summary>
/// <remarks>Deliberately not IEnumerable: PowerShell would unroll 60,000 images into the pipeline.</remarks>
public sealed class MnistDataSet
{
    /// <summary>The most classes a set can have: labels are stored as bytes.</summary>
    public const int MaxClassCount = 256;

    private readonly byte[] _pixels;
    private readonly byte[]? _labels;
    private readonly string[] _classNames;

    /// <param name="name">Display name, e.g. "mnist-train".</param>
    /// <param name="source">Where it came from (file path or URI); informational.</param>
    /// <param name="rows">Image height.</param>
    /// <param name="columns">Image width.</param>
    /// <param name="pixels">[count x rows x columns] grey levels; kept, not copied.</param>
    /// <param name="labels">[count] class labels, each below <paramref name="classCount"/>; kept, not copied. Null for an
    /// unlabelled set (then the count is the number of images in <paramref name="pixels"/>).</param>
    /// <param name="classCount">Number of classes (10 for MNIST-style sets), 1..256.</param>
    /// <param name="classNames">[classCount] display names; null gives "0", "1", ...</param>
    public MnistDataSet(string name, string? source, int rows, int columns, byte[] pixels, byte[]? labels, int classCount = 10,
        IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (rows < 1 || columns < 1) throw new ArgumentOutOfRangeException(nameof(rows), "Rows and columns must be positive.");
        if (classCount < 1 || classCount > MaxClassCount) throw new ArgumentOutOfRangeException(nameof(classCount));
        long imageSize = (long)rows * columns;
        long count = labels?.LongLength ?? pixels.LongLength / imageSize;
        if (pixels.LongLength != imageSize * count)
            throw new ArgumentException($"pixels has {pixels.LongLength} bytes; expected {count} images of {rows}x{columns}.", nameof(pixels));
        if (labels is not null)
            foreach (byte label in labels)
                if (label >= classCount) throw new ArgumentException($"Label {label} is outside 0..{classCount - 1}.", nameof(labels));
        if (classNames is not null && classNames.Count != classCount)
            throw new ArgumentException($"{classNames.Count} class names given for {classCount} classes.", nameof(classNames));
        Name = name;
        Source = source;
        Rows = rows;
        Columns = columns;
        ClassCount = classCount;
        Count = (int)count;
        _pixels = pixels;
        _labels = labels;
        _classNames = classNames?.ToArray() ?? DefaultClassNames(classCount);
    }

    public string Name { get; }

    public int Count { get; }

    public int Rows { get; }

    public int Columns { get; }

    /// <summary>Pixels per image (Rows x Columns).</summary>
    public int ImageSize => Rows * Columns;

    public int ClassCount { get; }

    /// <summary>[ClassCount] display names of the classes ("0".."9" for digits, "T-shirt/top"... for Fashion-MNIST, folder names).</summary>
    public IReadOnlyList<string> ClassNames => _classNames;

    /// <summary>False for a set read without labels (a CSV file with no label column, Kaggle's test.csv).</summary>
    public bool IsLabelled => _labels is not null;

    public string? Source { get; }

    /// <summary>Image <paramref name="index"/> as a new <see cref="MnistImage"/> (its pixels copied).</summary>
    public MnistImage this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(index), index, $"Index must be in 0..{Count - 1}.");
            int? label = _labels is null ? null : _labels[index];
            return new MnistImage(index, label, Rows, Columns, GetPixels(index).ToArray(), Name)
            {
                ClassName = label is int l ? _classNames[l] : null,
                SetClassNames = _classNames,
            };
        }
    }

    /// <summary>All pixels, shape [Count x Rows x Columns]; read-only view, no copy.</summary>
    public ReadOnlySpan<byte> Pixels => _pixels;

    /// <summary>All labels, shape [Count]; read-only view, no copy. Empty for an unlabelled set.</summary>
    public ReadOnlySpan<byte> Labels => _labels;

    /// <summary>The pixels of one image, shape [Rows x Columns]; no copy.</summary>
    public ReadOnlySpan<byte> GetPixels(int index) => _pixels.AsSpan(checked(index * ImageSize), ImageSize);

    /// <exception cref="InvalidOperationException">The set is unlabelled (check <see cref="IsLabelled"/> first).</exception>
    public int GetLabel(int index) => _labels is null
        ? throw new InvalidOperationException($"'{Name}' has no labels.")
        : _labels[index];

    /// <summary>The name of class <paramref name="label"/>, or its number when it is outside the set's classes.</summary>
    public string ClassName(int label) => (uint)label < (uint)_classNames.Length ? _classNames[label] : label.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>How many images carry each label, shape [ClassCount] (all 0 for an unlabelled set). (Callable from PowerShell, unlike the span properties.)</summary>
    public int[] CountPerClass()
    {
        int[] counts = new int[ClassCount];
        if (_labels is not null) foreach (byte label in _labels) counts[label]++;
        return counts;
    }

    /// <summary>Images [start, start+count) as a new set sharing nothing mutable with this one.</summary>
    public MnistDataSet Slice(int start, int count, string? name = null)
    {
        if (start < 0 || count < 0 || start > Count - count)
            throw new ArgumentOutOfRangeException(nameof(start), $"Slice {start}+{count} is outside 0..{Count}.");
        return new MnistDataSet(name ?? Name, Source, Rows, Columns,
            _pixels.AsSpan(start * ImageSize, count * ImageSize).ToArray(),
            _labels?.AsSpan(start, count).ToArray(), ClassCount, _classNames);
    }

    /// <summary>"0", "1", ... "<paramref name="classCount"/>-1".</summary>
    public static string[] DefaultClassNames(int classCount)
    {
        var names = new string[classCount];
        for (int i = 0; i < classCount; i++) names[i] = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return names;
    }

    public override string ToString() =>
        $"{Name}: {Count} images {Rows}x{Columns}, {ClassCount} classes{(IsLabelled ? "" : ", unlabelled")}";
}
