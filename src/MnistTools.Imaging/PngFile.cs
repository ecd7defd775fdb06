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
    /// Writes <paramref name="bytes"/> to <paramref name="path"/> atomically: a temporary file in the same folder,
    /// then a rename over the target, so a reader never sees half a picture and a failure leaves the old file intact.
    /// </summary>
    /// <exception cref="MnistToolsException">
    /// AlreadyExists <c>ImageFileExists</c> when the file exists and <paramref name="overwrite"/> is false;
    /// NotFound <c>ImageFolderNotFound</c> when the folder does not exist; Write <c>ImageWriteFailed</c> otherwise.
    /// </exception>
    public static void WriteAtomic(string path, ReadOnlySpan<byte> bytes, bool overwrite)
    {
        string fullPath = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(fullPath) ?? ".";
        if (!Directory.Exists(folder))
            throw new MnistToolsException("ImageFolderNotFound", FailureKind.NotFound, $"The folder '{folder}' does not exist.", fullPath);
        if (Directory.Exists(fullPath))
            throw new MnistToolsException("ImageWriteFailed", FailureKind.Write, $"'{fullPath}' is a folder, not a file.", fullPath);
        if (!overwrite && File.Exists(fullPath))
            throw new MnistToolsException("ImageFileExists", FailureKind.AlreadyExists,
                $"The file '{fullPath}' already exists. Use -Force to overwrite it.", fullPath);

        string temporary = Path.Combine(folder, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            if (!overwrite && File.Exists(fullPath))
                throw new MnistToolsException("ImageFileExists", FailureKind.AlreadyExists,
                    $"The file '{fullPath}' already exists. Use -Force to overwrite it.", fullPath, e);
            throw new MnistToolsException("ImageWriteFailed", FailureKind.Write, $"Cannot write '{fullPath}': {e.Message}", fullPath, e);
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* best effort: the temp name is unique */ }
    }
}
