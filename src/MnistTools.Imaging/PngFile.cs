using MnistTools.Files;
using MnistTools.Persistence;
using SkiaSharp;

namespace MnistTools.Imaging;

/// <summary>PNG encoding and atomic writing of finished pictures.</summary>
public static class PngFile
{
    /// <summary>Encodes a bitmap as PNG bytes (lossless, deterministic for the same pixels).</summary>
    internal static byte[] Encode(SKBitmap bitmap)
    {
        using SKImage image = SKImage.FromBitmap(bitmap);
        using SKData data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>
    /// Writes <paramref name="bytes"/> to <paramref name="path"/> atomically through <see cref="AtomicFile"/>: a temporary
    /// file in the same folder, then a rename over the target, so a reader never sees half a picture and a failure
    /// leaves the old file intact. Its errors are AtomicFile's (FileExists, FolderNotFound, PathIsDirectory, FileWriteFailed).
    /// </summary>
    public static void WriteAtomic(string path, byte[] bytes, bool overwrite) =>
        AtomicFile.Write(path, overwrite, (stream, _) => stream.Write(bytes));
}
