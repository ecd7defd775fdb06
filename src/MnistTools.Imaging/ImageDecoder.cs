using System.Runtime.InteropServices;
using MnistTools.Errors;
using MnistTools.Files;
using MnistTools.Persistence;
using SkiaSharp;

namespace MnistTools.Imaging;

/// <summary>A decoded picture as grey levels: [Height x Width] row-major, 0 = black, 255 = white.</summary>
public sealed record GreyPicture(int Width, int Height, byte[] Luminance);

/// <summary>
/// Decodes PNG, JPEG (and whatever else Skia reads: BMP, GIF, WebP) into grey levels with SkiaSharp.
/// Transparent pixels are composited over white; the EXIF orientation of photos is applied.
/// Failures are <see cref="MnistToolsException"/> with the path as target.
/// </summary>
public static class ImageDecoder
{
    /// <summary>Pictures larger than this (in pixels) are refused before any pixel buffer is allocated.</summary>
    public const long MaxPixels = 64L * 1024 * 1024;

    /// <summary>Picture files larger than this are refused before they are read.</summary>
    public const long MaxFileBytes = 256L * 1024 * 1024;

    public static GreyPicture DecodeGrey(string path) => DecodeGrey(path, MaxPixels, MaxFileBytes);

    /// <summary>Like <see cref="DecodeGrey(string)"/> with tighter limits (a folder of thousands of pictures).</summary>
    public static GreyPicture DecodeGrey(string path, long maxPixels, long maxFileBytes)
    {
        GraphicsLibrary.EnsureAvailable();
        if (RegularFile.CheckReadable(path) != FileKind.Regular)
            throw new MnistToolsException(ErrorIds.PathNotFound, FailureKind.NotFound, $"Cannot find the picture '{path}'.", path);
        byte[] encoded;
        try
        {
            long length = new FileInfo(path).Length;
            if (length > maxFileBytes)
                throw new MnistToolsException(ErrorIds.ImageTooLarge, FailureKind.InvalidData,
                    $"'{path}' is {length:N0} bytes; picture files of at most {maxFileBytes:N0} bytes are read.", path);
            encoded = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MnistToolsException(ErrorIds.ImageReadFailed, FailureKind.ReadWrite, $"Cannot read '{path}': {e.Message}", path, e);
        }
        return DecodeGrey(encoded, path, maxPixels);
    }

    /// <summary>Decodes an encoded picture held in memory; <paramref name="source"/> names it in errors.</summary>
    public static GreyPicture DecodeGrey(byte[] encoded, string source) => DecodeGrey(encoded, source, MaxPixels);

    /// <summary>Decodes an encoded picture of at most <paramref name="maxPixels"/> pixels (checked before any pixel buffer is allocated).</summary>
    public static GreyPicture DecodeGrey(byte[] encoded, string source, long maxPixels)
    {
        GraphicsLibrary.EnsureAvailable();
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data);
        if (codec is null)
            throw new MnistToolsException(ErrorIds.ImageDecodeFailed, FailureKind.InvalidData,
                $"'{source}' is not a picture the graphics library can read (PNG, JPEG, BMP, GIF or WebP).", source);

        int width = codec.Info.Width, height = codec.Info.Height;
        if (width < 1 || height < 1 || (long)width * height > maxPixels)
            throw new MnistToolsException(ErrorIds.ImageTooLarge, FailureKind.InvalidData,
                $"'{source}' says it is {width} x {height} pixels; only pictures of 1 to {maxPixels} pixels are read.", source);

        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = new byte[info.BytesSize];
        SKCodecResult result;
        unsafe
        {
            fixed (byte* pixels = rgba) result = codec.GetPixels(info, (IntPtr)pixels);
        }
        if (result != SKCodecResult.Success)
            throw new MnistToolsException(ErrorIds.ImageDecodeFailed, FailureKind.InvalidData,
                $"'{source}' is damaged: decoding stopped with '{result}'.", source);

        byte[] luminance = ToLuminanceOverWhite(rgba, width * height);
        return Orient(new GreyPicture(width, height, luminance), codec.EncodedOrigin);
    }

    /// <summary>ITU-R BT.601 luma of unpremultiplied RGBA, composited over white.</summary>
    private static byte[] ToLuminanceOverWhite(byte[] rgba, int pixelCount)
    {
        var luminance = new byte[pixelCount];
        for (int i = 0; i < pixelCount; i++)
        {
            int o = 4 * i;
            double luma = 0.299 * rgba[o] + 0.587 * rgba[o + 1] + 0.114 * rgba[o + 2];
            double alpha = rgba[o + 3] / 255.0;
            luminance[i] = (byte)Math.Clamp((int)Math.Round(alpha * luma + (1 - alpha) * 255), 0, 255);
        }
        return luminance;
    }

    /// <summary>Applies the EXIF orientation, so a phone photo is upright as it is shown.</summary>
    internal static GreyPicture Orient(GreyPicture picture, SKEncodedOrigin origin)
    {
        int w = picture.Width, h = picture.Height;
        byte[] s = picture.Luminance;
        bool swap = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        if (origin == SKEncodedOrigin.TopLeft || (int)origin < 1 || (int)origin > 8) return picture;
        int dw = swap ? h : w, dh = swap ? w : h;
        var d = new byte[s.Length];
        for (int y = 0; y < dh; y++)
        {
            for (int x = 0; x < dw; x++)
            {
                (int sx, int sy) = origin switch
                {
                    SKEncodedOrigin.TopRight => (w - 1 - x, y),
                    SKEncodedOrigin.BottomRight => (w - 1 - x, h - 1 - y),
                    SKEncodedOrigin.BottomLeft => (x, h - 1 - y),
                    SKEncodedOrigin.LeftTop => (y, x),
                    SKEncodedOrigin.RightTop => (y, h - 1 - x),
                    SKEncodedOrigin.RightBottom => (w - 1 - y, h - 1 - x),
                    _ => (w - 1 - y, x), // LeftBottom
                };
                d[y * dw + x] = s[sy * w + sx];
            }
        }
        return new GreyPicture(dw, dh, d);
    }
}
