using System.Buffers.Binary;
using System.Buffers;
using System.IO.Compression;
using MnistTools.Errors;
using MnistTools.Files;
using MnistTools.Persistence;

namespace MnistTools.Data;

/// <summary>
/// Reads IDX files (the MNIST format), raw or gzip-compressed (detected by magic bytes, not name).
/// Header: 0x00 0x00, element type (0x08 = unsigned byte), number of dimensions, then one big-endian
/// int32 per dimension. Every count is checked against what the file can hold before any allocation,
/// and the stream must end exactly where the header says.
/// All failures are <see cref="MnistToolsException"/> with the path as target; error ids:
/// IdxFileNotFound, PathIsDirectory, IdxReadFailed, IdxEmptyFile, IdxBadMagic, IdxBadDimensions,
/// IdxLengthMismatch, IdxTooLarge, IdxTruncated, IdxCorruptGzip, IdxTrailingData, IdxCountMismatch,
/// IdxLabelOutOfRange, SkipOutOfRange, FirstOutOfRange, ClassCountOutOfRange.
/// </summary>
public static class IdxReader
{
    /// <summary>The largest ratio deflate can reach (about 1032:1); a header promising more is a lie.</summary>
    private const long MaxDeflateRatio = 1100;

    /// <summary>Bytes read per call: large enough that reading 47 MB costs a few dozen calls.</summary>
    private const int ChunkSize = 1 << 20;

    /// <summary>First allocation when the gzip trailer does not vouch for the size; doubled as data arrives.</summary>
    private const int UntrustedInitialSize = 1 << 20;

    public const int ImageMagic = 0x00000803;
    public const int LabelMagic = 0x00000801;

    /// <summary>idx2-int labels [count x k] (QMNIST: 0x0C = int32, 2 dimensions; decimal 3074).</summary>
    public const int LabelIntMagic = 0x00000C02;

    /// <summary>Standard MNIST file names for a subset: (images, labels), without the .gz suffix.</summary>
    public static (string Images, string Labels) StandardFileNames(bool train) => train
        ? ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
        : ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");

    /// <summary>
    /// Reads an image file [count x rows x columns] and its label file [count] into a data set,
    /// keeping images [skip, skip + first). The whole of both files is still checked (a gzip stream is
    /// inflated to its end so its CRC and length are verified).
    /// </summary>
    public static MnistDataSet ReadDataSet(string imagePath, string labelPath, string name,
        int skip = 0, int? first = null, int classCount = 10, CancellationToken cancellationToken = default) =>
        ReadDataSet(imagePath, labelPath, name, new IdxReadOptions { Skip = skip, First = first, ClassCount = classCount }, cancellationToken);

    /// <summary>
    /// Reads an image file [count x rows x columns] and, unless <paramref name="labelPath"/> is null, its label file: either
    /// idx1-ubyte [count] or idx2-int [count x k] (QMNIST, whose first column is the class). Keeps images
    /// [Skip, Skip + First). The whole of both files is still checked (a gzip stream is inflated to its end so its CRC
    /// and length are verified). Without a label file the set is unlabelled.
    /// </summary>
    public static MnistDataSet ReadDataSet(string imagePath, string? labelPath, string name, IdxReadOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        int skip = options.Skip, classCount = options.ClassCount;
        int? first = options.First;
        if (skip < 0) throw new MnistToolsException(ErrorIds.SkipOutOfRange, FailureKind.InvalidArgument, $"Skip must be >= 0; got {skip}.", "Skip");
        if (first is < 0) throw new MnistToolsException(ErrorIds.FirstOutOfRange, FailureKind.InvalidArgument, $"First must be >= 0; got {first}.", "First");
        if (classCount < 1 || classCount > MnistDataSet.MaxClassCount)
            throw new MnistToolsException(ErrorIds.ClassCountOutOfRange, FailureKind.InvalidArgument, $"The class count must be in 1..{MnistDataSet.MaxClassCount}; got {classCount}.", "ClassNames");

        using var images = IdxStream.Open(imagePath, ImageMagic, 3);
        using IdxStream? labels = labelPath is null ? null : IdxStream.OpenLabels(labelPath);
        int count = images.Dimensions[0];
        if (labels is not null && labels.Dimensions[0] != count)
            throw new MnistToolsException(ErrorIds.IdxCountMismatch, FailureKind.InvalidData,
                $"'{imagePath}' holds {count} images but '{labelPath}' holds {labels.Dimensions[0]} labels.", labelPath);
        int rows = images.Dimensions[1], columns = images.Dimensions[2];
        int start = Math.Min(skip, count);
        int take = Math.Min(first ?? int.MaxValue, count - start);
        int imageSize = rows * columns;

        // Labels first: small, and a bad label fails fast before 47 MB of pixels are inflated.
        byte[]? labelBytes = labels is null ? null : ReadLabels(labels, labelPath!, start, take, classCount, options.FirstLabel, cancellationToken);
        byte[] pixels = images.ReadRecords(start, take, imageSize, cancellationToken);
        if (options.Transposed) Transpose(pixels, rows, columns);
        // A transposed file stores [count x columns x rows]: the upright images swap the two sizes.
        (int outRows, int outColumns) = options.Transposed ? (columns, rows) : (rows, columns);
        return new MnistDataSet(name, imagePath, outRows, outColumns, pixels, labelBytes, classCount, options.ClassNames);
    }

    /// <summary>
    /// Labels [start, start+take) as bytes: idx1-ubyte as stored, idx2-int [count x k] from each row's first int32.
    /// <paramref name="firstLabel"/> is subtracted (EMNIST Letters numbers its classes from 1).
    /// </summary>
    private static byte[] ReadLabels(IdxStream labels, string labelPath, int start, int take, int classCount, int firstLabel, CancellationToken cancellationToken)
    {
        bool wide = labels.Magic == LabelIntMagic;
        int recordSize = wide ? 4 * labels.Dimensions[1] : 1;
        byte[] raw = labels.ReadRecords(start, take, recordSize, cancellationToken);
        byte[] result = wide ? new byte[take] : raw;
        for (int i = 0; i < take; i++)
        {
            long value = wide ? BinaryPrimitives.ReadInt32BigEndian(raw.AsSpan(i * recordSize, 4)) : raw[i];
            long label = value - firstLabel;
            if (label < 0 || label >= classCount)
                throw new MnistToolsException(ErrorIds.IdxLabelOutOfRange, FailureKind.InvalidData,
                    $"Label {value} of item {start + i} in '{labelPath}' is outside {firstLabel}..{firstLabel + classCount - 1}.", labelPath);
            result[i] = (byte)label;
        }
        return result;
    }

    /// <summary>Transposes each [rows x columns] image in place into [columns x rows] (EMNIST stores its images transposed).</summary>
    internal static void Transpose(byte[] pixels, int rows, int columns)
    {
        int size = rows * columns;
        byte[] scratch = new byte[size];
        for (int offset = 0; offset + size <= pixels.Length; offset += size)
        {
            Span<byte> image = pixels.AsSpan(offset, size);
            image.CopyTo(scratch);
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < columns; c++)
                    image[c * rows + r] = scratch[r * columns + c];
        }
    }

    /// <summary>True when the file starts with the gzip magic bytes 1F 8B.</summary>
    /// <exception cref="MnistToolsException">PathNotRegularFile for a device, FIFO or socket.</exception>
    public static bool IsGzipFile(string path)
    {
        using FileStream file = RegularFile.OpenRead(path, 1);
        return IdxStream.IsGzip(file);
    }

    /// <summary>One open IDX file positioned after its header.</summary>
    private sealed class IdxStream : IDisposable
    {
        private readonly string _path;
        private readonly FileStream _file;
        private readonly Stream _data;
        private readonly long _payload;
        private readonly bool _gzip;
        private readonly bool _sizeTrusted;

        private IdxStream(string path, FileStream file, Stream data, int magic, int[] dimensions, long payload, bool gzip, bool sizeTrusted)
        {
            Magic = magic;
            _path = path;
            _file = file;
            _data = data;
            Dimensions = dimensions;
            _payload = payload;
            _gzip = gzip;
            _sizeTrusted = sizeTrusted;
        }

        public int[] Dimensions { get; }

        public int Magic { get; }

        /// <summary>A label file: idx1-ubyte [count] or idx2-int [count x k].</summary>
        public static IdxStream OpenLabels(string path) => Open(path, LabelMagic, 1, LabelIntMagic);

        /// <param name="alternativeMagic">A second accepted magic (its dimension count is its low byte).</param>
        public static IdxStream Open(string path, int expectedMagic, int expectedDimensions, int? alternativeMagic = null)
        {
            if (RegularFile.CheckReadable(path) == FileKind.Directory)
                throw new MnistToolsException(ErrorIds.PathIsDirectory, FailureKind.InvalidArgument, $"'{path}' is a folder; an IDX file was expected.", path);
            if (!File.Exists(path))
                throw new MnistToolsException(ErrorIds.IdxFileNotFound, FailureKind.NotFound, $"Cannot find the IDX file '{path}'.", path);
            FileStream file;
            try { file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw ReadFailed(path, e);
            }
            try
            {
                long length = file.Length;
                if (length == 0)
                    throw new MnistToolsException(ErrorIds.IdxEmptyFile, FailureKind.InvalidData, $"'{path}' is empty.", path);
                bool gzip = IsGzip(file);
                uint? gzipSize = gzip ? ReadGzipTrailerSize(file) : null;
                Stream data = gzip ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : file;
                Span<byte> header = stackalloc byte[4 + 4 * 3];
                int headerLength = 4 + 4 * expectedDimensions;
                ReadHeader(data, header[..4], path);
                int magic = BinaryPrimitives.ReadInt32BigEndian(header);
                if (alternativeMagic is int alternative && magic == alternative)
                {
                    expectedMagic = alternative;
                    expectedDimensions = alternative & 0xFF;
                    headerLength = 4 + 4 * expectedDimensions;
                }
                if (magic != expectedMagic)
                    throw new MnistToolsException(ErrorIds.IdxBadMagic, FailureKind.InvalidData,
                        $"'{path}' does not start with the IDX magic number 0x{expectedMagic:X8} (found 0x{magic:X8}); " +
                        (expectedDimensions == 3 ? "an image file was expected." : "a label file was expected."), path);
                ReadHeader(data, header.Slice(4, 4 * expectedDimensions), path);
                var dimensions = new int[expectedDimensions];
                long payload = expectedMagic == LabelIntMagic ? 4 : 1; // bytes per element
                for (int d = 0; d < expectedDimensions; d++)
                {
                    dimensions[d] = BinaryPrimitives.ReadInt32BigEndian(header.Slice(4 + 4 * d));
                    if (dimensions[d] < 0 || (d > 0 && dimensions[d] == 0) || (d > 0 && dimensions[d] > 4096))
                        throw new MnistToolsException(ErrorIds.IdxBadDimensions, FailureKind.InvalidData,
                            $"'{path}' declares dimension {d} as {dimensions[d]}.", path);
                    payload *= dimensions[d];
                }
                // Refuse before allocating: the payload must fit the file (raw) or what deflate can produce (gzip).
                if (!gzip && headerLength + payload != length)
                    throw new MnistToolsException(ErrorIds.IdxLengthMismatch, FailureKind.InvalidData,
                        $"'{path}' declares {payload} bytes of data but holds {length - headerLength}.", path);
                if (gzip && payload > length * MaxDeflateRatio)
                    throw new MnistToolsException(ErrorIds.IdxLengthMismatch, FailureKind.InvalidData,
                        $"'{path}' declares {payload} bytes of data, more than its {length} compressed bytes can hold.", path);
                if (payload > Array.MaxLength)
                    throw new MnistToolsException(ErrorIds.IdxTooLarge, FailureKind.InvalidData, $"'{path}' declares {payload} bytes, more than one buffer can hold.", path);
                // The gzip trailer's ISIZE (length mod 2^32 of the last member) vouches for the size of a normal
                // single-member file; only then is the whole buffer allocated up front.
                bool sizeTrusted = !gzip || gzipSize == (uint)(headerLength + payload);
                return new IdxStream(path, file, data, magic, dimensions, payload, gzip, sizeTrusted);
            }
            catch (IOException e)
            {
                file.Dispose();
                throw ReadFailed(path, e);
            }
            catch
            {
                file.Dispose();
                throw;
            }
        }

        /// <summary>Reads records [start, start+count) of <paramref name="recordSize"/> bytes; drains and checks the rest.</summary>
        public byte[] ReadRecords(int start, int count, int recordSize, CancellationToken cancellationToken)
        {
            try
            {
                long skipBytes = (long)start * recordSize;
                long wanted = (long)count * recordSize;
                if (_gzip) Discard(skipBytes, cancellationToken);
                else _file.Seek(skipBytes, SeekOrigin.Current);
                // Uninitialized: ReadExactly fills every byte or throws, so zeroing 47 MB first would be wasted work.
                byte[] result = _sizeTrusted ? GC.AllocateUninitializedArray<byte>(checked((int)wanted)) : ReadGrowing(wanted, cancellationToken);
                if (_sizeTrusted) ReadExactly(result, cancellationToken);
                if (_gzip)
                {
                    // A raw file's length was checked exactly; a gzip stream must be inflated to its end.
                    Discard(_payload - skipBytes - wanted, cancellationToken);
                    if (_data.ReadByte() >= 0)
                        throw new MnistToolsException(ErrorIds.IdxTrailingData, FailureKind.InvalidData,
                            $"'{_path}' inflates to more data than its header declares ({_payload} bytes).", _path);
                }
                return result;
            }
            catch (InvalidDataException e)
            {
                throw new MnistToolsException(ErrorIds.IdxCorruptGzip, FailureKind.InvalidData, $"'{_path}' is not a valid gzip stream: {e.Message}", _path, e);
            }
            catch (IOException e)
            {
                throw ReadFailed(_path, e);
            }
        }

        /// <summary>Reads <paramref name="wanted"/> bytes into a buffer that grows only as data actually arrives.</summary>
        private byte[] ReadGrowing(long wanted, CancellationToken cancellationToken)
        {
            byte[] result = new byte[Math.Min(wanted, UntrustedInitialSize)];
            int filled = 0;
            while (true)
            {
                ReadExactly(result.AsSpan(filled), cancellationToken);
                filled = result.Length;
                if (filled == wanted) return result;
                Array.Resize(ref result, (int)Math.Min(wanted, 2L * filled));
            }
        }

        private void ReadExactly(Span<byte> buffer, CancellationToken cancellationToken)
        {
            while (!buffer.IsEmpty)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int n = _data.Read(buffer[..Math.Min(buffer.Length, ChunkSize)]);
                if (n == 0)
                    throw new MnistToolsException(ErrorIds.IdxTruncated, FailureKind.InvalidData,
                        $"'{_path}' ends before the {_payload} bytes its header declares.", _path);
                buffer = buffer[n..];
            }
        }

        private void Discard(long bytes, CancellationToken cancellationToken)
        {
            if (bytes <= 0) return;
            byte[] scratch = ArrayPool<byte>.Shared.Rent((int)Math.Min(bytes, 1 << 16));
            try
            {
                while (bytes > 0)
                {
                    int chunk = (int)Math.Min(bytes, scratch.Length);
                    ReadExactly(scratch.AsSpan(0, chunk), cancellationToken);
                    bytes -= chunk;
                }
            }
            finally { ArrayPool<byte>.Shared.Return(scratch); }
        }

        private static void ReadHeader(Stream data, Span<byte> buffer, string path)
        {
            try
            {
                data.ReadExactly(buffer);
            }
            catch (EndOfStreamException e)
            {
                throw new MnistToolsException(ErrorIds.IdxTruncated, FailureKind.InvalidData, $"'{path}' is too short to hold an IDX header.", path, e);
            }
            catch (InvalidDataException e)
            {
                throw new MnistToolsException(ErrorIds.IdxCorruptGzip, FailureKind.InvalidData, $"'{path}' is not a valid gzip stream: {e.Message}", path, e);
            }
            catch (IOException e)
            {
                throw ReadFailed(path, e);
            }
        }

        internal static bool IsGzip(FileStream file)
        {
            Span<byte> magic = stackalloc byte[2];
            int n = file.Read(magic);
            file.Position = 0;
            return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        }

        /// <summary>The ISIZE field (last four bytes, little-endian), or null when the file is too short to have one.</summary>
        private static uint? ReadGzipTrailerSize(FileStream file)
        {
            if (file.Length < 18) return null; // 10-byte header + 8-byte trailer
            Span<byte> trailer = stackalloc byte[4];
            file.Position = file.Length - 4;
            file.ReadExactly(trailer);
            file.Position = 0;
            return BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        }

        private static MnistToolsException ReadFailed(string path, Exception e) =>
            new(ErrorIds.IdxReadFailed, FailureKind.ReadWrite, $"Cannot read '{path}': {e.Message}", path, e);

        public void Dispose()
        {
            if (!ReferenceEquals(_data, _file)) _data.Dispose();
            _file.Dispose();
        }
    }
}
