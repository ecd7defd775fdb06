using System.Runtime.CompilerServices;
using MnistTools.Errors;
using MnistTools.Files;
using MnistTools.Persistence;
using nietras.SeparatedValues;

namespace MnistTools.Csv;

/// <summary>
/// Reads a CSV file of images, one image per row, into a <see cref="MnistDataSet"/>: Kaggle's digit-recognizer files
/// (header label,pixel0..pixel783; test.csv without the label column) and the headerless mnist_train.csv of tutorials
/// (label first). Parsing is Sep's (separator detected: comma, semicolon, tab, pipe; quoted fields allowed).
/// <para>The first row is a header when its first field, or most of its fields, are not integers. The label column is the one named
/// <see cref="CsvReadOptions.LabelColumn"/>, else one named "label" (any letter case), else the first column when the
/// other columns make a square image (n² + 1 columns); a file of n² columns has no labels. Pixels are integers 0..255,
/// row-major, n x n. Blank lines after the first row are skipped (the first row sets the separator).</para>
/// <para>Memory: the pixel buffer is sized once from the file length (each pixel takes at least two characters), so a
/// file never makes the reader allocate more than about half its length plus the rows Sep buffers.</para>
/// Failures are <see cref="MnistToolsException"/> with the path as target and the line and column in the message; ids:
/// CsvFileNotFound, PathIsDirectory, CsvReadFailed, CsvEmptyFile, CsvLabelColumnNotFound, CsvColumnCount (the columns
/// make no square image), CsvRowLength (a row with another number of fields), CsvNotANumber, CsvValueOutOfRange,
/// CsvLabelOutOfRange, CsvTooLarge, SkipOutOfRange, FirstOutOfRange.
/// </summary>
public static partial class CsvSetReader
{
    /// <summary>The largest image side accepted (as for IDX files).</summary>
    public const int MaxSide = 4096;

    public static MnistDataSet Read(string path, string name, CsvReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new CsvReadOptions();
        if (options.Skip < 0) throw new MnistToolsException(ErrorIds.SkipOutOfRange, FailureKind.InvalidArgument, $"Skip must be >= 0; got {options.Skip}.", "Skip");
        if (options.First is < 0) throw new MnistToolsException(ErrorIds.FirstOutOfRange, FailureKind.InvalidArgument, $"First must be >= 0; got {options.First}.", "First");
        if (RegularFile.CheckReadable(path) == FileKind.Directory)
            throw new MnistToolsException(ErrorIds.PathIsDirectory, FailureKind.InvalidArgument, $"'{path}' is a folder; a CSV file was expected.", path);
        if (!File.Exists(path))
            throw new MnistToolsException(ErrorIds.CsvFileNotFound, FailureKind.NotFound, $"Cannot find the CSV file '{path}'.", path);
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            if (file.Length == 0)
                throw new MnistToolsException(ErrorIds.CsvEmptyFile, FailureKind.InvalidData, $"'{path}' is empty.", path);
            if (options.Skip == 0 && options.First is null && file.Length >= ParallelThreshold && Environment.ProcessorCount > 1
                && ReadInTwo(file, path, name, options, cancellationToken) is MnistDataSet quick)
                return quick;
            file.Position = 0;
            return Read(file, path, name, options, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MnistToolsException(ErrorIds.CsvReadFailed, FailureKind.ReadWrite, $"Cannot read '{path}': {e.Message}", path, e);
        }
    }

    /// <summary>Files from this size on are read as two halves on two threads (when the machine has two cores).</summary>
    public const long ParallelThreshold = 8L << 20;

    /// <summary>Reads from an open stream; <paramref name="path"/> names it in errors and becomes the set's Source.</summary>
    public static MnistDataSet Read(Stream stream, string path, string name, CsvReadOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(options);
        var state = new ReadState(path, options, stream.CanSeek ? stream.Length - stream.Position : long.MaxValue);
        Parse(stream, state, path, cancellationToken);
        return state.ToDataSet(name);
    }

    /// <summary>Feeds the rows of <paramref name="stream"/> to <paramref name="state"/> until the end or its First images.</summary>
    private static void Parse(Stream stream, ReadState state, string path, CancellationToken cancellationToken)
    {
        SepReader reader;
        try
        {
            reader = Sep.Reader(o => o with { HasHeader = false, DisableColCountCheck = true, Unescape = false }).From(stream, leaveOpen: true);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or NotSupportedException)
        {
            throw new MnistToolsException(ErrorIds.CsvReadFailed, FailureKind.InvalidData, $"'{path}' cannot be read as CSV: {e.Message}", path, e);
        }
        using (reader)
        {
            try
            {
                foreach (SepReader.Row row in reader)
                {
                    if (state.Done) break;
                    if ((row.RowIndex & 0xFF) == 0) cancellationToken.ThrowIfCancellationRequested();
                    state.Add(row);
                }
            }
            catch (Exception e) when (e is InvalidDataException or ArgumentException or NotSupportedException or FormatException)
            {
                // Sep's own complaints (an unterminated quote, a row longer than it can buffer).
                throw new MnistToolsException(ErrorIds.CsvReadFailed, FailureKind.InvalidData, $"'{path}' cannot be read as CSV: {e.Message}", path, e);
            }
        }
    }

    /// <summary>
    /// The 1-based line a row starts on. Sep without a header gives the first row LineNumberFrom 2 (its later rows are
    /// right), so the first row is line 1 by definition.
    /// </summary>
    private static int Line(SepReader.Row row) => row.RowIndex == 0 ? 1 : row.LineNumberFrom;

    /// <summary>
    /// An optionally signed decimal integer with optional surrounding spaces and quotes (fields are read raw, not
    /// unescaped, which is faster; a quoted number is still a number); false on anything else or overflow.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    internal static bool TryParseInt(ReadOnlySpan<char> text, out int value)
    {
        // Fast path: one to three plain digits, which is every pixel of every image file.
        if (text.Length is > 0 and < 4)
        {
            int d0 = text[0] - '0';
            if ((uint)d0 <= 9)
            {
                if (text.Length == 1) { value = d0; return true; }
                int d1 = text[1] - '0';
                if ((uint)d1 <= 9)
                {
                    if (text.Length == 2) { value = d0 * 10 + d1; return true; }
                    int d2 = text[2] - '0';
                    if ((uint)d2 <= 9) { value = d0 * 100 + d1 * 10 + d2; return true; }
                }
            }
        }
        return TryParseIntSlow(text, out value);
    }

    private static bool TryParseIntSlow(ReadOnlySpan<char> text, out int value)
    {
        value = 0;
        if (text.Length >= 2 && text[0] == '"' && text[^1] == '"') text = text[1..^1];
        int i = 0, end = text.Length;
        while (i < end && text[i] == ' ') i++;
        while (end > i && text[end - 1] == ' ') end--;
        if (i == end) return false;
        bool negative = text[i] == '-';
        if (negative || text[i] == '+') i++;
        if (i == end || end - i > 9) return false;
        int result = 0;
        for (; i < end; i++)
        {
            int digit = text[i] - '0';
            if ((uint)digit > 9) return false;
            result = result * 10 + digit;
        }
        value = negative ? -result : result;
        return true;
    }

    /// <summary>A header name without its quotes ("" inside stands for one quote).</summary>
    private static string Unquote(string text) =>
        text.Length >= 2 && text[0] == '"' && text[^1] == '"' ? text[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal) : text;

    private static bool IsSquare(int n)
    {
        if (n < 1) return false;
        int side = (int)Math.Round(Math.Sqrt(n));
        return side * side == n;
    }

    /// <summary>Text from the file as a message quotes it: control characters escaped, at most 40 characters.</summary>
    private static string Shorten(string text) => MessageText.Quote(text, 40);

    /// <summary>True for a whole number that <see cref="TryParseInt"/> cannot hold: an optional sign, digits only (spaces and quotes around allowed).</summary>
    private static bool IsWholeNumber(string text)
    {
        ReadOnlySpan<char> span = text.AsSpan().Trim(' ');
        if (span.Length >= 2 && span[0] == '"' && span[^1] == '"') span = span[1..^1].Trim(' ');
        if (span.Length > 0 && span[0] is '-' or '+') span = span[1..];
        return span.Length > 0 && !span.ContainsAnyExcept("0123456789");
    }
}
