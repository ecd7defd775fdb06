using System.Buffers.Binary;
using System.IO.Compression;

namespace MnistTools;

/// <summary>
/// Reads IDX files (the MNIST format), raw or gzip-compressed (detected by magic bytes, not name).
/// Header: 0x00 0x00, element type (0x08 = unsigned byte), number of dimensions, then one big-endian
/// int32 per dimension. Every count is checked against what the file can hold before any allocation,
/// and the stream must end exactly where the header says.
/// All failures are <see cref="MnistToolsException"/> with the path as target.
/// </summary>
public static class IdxReader
{
    /// <summary>The largest ratio deflate can reach (about 1032:1); a header promising more is a lie.</summary>
    private const long MaxDeflateRatio = 1100;

    private const int ImageMagic = 0x00000803;
    private const int LabelMagic = 0x00000801;

    /// <summary>Standard MNIST file names for a subset: (images, labels).</summary>
    public static (string Images, string Labels) StandardFileNames(bool train) => train
        ? ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
        : ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");

    /// <summary>
    /// Reads an image file [count x rows x columns] and its label file [count] into a data set,
    /// keeping images [skip, skip + first).
    /// </summary>
    public static MnistDataSet ReadDataSet(string imagePath, string labelPath, string name,
        int skip = 0, int? first = null, int classCount = 10, CancellationToken cancellationToken = default)
    {
        if (skip < 0) throw new MnistToolsException("SkipOutOfRange", FailureKind.InvalidArgument, $"Skip must be >= 0; got {skip}.", "Skip");
        if (first is < 0) throw new MnistToolsException("FirstOutOfRange", FailureKind.InvalidArgument, $"First must be >= 0; got {first}.", "First");

        using var images = IdxStream.Open(imagePath, ImageMagic, 3);
        using var labels = IdxStream.Open(labelPath, LabelMagic, 1);
        int count = images.Dimensions[0];
        if (labels.Dimensions[0] != count)
            throw new MnistToolsException("IdxCountMismatch", FailureKind.InvalidData,
                $"'{imagePath}' holds {count} images but '{labelPath}' holds {labels.Dimensions[0]} labels.", labelPath);
        int rows = images.Dimensions[1], columns = images.Dimensions[2];
        int start = Math.Min(skip, count);
        int take = Math.Min(first ?? int.MaxValue, count - start);
        int imageSize = rows * columns;

        byte[] labelBytes = labels.ReadRecords(start, take, 1, cancellationToken);
        for (int i = 0; i < labelBytes.Length; i++)
            if (labelBytes[i] >= classCount)
                throw new MnistToolsException("IdxLabelOutOfRange", FailureKind.InvalidData,
                    $"Label {labelBytes[i]} of item {start + i} in '{labelPath}' is outside 0..{classCount - 1}.", labelPath);
        byte[] pixels = images.ReadRecords(start, take, imageSize, cancellationToken);
        return new MnistDataSet(name, imagePath, rows, columns, pixels, labelBytes, classCount);
    }

    /// <summary>One open IDX file positioned after its header.</summary>
    private sealed class IdxStream : IDisposable
    {
        private readonly string _path;
        private readonly FileStream _file;
        private readonly Stream _data;
        private readonly long _payload;

        private IdxStream(string path, FileStream file, Stream data, int[] dimensions, long payload)
        {
            _path = path;
            _file = file;
            _data = data;
            Dimensions = dimensions;
            _payload = payload;
        }

        public int[] Dimensions { get; }

        public static IdxStream Open(string path, int expectedMagic, int expectedDimensions)
        {
            if (Directory.Exists(path))
                throw new MnistToolsException("IdxPathIsDirectory", FailureKind.InvalidArgument, $"'{path}' is a folder; an IDX file was expected.", path);
            if (!File.Exists(path))
                throw new MnistToolsException("IdxFileNotFound", FailureKind.NotFound, $"Cannot find the IDX file '{path}'.", path);
            FileStream file;
            try { file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new MnistToolsException("IdxReadFailed", FailureKind.ReadWrite, $"Cannot read '{path}': {e.Message}", path, e);
            }
            try
            {
                long length = file.Length;
                if (length == 0)
                    throw new MnistToolsException("IdxEmptyFile", FailureKind.InvalidData, $"'{path}' is empty.", path);
                bool gzip = IsGzip(file);
                Stream data = gzip ? new BufferedStream(new GZipStream(file, CompressionMode.Decompress, leaveOpen: true), 1 << 16) : file;
                Span<byte> header = stackalloc byte[4 + 4 * 3];
                int headerLength = 4 + 4 * expectedDimensions;
                ReadHeader(data, header[..4], path);
                int magic = BinaryPrimitives.ReadInt32BigEndian(header);
                if (magic != expectedMagic)
                    throw new MnistToolsException("IdxBadMagic", FailureKind.InvalidData,
                        $"'{path}' does not start with the IDX magic number 0x{expectedMagic:X8} (found 0x{magic:X8}); " +
                        (expectedDimensions == 3 ? "an image file was expected." : "a label file was expected."), path);
                ReadHeader(data, header.Slice(4, 4 * expectedDimensions), path);
                var dimensions = new int[expectedDimensions];
                long payload = 1;
                for (int d = 0; d < expectedDimensions; d++)
                {
                    dimensions[d] = BinaryPrimitives.ReadInt32BigEndian(header.Slice(4 + 4 * d));
                    if (dimensions[d] < 0 || (d > 0 && dimensions[d] == 0) || (d > 0 && dimensions[d] > 4096))
                        throw new MnistToolsException("IdxBadDimensions", FailureKind.InvalidData,
                            $"'{path}' declares dimension {d} as {dimensions[d]}.", path);
                    payload *= dimensions[d];
                }
                // Refuse before allocating: the payload must fit the file (raw) or what deflate can produce (gzip).
                if (!gzip && headerLength + payload != length)
                    throw new MnistToolsException("IdxLengthMismatch", FailureKind.InvalidData,
                        $"'{path}' declares {payload} bytes of data but holds {length - headerLength}.", path);
                if (gzip && payload > length * MaxDeflateRatio)
                    throw new MnistToolsException("IdxLengthMismatch", FailureKind.InvalidData,
                        $"'{path}' declares {payload} bytes of data, more than its {length} compressed bytes can hold.", path);
                if (payload > Array.MaxLength)
                    throw new MnistToolsException("IdxTooLarge", FailureKind.InvalidData, $"'{path}' declares {payload} bytes, more than one buffer can hold.", path);
                return new IdxStream(path, file, data, dimensions, payload);
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
                Discard((long)start * recordSize, cancellationToken);
                byte[] result = new byte[(long)count * recordSize];
                ReadExactly(result, cancellationToken);
                Discard(_payload - ((long)start + count) * recordSize, cancellationToken);
                if (_data.ReadByte() >= 0)
                    throw new MnistToolsException("IdxTrailingData", FailureKind.InvalidData,
                        $"'{_path}' holds more data than its header declares ({_payload} bytes).", _path);
                return result;
            }
            catch (InvalidDataException e)
            {
                throw new MnistToolsException("IdxCorruptGzip", FailureKind.InvalidData, $"'{_path}' is not a valid gzip stream: {e.Message}", _path, e);
            }
            catch (IOException e)
            {
                throw new MnistToolsException("IdxReadFailed", FailureKind.ReadWrite, $"Cannot read '{_path}': {e.Message}", _path, e);
            }
        }

        private void ReadExactly(Span<byte> buffer, CancellationToken cancellationToken)
        {
            while (!buffer.IsEmpty)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int n = _data.Read(buffer[..Math.Min(buffer.Length, 1 << 20)]);
                if (n == 0)
                    throw new MnistToolsException("IdxTruncated", FailureKind.InvalidData,
                        $"'{_path}' ends before the {_payload} bytes its header declares.", _path);
                buffer = buffer[n..];
            }
        }

        private void Discard(long bytes, CancellationToken cancellationToken)
        {
            Span<byte> scratch = stackalloc byte[4096];
            while (bytes > 0)
            {
                int chunk = (int)Math.Min(bytes, scratch.Length);
                ReadExactly(scratch[..chunk], cancellationToken);
                bytes -= chunk;
            }
        }

        private static void ReadHeader(Stream data, Span<byte> buffer, string path)
        {
            try
            {
                data.ReadExactly(buffer);
            }
            catch (EndOfStreamException e)
            {
                throw new MnistToolsException("IdxTruncated", FailureKind.InvalidData, $"'{path}' is too short to hold an IDX header.", path, e);
            }
            catch (InvalidDataException e)
            {
                throw new MnistToolsException("IdxCorruptGzip", FailureKind.InvalidData, $"'{path}' is not a valid gzip stream: {e.Message}", path, e);
            }
        }

        private static bool IsGzip(FileStream file)
        {
            Span<byte> magic = stackalloc byte[2];
            int n = file.Read(magic);
            file.Position = 0;
            return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        }

        public void Dispose()
        {
            if (!ReferenceEquals(_data, _file)) _data.Dispose();
            _file.Dispose();
        }
    }
}
