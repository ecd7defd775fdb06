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
        AtomicFile.Write(path, overwrite, (stream, token) =>
        {
            Span<byte> header = stackalloc byte[16];
            BinaryPrimitives.WriteInt32BigEndian(header, IdxReader.ImageMagic);
            BinaryPrimitives.WriteInt32BigEndian(header[4..], set.Count);
            BinaryPrimitives.WriteInt32BigEndian(header[8..], set.Rows);
            BinaryPrimitives.WriteInt32BigEndian(header[12..], set.Columns);
            WritePayload(stream, gzip, header, set, labels: false, token);
        }, cancellationToken);
    }

    /// <summary>Writes the label file [count] of a labelled set.</summary>
    /// <exception cref="MnistToolsException">InvalidArgument DataSetUnlabelled when the set has no labels.</exception>
    public static void WriteLabels(MnistDataSet set, string path, bool gzip, bool overwrite, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(set);
        if (!set.IsLabelled)
            throw new MnistToolsException(ErrorIds.DataSetUnlabelled, FailureKind.InvalidArgument, $"'{set.Name}' has no labels to write.", path);
        AtomicFile.Write(path, overwrite, (stream, token) =>
        {
            Span<byte> header = stackalloc byte[8];
            BinaryPrimitives.WriteInt32BigEndian(header, IdxReader.LabelMagic);
            BinaryPrimitives.WriteInt32BigEndian(header[4..], set.Count);
            WritePayload(stream, gzip, header, set, labels: true, token);
        }, cancellationToken);
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
