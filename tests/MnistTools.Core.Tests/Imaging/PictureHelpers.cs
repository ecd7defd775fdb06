using MnistTools.Imaging;
using SkiaSharp;

namespace MnistTools.Tests.Imaging;

/// <summary>Synthetic pictures and PNG decoding for the picture tests.</summary>
internal static class PictureHelpers
{
    /// <summary>A [height x width] luminance buffer of <paramref name="background"/> with ink rectangles (x, y, w, h) of <paramref name="ink"/>.</summary>
    public static byte[] Canvas(int width, int height, byte background, byte ink, params (int X, int Y, int W, int H)[] strokes)
    {
        var pixels = new byte[width * height];
        Array.Fill(pixels, background);
        foreach ((int sx, int sy, int sw, int sh) in strokes)
            for (int y = sy; y < sy + sh; y++)
                for (int x = sx; x < sx + sw; x++) pixels[y * width + x] = ink;
        return pixels;
    }

    /// <summary>Centre of mass of an MNIST image in pixel-index coordinates (sum of value * column / sum of value).</summary>
    public static (double X, double Y) CentreOfMass(MnistImage image)
    {
        double mass = 0, mx = 0, my = 0;
        for (int y = 0; y < image.Rows; y++)
            for (int x = 0; x < image.Columns; x++)
            {
                double v = image.Pixels[y * image.Columns + x];
                mass += v;
                mx += v * x;
                my += v * y;
            }
        return (mx / mass, my / mass);
    }

    /// <summary>Bounding box (left, top, width, height) of the non-zero pixels.</summary>
    public static (int Left, int Top, int Width, int Height) InkBox(MnistImage image)
    {
        int left = int.MaxValue, top = int.MaxValue, right = -1, bottom = -1;
        for (int y = 0; y < image.Rows; y++)
            for (int x = 0; x < image.Columns; x++)
                if (image.Pixels[y * image.Columns + x] > 0)
                {
                    left = Math.Min(left, x); right = Math.Max(right, x);
                    top = Math.Min(top, y); bottom = Math.Max(bottom, y);
                }
        return (left, top, right - left + 1, bottom - top + 1);
    }

    /// <summary>Decodes a PNG into an RGBA bitmap (the caller disposes it).</summary>
    public static SKBitmap Decode(byte[] png)
    {
        GraphicsLibrary.EnsureAvailable();
        SKBitmap? bitmap = SKBitmap.Decode(png);
        Assert.NotNull(bitmap);
        Assert.True(png.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }), "not a PNG signature");
        return bitmap!;
    }

    /// <summary>Encodes a grey picture as PNG or JPEG, as a user's file would be.</summary>
    public static byte[] Encode(byte[] luminance, int width, int height, SKEncodedImageFormat format, int quality = 95)
    {
        GraphicsLibrary.EnsureAvailable();
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        Span<byte> rgba = bitmap.GetPixelSpan();
        for (int i = 0; i < luminance.Length; i++)
        {
            rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = luminance[i];
            rgba[4 * i + 3] = 255;
        }
        using SKImage image = SKImage.FromBitmap(bitmap);
        using SKData data = image.Encode(format, quality);
        return data.ToArray();
    }

    public static string TempFolder()
    {
        string folder = Path.Combine(Path.GetTempPath(), "mnisttools-pictures-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }
}
