using MnistTools.Errors;
using MnistTools.Imaging;
using SkiaSharp;

namespace MnistTools.Tests.Imaging;

public class ImageDecoderTests : IDisposable
{
    private readonly string _folder = PictureHelpers.TempFolder();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly (int, int, int, int)[] Seven = { (60, 50, 120, 20), (150, 50, 25, 160) };

    [Fact]
    public void PngFileGivesExactlyWhatThePureFunctionGives()
    {
        byte[] luminance = PictureHelpers.Canvas(240, 260, 255, 0, Seven);
        string path = Path.Combine(_folder, "seven.png");
        File.WriteAllBytes(path, PictureHelpers.Encode(luminance, 240, 260, SKEncodedImageFormat.Png));

        GreyPicture decoded = ImageDecoder.DecodeGrey(path);
        Assert.Equal((240, 260), (decoded.Width, decoded.Height));
        Assert.Equal(luminance, decoded.Luminance);

        MnistImage fromFile = HandwritingPreprocessor.LoadDigit(path);
        Assert.Equal(DigitPreprocessor.Preprocess(luminance, 240, 260).Pixels, fromFile.Pixels);
        Assert.Equal(path, fromFile.DataSet);
        Assert.Null(fromFile.Label);
    }

    [Fact]
    public void JpegPhotoOfLightOnDarkIsCloseToTheLosslessResult()
    {
        byte[] luminance = PictureHelpers.Canvas(240, 260, 20, 230, Seven);
        string path = Path.Combine(_folder, "seven.jpg");
        File.WriteAllBytes(path, PictureHelpers.Encode(luminance, 240, 260, SKEncodedImageFormat.Jpeg, quality: 80));

        MnistImage fromJpeg = HandwritingPreprocessor.LoadDigit(path);
        MnistImage exact = DigitPreprocessor.Preprocess(luminance, 240, 260);
        double meanDifference = fromJpeg.Pixels.Zip(exact.Pixels, (a, b) => Math.Abs(a - b)).Average();
        Assert.True(meanDifference < 6, $"JPEG artefacts moved the pixels by {meanDifference:F2} grey levels on average");
        Assert.Equal(PictureHelpers.InkBox(exact).Height, PictureHelpers.InkBox(fromJpeg).Height);
    }

    public static TheoryData<string, byte[]> BadFiles()
    {
        byte[] png = PictureHelpers.Encode(PictureHelpers.Canvas(64, 64, 255, 0, (10, 10, 20, 40)), 64, 64, SKEncodedImageFormat.Png);
        var random = new byte[4096];
        new Random(3).NextBytes(random);
        byte[] damaged = (byte[])png.Clone();
        for (int i = 60; i < damaged.Length - 20; i++) damaged[i] ^= 0x5A;
        return new TheoryData<string, byte[]>
        {
            { "empty.png", Array.Empty<byte>() },
            { "text.png", "this is not a picture\n"u8.ToArray() },
            { "random.jpg", random },
            { "truncated.png", png[..(png.Length / 2)] },
            { "damaged.png", damaged },
            { "header-only.png", png[..33] },
        };
    }

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void CorruptOrNonImageFilesAreInvalidDataWithThePathAsTarget(string name, byte[] content)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, content);
        var e = Assert.Throws<MnistToolsException>(() => HandwritingPreprocessor.LoadDigit(path));
        Assert.Equal(FailureKind.InvalidData, e.Kind);
        Assert.Equal(path, e.Target);
        Assert.Contains(e.ErrorId, new[] { "ImageDecodeFailed", "ImageHasNoInk" });
    }

    [Fact]
    public void HugeDimensionsAreRefusedBeforeAllocating()
    {
        // A valid PNG header promising 40,000 x 40,000 pixels (1.6 gigapixels; the limit is 64 megapixels), and no pixel data.
        var ihdr = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr, 40_000);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), 40_000);
        ihdr[8] = 8;                                                   // 8 bits per sample, grey, no interlace
        byte[] png = new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }
            .Concat(Chunk("IHDR", ihdr))
            .Concat(Chunk("IDAT", new byte[] { 0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01 }))   // an empty zlib stream
            .Concat(Chunk("IEND", Array.Empty<byte>())).ToArray();
        var e = Assert.Throws<MnistToolsException>(() => ImageDecoder.DecodeGrey(png, "huge.png"));
        Assert.Equal(("ImageTooLarge", FailureKind.InvalidData, (object)"huge.png"), (e.ErrorId, e.Kind, e.Target));
    }

    private static byte[] Chunk(string type, byte[] data)
    {
        byte[] typeAndData = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        var chunk = new byte[12 + data.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        typeAndData.CopyTo(chunk, 4);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32(typeAndData));
        return chunk;
    }

    private static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }

    [Fact]
    public void MissingFileIsNotFound()
    {
        string path = Path.Combine(_folder, "nope.png");
        var e = Assert.Throws<MnistToolsException>(() => HandwritingPreprocessor.LoadDigit(path));
        Assert.Equal(("PathNotFound", FailureKind.NotFound, (object)path), (e.ErrorId, e.Kind, e.Target));
    }

    [Fact]
    public void ExifOrientationTurnsThePictureUpright()
    {
        // Stored [2 x 3]: a b c / d e f. RightTop (EXIF 6) shows it turned 90 degrees clockwise: [3 x 2] d a / e b / f c.
        var stored = new GreyPicture(3, 2, new byte[] { 1, 2, 3, 4, 5, 6 });
        GreyPicture upright = ImageDecoder.Orient(stored, SKEncodedOrigin.RightTop);
        Assert.Equal((2, 3), (upright.Width, upright.Height));
        Assert.Equal(new byte[] { 4, 1, 5, 2, 6, 3 }, upright.Luminance);
        Assert.Equal(new byte[] { 3, 6, 2, 5, 1, 4 }, ImageDecoder.Orient(stored, SKEncodedOrigin.LeftBottom).Luminance);
        Assert.Equal(new byte[] { 6, 5, 4, 3, 2, 1 }, ImageDecoder.Orient(stored, SKEncodedOrigin.BottomRight).Luminance);
        Assert.Same(stored, ImageDecoder.Orient(stored, SKEncodedOrigin.TopLeft));
    }

    [Fact]
    public void TransparentBackgroundCountsAsWhitePaper()
    {
        GraphicsLibrary.EnsureAvailable();
        using var bitmap = new SKBitmap(new SKImageInfo(80, 80, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.Erase(SKColors.Transparent);
        using (var canvas = new SKCanvas(bitmap))
        using (var paint = new SKPaint { Color = SKColors.Black })
            canvas.DrawRect(30, 10, 10, 60, paint);
        using SKData data = SKImage.FromBitmap(bitmap).Encode(SKEncodedImageFormat.Png, 100);
        GreyPicture picture = ImageDecoder.DecodeGrey(data.ToArray(), "transparent.png");
        Assert.Equal(255, picture.Luminance[0]);
        Assert.Equal(0, picture.Luminance[40 * 80 + 35]);
    }
}
