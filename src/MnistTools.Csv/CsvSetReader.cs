using System.Runtime.CompilerServices;
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
/// CsvFileNotFound, CsvPathIsDirectory, CsvReadFailed, CsvEmptyFile, CsvLabelColumnNotFound, CsvColumnCount (the columns
/// make no square image), CsvRowLength (a row with another number of fields), CsvNotANumber, CsvValueOutOfRange,
/// CsvLabelOutOfRange, CsvTooLarge, SkipOutOfRange, FirstOutOfRange.
/// </summary>
public static class CsvSetReader
{
    /// <summary>The largest image side accepted (as for IDX files).</summary>
    public const int MaxSide = 4096;

    public static MnistDataSet Read(string path, string name, CsvReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new CsvReadOptions();
        if (options.Skip < 0) throw new MnistToolsException("SkipOutOfRange", FailureKind.InvalidArgument, $"Skip must be >= 0; got {options.Skip}.", "Skip");
        if (options.First is < 0) throw new MnistToolsException("FirstOutOfRange", FailureKind.InvalidArgument, $"First must be >= 0; got {options.First}.", "First");
        if (Directory.Exists(path))
            throw new MnistToolsException("CsvPathIsDirectory", FailureKind.InvalidArgument, $"'{path}' is a folder; a CSV file was expected.", path);
        if (!File.Exists(path))
            throw new MnistToolsException("CsvFileNotFound", FailureKind.NotFound, $"Cannot find the CSV file '{path}'.", path);
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            if (file.Length == 0)
                throw new MnistToolsException("CsvEmptyFile", FailureKind.InvalidData, $"'{path}' is empty.", path);
            if (options.Skip == 0 && options.First is null && file.Length >= ParallelThreshold && Environment.ProcessorCount > 1
                && ReadInTwo(file, path, name, options, cancellationToken) is MnistDataSet quick)
                return quick;
            file.Position = 0;
            return Read(file, path, name, options, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MnistToolsException("CsvReadFailed", FailureKind.ReadWrite, $"Cannot read '{path}': {e.Message}", path, e);
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
            throw new MnistToolsException("CsvReadFailed", FailureKind.InvalidData, $"'{path}' cannot be read as CSV: {e.Message}", path, e);
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
                throw new MnistToolsException("CsvReadFailed", FailureKind.InvalidData, $"'{path}' cannot be read as CSV: {e.Message}", path, e);
            }
        }
    }

    /// <summary>
    /// Reads a big file as two halves at once, split at the first line end after the middle: the first half on this
    /// thread, the second on another, which takes the layout (header, label column, image side) from the file's first
    /// row. Both halves' images are joined in order. A valid file of images cannot hold a line break inside a field
    /// (a field with one is no number), so the split never cuts a row; any failure in either half returns null, and
    /// the caller reads the file from the start on one thread, which gives the error with its true line number.
    /// </summary>
    internal static MnistDataSet? ReadInTwo(FileStream file, string path, string name, CsvReadOptions options, CancellationToken cancellationToken)
    {
        long middle = SplitPoint(file);
        if (middle <= 0) return null;
        var first = new ReadState(path, options, middle);
        try
        {
            // The layout from the first row (the header, if any, and the first data row), read on its own.
            var layout = new ReadState(path, options with { First = 1 }, middle);
            file.Position = 0;
            Parse(new Segment(file, middle), layout, path, cancellationToken);
            var second = ReadState.Continuing(layout, file.Length - middle);
            Exception? secondFailure = null;
            var worker = new Thread(() =>
            {
                try
                {
                    using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
                    stream.Position = middle;
                    Parse(stream, second, path, cancellationToken);
                }
                catch (Exception e)
                {
                    secondFailure = e;
                }
            }) { IsBackground = true, Name = "MnistTools CSV second half" };
            worker.Start();
            file.Position = 0;
            try
            {
                Parse(new Segment(file, middle), first, path, cancellationToken);
            }
            finally
            {
                worker.Join();
            }
            cancellationToken.ThrowIfCancellationRequested();
            return secondFailure is null ? ReadState.Join(first, second, name) : null;
        }
        catch (MnistToolsException)
        {
            return null;
        }
    }

    /// <summary>The offset just after the first '\n' at or after the middle of the file, or 0 when there is none.</summary>
    private static long SplitPoint(FileStream file)
    {
        Span<byte> buffer = stackalloc byte[4096];
        file.Position = file.Length / 2;
        long at = file.Position;
        while (true)
        {
            int n = file.Read(buffer);
            if (n == 0) return 0;
            int newline = buffer[..n].IndexOf((byte)'\n');
            if (newline >= 0) return at + newline + 1 < file.Length ? at + newline + 1 : 0;
            at += n;
        }
    }

    /// <summary>A read-only view of the first <c>length</c> bytes of a stream from its current position.</summary>
    private sealed class Segment(Stream inner, long length) : Stream
    {
        private long _left = length;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_left <= 0) return 0;
            int n = inner.Read(buffer[..(int)Math.Min(buffer.Length, _left)]);
            _left -= n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>The reader's state across rows: the layout learnt from the first row, and the growing buffers.</summary>
    private sealed class ReadState
    {
        private readonly string _path;
        private readonly CsvReadOptions _options;
        private readonly long _streamLength;
        private string[]? _header;
        private int _columns = -1;
        private int _labelColumn = -1;
        private int _side;
        private int _dataRows;
        private int _kept;
        private byte[] _pixels = [];
        private byte[] _labels = [];
        private int _maxLabel = -1;

        public ReadState(string path, CsvReadOptions options, long streamLength)
        {
            _path = path;
            _options = options;
            _streamLength = streamLength;
        }

        /// <summary>A state for rows that continue a file whose first row <paramref name="layout"/> has read (no header there).</summary>
        public static ReadState Continuing(ReadState layout, long streamLength)
        {
            var state = new ReadState(layout._path, layout._options with { First = null, Skip = 0 }, streamLength)
            {
                _header = layout._header,
                _columns = layout._columns,
                _labelColumn = layout._labelColumn,
                _side = layout._side,
            };
            state.Allocate();
            return state;
        }

        /// <summary>The images of <paramref name="first"/> then <paramref name="second"/> as one set.</summary>
        public static MnistDataSet Join(ReadState first, ReadState second, string name)
        {
            if (first._columns < 0) return second.ToDataSet(name);
            int pixels = first._side * first._side;
            long count = (long)first._kept + second._kept;
            if (count * pixels > Array.MaxLength)
                throw first.Fail("CsvTooLarge", $"holds more pixels than one buffer can keep ({Array.MaxLength:N0}).");
            byte[] data = GC.AllocateUninitializedArray<byte>((int)(count * pixels));
            first._pixels.AsSpan(0, first._kept * pixels).CopyTo(data);
            second._pixels.AsSpan(0, second._kept * pixels).CopyTo(data.AsSpan(first._kept * pixels));
            byte[]? labels = null;
            if (first._labelColumn >= 0)
            {
                labels = new byte[count];
                first._labels.AsSpan(0, first._kept).CopyTo(labels);
                second._labels.AsSpan(0, second._kept).CopyTo(labels.AsSpan(first._kept));
            }
            first._maxLabel = Math.Max(first._maxLabel, second._maxLabel);
            return first.Build(name, data, labels);
        }

        /// <summary>True once <see cref="CsvReadOptions.First"/> images are kept: the rest is not read.</summary>
        public bool Done => _options.First is int first && _kept >= first && _columns >= 0;

        public void Add(SepReader.Row row)
        {
            if (row.Span.IsEmpty) return; // a blank line (often one left at the end of the file) holds no image
            if (_columns < 0)
            {
                Layout(row);
                if (_header is not null || Done) return;
            }
            if (row.ColCount != _columns)
                throw Fail("CsvRowLength", $"line {Line(row)} has {row.ColCount} field(s); {(_header is null ? "the first row" : "the header")} has {_columns}.");
            int index = _dataRows++;
            if (index < _options.Skip) return;
            Keep(row);
        }

        /// <summary>Header or not, label column, image side: all from the first row.</summary>
        private void Layout(SepReader.Row row)
        {
            int count = row.ColCount;
            // A header: its first field is not a number (label, pixel0...), or most of its fields are not. A data row
            // with one bad value in it stays a data row, and gets its error with line 1.
            int words = 0;
            for (int c = 0; c < count; c++) if (!TryParseInt(row[c].Span, out _)) words++;
            if (!TryParseInt(row[0].Span, out _) || 2 * words > count)
            {
                _header = new string[count];
                for (int c = 0; c < count; c++) _header[c] = Unquote(row[c].ToString().Trim());
            }
            if (_options.LabelColumn is string wanted)
            {
                _labelColumn = _header is null ? -1 : Array.FindIndex(_header, h => string.Equals(h, wanted.Trim(), StringComparison.OrdinalIgnoreCase));
                if (_labelColumn < 0)
                    throw Fail("CsvLabelColumnNotFound", _header is null
                        ? $"has no header row, so it has no column named '{wanted}' (a headerless file has its label first, or none)."
                        : $"has no column named '{wanted}'; its header starts {string.Join(",", _header.Take(5))}{(count > 5 ? ",..." : "")}.");
            }
            else if (_header is not null)
            {
                _labelColumn = Array.FindIndex(_header, h => string.Equals(h, "label", StringComparison.OrdinalIgnoreCase));
            }
            if (_labelColumn < 0 && _options.LabelColumn is null)
            {
                if (count > 1 && IsSquare(count - 1)) _labelColumn = 0;
                else if (!IsSquare(count))
                    throw Fail("CsvColumnCount", $"line {Line(row)} has {count} fields: neither a square image (n x n fields) nor a label and a square image (1 + n x n).");
            }
            int pixels = count - (_labelColumn >= 0 ? 1 : 0);
            if (!IsSquare(pixels))
                throw Fail("CsvColumnCount", $"has {pixels} pixel columns besides the label column '{_header?[_labelColumn]}': not a square image (n x n).");
            _side = (int)Math.Round(Math.Sqrt(pixels));
            if (_side > MaxSide)
                throw Fail("CsvTooLarge", $"has images of {_side}x{_side} pixels; at most {MaxSide}x{MaxSide} are read.");
            _columns = count;
            Allocate();
        }

        /// <summary>Buffers for as many images as the stream can hold: each pixel takes at least two characters ("0,").</summary>
        private void Allocate()
        {
            int pixels = _side * _side;
            long bound = _streamLength == long.MaxValue ? 1 << 20 : _streamLength / 2 + pixels;
            if (_options.First is int first) bound = Math.Min(bound, (long)first * pixels);
            bound = Math.Min(bound, Array.MaxLength);
            _pixels = GC.AllocateUninitializedArray<byte>((int)(bound / pixels * pixels));
            _labels = _labelColumn >= 0 ? new byte[_pixels.Length / pixels] : [];
        }

        // Fully optimized from the first call: a one-off import of 47 million fields should not start in tier-0 code.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Keep(SepReader.Row row)
        {
            int pixels = _side * _side;
            if ((long)(_kept + 1) * pixels > _pixels.Length) Grow(pixels);
            Span<byte> target = _pixels.AsSpan(_kept * pixels, pixels);
            int p = 0;
            for (int c = 0; c < _columns; c++)
            {
                if (!TryParseInt(row[c].Span, out int value))
                    throw Fail("CsvNotANumber", $"line {Line(row)}, column {c + 1}{ColumnName(c)}: '{Shorten(row[c].ToString())}' is not an integer.");
                if (c == _labelColumn)
                {
                    if (value < 0 || value >= MnistDataSet.MaxClassCount)
                        throw Fail("CsvLabelOutOfRange", $"line {Line(row)}, column {c + 1}{ColumnName(c)}: label {value} is outside 0..{MnistDataSet.MaxClassCount - 1}.");
                    _labels[_kept] = (byte)value;
                    if (value > _maxLabel) _maxLabel = value;
                    continue;
                }
                if ((uint)value > 255)
                    throw Fail("CsvValueOutOfRange", $"line {Line(row)}, column {c + 1}{ColumnName(c)}: pixel {value} is outside 0..255.");
                target[p++] = (byte)value;
            }
            _kept++;
        }

        /// <summary>Only a stream of unknown length (not a file) can outgrow the first buffer.</summary>
        private void Grow(int pixels)
        {
            long size = Math.Min(Math.Max(2L * _pixels.Length, pixels), (long)Array.MaxLength / pixels * pixels);
            if (size <= _pixels.Length) throw Fail("CsvTooLarge", $"holds more pixels than one buffer can keep ({Array.MaxLength:N0}).");
            Array.Resize(ref _pixels, (int)size);
            if (_labelColumn >= 0) Array.Resize(ref _labels, (int)(size / pixels));
        }

        public MnistDataSet ToDataSet(string name)
        {
            if (_columns < 0)
                throw Fail("CsvEmptyFile", "holds no rows.");
            int pixels = _side * _side;
            byte[] data = _pixels.Length == _kept * pixels ? _pixels : _pixels.AsSpan(0, _kept * pixels).ToArray();
            byte[]? labels = _labelColumn < 0 ? null : _labels.Length == _kept ? _labels : _labels.AsSpan(0, _kept).ToArray();
            return Build(name, data, labels);
        }

        private MnistDataSet Build(string name, byte[] data, byte[]? labels)
        {
            IReadOnlyList<string>? names = _options.ClassNames;
            int classCount = names?.Count ?? Math.Max(10, _maxLabel + 1);
            if (names is not null && _maxLabel >= classCount)
                throw Fail("CsvLabelOutOfRange", $"holds label {_maxLabel}, but {classCount} class names were given (labels 0..{classCount - 1}).");
            return new MnistDataSet(name, _path, _side, _side, data, labels, classCount, names);
        }

        private string ColumnName(int c) => _header is null ? "" : $" ('{Shorten(_header[c])}')";

        private MnistToolsException Fail(string id, string detail) =>
            new(id, FailureKind.InvalidData, $"'{_path}' {detail}", _path);
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

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
