using System.Buffers.Binary;
using System.IO.Compression;
using MnistTools.Errors;
using MnistTools.Files;
using MnistTools.Persistence;

namespace MnistTools.Data;

/// <summary>
/// Writes a data set as IDX files that <see cref="IdxReader"/> (and every MNIST loader) reads back exactly: images
/// idx3-ubyte [count x rows x columns], labels idx1-ubyte [count]; raw, or gzip-compressed.
/// Each file is written atomically (<see cref="AtomicFile"/>).
/// </summary>
public static class IdxWriter
{
    private const int Chunk = 1 << 20;

    /// <summary>Writes the image file [count x rows x columns].</summary>
    public static void WriteImages(MnistDataSet set, string path, bool gzip, bool overwrite, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(set);
        AtomicFile.Write(path, overwrite, (stream, token) => WriteImageContent(set, stream, gzip, token), cancellationToken);
    }

    /// <summary>Writes the label file [count] of a labelled set.</summary>
    /// <exception cref="MnistToolsException">InvalidArgument DataSetUnlabelled when the set has no labels.</exception>
    public static void WriteLabels(MnistDataSet set, string path, bool gzip, bool overwrite, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(set);
        CheckLabelled(set, path);
        AtomicFile.Write(path, overwrite, (stream, token) => WriteLabelContent(set, stream, gzip, token), cancellationToken);
    }

    /// <summary>
    /// Writes the image file and, for a labelled set, the label file as one (<see cref="AtomicFile.WriteAll"/>): both
    /// targets are checked before either is written, and a label file that cannot be put in place leaves the previous
    /// image file too. Each is gzip-compressed when its name ends in .gz.
    /// </summary>
    /// <param name="labelPath">The label file; null writes the images only (an unlabelled set).</param>
    /// <param name="beforeMove">Test hook (see <see cref="AtomicFile.WriteAll"/>).</param>
    public static void WriteSet(MnistDataSet set, string imagePath, string? labelPath, bool overwrite,
        CancellationToken cancellationToken = default, Action<int>? beforeMove = null)
    {
        ArgumentNullException.ThrowIfNull(set);
        var files = new List<(string, Action<Stream, CancellationToken>)>
        {
            (imagePath, (stream, token) => WriteImageContent(set, stream, IdxFileNames.IsGzipName(imagePath), token)),
        };
        if (labelPath is not null)
        {
            CheckLabelled(set, labelPath);
            files.Add((labelPath, (stream, token) => WriteLabelContent(set, stream, IdxFileNames.IsGzipName(labelPath), token)));
        }
        AtomicFile.WriteAll(files, overwrite, cancellationToken, beforeMove);
    }

    private static void CheckLabelled(MnistDataSet set, string path)
    {
        if (!set.IsLabelled)
            throw new MnistToolsException(ErrorIds.DataSetUnlabelled, FailureKind.InvalidArgument, $"'{set.Name}' has no labels to write.", path);
    }

    private static void WriteImageContent(MnistDataSet set, Stream stream, bool gzip, CancellationToken token)
    {
        Span<byte> header = stackalloc byte[16];
        BinaryPrimitives.WriteInt32BigEndian(header, IdxReader.ImageMagic);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], set.Count);
        BinaryPrimitives.WriteInt32BigEndian(header[8..], set.Rows);
        BinaryPrimitives.WriteInt32BigEndian(header[12..], set.Columns);
        WritePayload(stream, gzip, header, set, labels: false, token);
    }

    private static void WriteLabelContent(MnistDataSet set, Stream stream, bool gzip, CancellationToken token)
    {
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, IdxReader.LabelMagic);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], set.Count);
        WritePayload(stream, gzip, header, set, labels: true, token);
    }

    private static void WritePayload(Stream file, bool gzip, ReadOnlySpan<byte> header, MnistDataSet set, bool labels, CancellationToken cancellationToken)
    {
        int length = labels ? set.Labels.Length : set.Pixels.Length;
        Stream target = gzip ? new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true) : file;
        try
        {
            target.Write(header);
            for (int offset = 0; offset < length; offset += Chunk)
            {
                cancellationToken.ThrowIfCancellationRequested();
                ReadOnlySpan<byte> payload = labels ? set.Labels : set.Pixels;
                target.Write(payload.Slice(offset, Math.Min(Chunk, length - offset)));
            }
        }
        finally
        {
            if (gzip) target.Dispose();
        }
    }
}
