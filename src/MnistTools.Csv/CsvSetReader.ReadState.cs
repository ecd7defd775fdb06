using System.Runtime.CompilerServices;
using MnistTools.Errors;
using nietras.SeparatedValues;

namespace MnistTools.Csv;

/// <summary>The row-by-row state of a CSV read: the layout, the buffers, the checks.</summary>
public static partial class CsvSetReader
{
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
                throw first.Fail(ErrorIds.CsvTooLarge, $"holds more pixels than one buffer can keep ({Array.MaxLength:N0}).");
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
                throw Fail(ErrorIds.CsvRowLength, $"line {Line(row)} has {row.ColCount} field(s); {(_header is null ? "the first row" : "the header")} has {_columns}.");
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
                    throw Fail(ErrorIds.CsvLabelColumnNotFound, _header is null
                        ? $"has no header row, so it has no column named '{Shorten(wanted)}' (a headerless file has its label first, or none)."
                        : $"has no column named '{Shorten(wanted)}'; its header starts {string.Join(",", _header.Take(5).Select(Shorten))}{(count > 5 ? ",..." : "")}.");
            }
            else if (_header is not null)
            {
                _labelColumn = Array.FindIndex(_header, h => string.Equals(h, "label", StringComparison.OrdinalIgnoreCase));
            }
            if (_labelColumn < 0 && _options.LabelColumn is null)
            {
                if (count > 1 && IsSquare(count - 1)) _labelColumn = 0;
                else if (!IsSquare(count))
                    throw Fail(ErrorIds.CsvColumnCount, $"line {Line(row)} has {count} fields: neither a square image (n x n fields) nor a label and a square image (1 + n x n).");
            }
            int pixels = count - (_labelColumn >= 0 ? 1 : 0);
            if (!IsSquare(pixels))
                throw Fail(ErrorIds.CsvColumnCount, $"has {pixels} pixel columns besides the label column '{Shorten(_header?[_labelColumn] ?? "")}': not a square image (n x n).");
            _side = (int)Math.Round(Math.Sqrt(pixels));
            if (_side > MaxSide)
                throw Fail(ErrorIds.CsvTooLarge, $"has images of {_side}x{_side} pixels; at most {MaxSide}x{MaxSide} are read.");
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
                if (!TryParseInt(row[c].Span, out int value)) NotAValue(row, c);
                if (c == _labelColumn)
                {
                    if (value < 0 || value >= MnistDataSet.MaxClassCount)
                        throw Fail(ErrorIds.CsvLabelOutOfRange, $"line {Line(row)}, column {c + 1}{ColumnName(c)}: label {value} is outside 0..{MnistDataSet.MaxClassCount - 1}.");
                    _labels[_kept] = (byte)value;
                    if (value > _maxLabel) _maxLabel = value;
                    continue;
                }
                if ((uint)value > 255)
                    throw Fail(ErrorIds.CsvValueOutOfRange, $"line {Line(row)}, column {c + 1}{ColumnName(c)}: pixel {value} is outside 0..255.");
                target[p++] = (byte)value;
            }
            _kept++;
        }

        /// <summary>Only a stream of unknown length (not a file) can outgrow the first buffer.</summary>
        private void Grow(int pixels)
        {
            long size = Math.Min(Math.Max(2L * _pixels.Length, pixels), (long)Array.MaxLength / pixels * pixels);
            if (size <= _pixels.Length) throw Fail(ErrorIds.CsvTooLarge, $"holds more pixels than one buffer can keep ({Array.MaxLength:N0}).");
            Array.Resize(ref _pixels, (int)size);
            if (_labelColumn >= 0) Array.Resize(ref _labels, (int)(size / pixels));
        }

        public MnistDataSet ToDataSet(string name)
        {
            if (_columns < 0)
                throw Fail(ErrorIds.CsvEmptyFile, "holds no rows.");
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
                throw Fail(ErrorIds.CsvLabelOutOfRange, $"holds label {_maxLabel}, but {classCount} class names were given (labels 0..{classCount - 1}).");
            return new MnistDataSet(name, _path, _side, _side, data, labels, classCount, names);
        }

        private string ColumnName(int c) => _header is null ? "" : $" ('{Shorten(_header[c])}')";

        /// <summary>Throws for field <paramref name="c"/>, which is no int: out of range when it is a whole number (too many digits), else not a number.</summary>
        private void NotAValue(SepReader.Row row, int c)
        {
            string text = row[c].ToString();
            string at = $"line {Line(row)}, column {c + 1}{ColumnName(c)}";
            if (IsWholeNumber(text))
                throw c == _labelColumn
                    ? Fail(ErrorIds.CsvLabelOutOfRange, $"{at}: label {Shorten(text.Trim(' ', '"'))} is outside 0..{MnistDataSet.MaxClassCount - 1}.")
                    : Fail(ErrorIds.CsvValueOutOfRange, $"{at}: pixel {Shorten(text.Trim(' ', '"'))} is outside 0..255.");
            throw Fail(ErrorIds.CsvNotANumber, $"{at}: '{Shorten(text)}' is not an integer.");
        }

        private MnistToolsException Fail(string id, string detail) =>
            new(id, FailureKind.InvalidData, $"'{_path}' {detail}", _path);
    }
}
