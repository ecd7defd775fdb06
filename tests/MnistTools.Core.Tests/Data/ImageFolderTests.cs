using System.Buffers.Binary;
using MnistTools.Errors;
using MnistTools.Imaging;
using MnistTools.Tests.Imaging;
using SkiaSharp;

namespace MnistTools.Tests.Data;

/// <summary>The picture-folder reader on folders built in the test: classes, the kept and preprocessed pictures, and every bad item.</summary>
public sealed class ImageFolderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mnisttools-folder-").FullName;
    private readonly List<MnistToolsException> _bad = new();

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    private string Put(string relative, byte[] bytes)
    {
        string path = Path.Combine(_folder, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>A 28x28 MNIST-like image (bright ink on black): a bar at column <paramref name="x"/>, grey level 200 + x.</summary>
    private static byte[] Ink(int x)
    {
        var pixels = new byte[28 * 28];
        for (int y = 6; y < 22; y++) pixels[y * 28 + x] = (byte)(200 + x);
        return pixels;
    }

    private static byte[] Png(byte[] luminance, int width, int height) => PictureHelpers.Encode(luminance, width, height, SKEncodedImageFormat.Png);

    private static byte[] Inverted(byte[] pixels) => pixels.Select(p => (byte)(255 - p)).ToArray();

    private MnistDataSet Read(ImageFolderOptions? options = null, string? folder = null) =>
        ImageFolderReader.Read(folder ?? _folder, "pictures", options ?? new ImageFolderOptions(), _bad.Add);

    [Fact]
    public void SortedSubFoldersAreTheClassesAnd28x28PicturesAreKept()
    {
        // Class folders created out of order; names sort ordinally (upper case before lower case, as torchvision's sorted()).
        Put("zebra/b.png", Png(Ink(5), 28, 28));
        Put("zebra/a.png", Png(Inverted(Ink(7)), 28, 28)); // dark ink on white paper: inverted back
        Put("Apple/x.png", Png(Ink(9), 28, 28));
        Put("cat/sub/deep.png", Png(Ink(11), 28, 28)); // pictures in nested folders belong to the class
        var progress = new List<(int, int)>();
        MnistDataSet set = ImageFolderReader.Read(_folder, "pictures", new ImageFolderOptions(), _bad.Add, (done, total) => progress.Add((done, total)));

        Assert.Empty(_bad);
        Assert.Equal(["Apple", "cat", "zebra"], set.ClassNames);
        Assert.True(set.IsLabelled);
        Assert.Equal(4, set.Count);
        Assert.Equal(new byte[] { 0, 1, 2, 2 }, set.Labels.ToArray());
        Assert.Equal(Ink(9), set.GetPixels(0).ToArray());
        Assert.Equal(Ink(11), set.GetPixels(1).ToArray());
        Assert.Equal(Ink(7), set.GetPixels(2).ToArray()); // a.png before b.png
        Assert.Equal(Ink(5), set.GetPixels(3).ToArray());
        Assert.Equal("zebra", set[3].ClassName);
        Assert.Equal([(1, 4), (2, 4), (3, 4), (4, 4)], progress);
    }

    [Fact]
    public void OtherSizesArePreprocessedTheMnistWay()
    {
        // A 60x90 picture: dark stroke on white, as a photo of a digit on paper would be.
        byte[] canvas = PictureHelpers.Canvas(60, 90, 250, 10, (25, 15, 10, 60));
        Put("1/one.png", Png(canvas, 60, 90));
        MnistDataSet set = Read();
        Assert.Empty(_bad);
        Assert.Equal((28, 28), (set.Rows, set.Columns));
        MnistImage expected = DigitPreprocessor.Preprocess(canvas, 60, 90);
        Assert.Equal(expected.Pixels, set.GetPixels(0).ToArray());
        Assert.Equal(20, PictureHelpers.InkBox(set[0]).Height); // the longer side scaled to 20
    }

    [Fact]
    public void SizeKeepsThatSizeAndResizesOthersWhole()
    {
        byte[] small = new byte[16 * 16];
        for (int i = 0; i < small.Length; i++) small[i] = (byte)(i % 7 == 0 ? 180 : 0);
        Put("a/kept.png", Png(small, 16, 16));
        byte[] big = new byte[32 * 32]; // 2x2 blocks of one level each: the area average is the block's level
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 32; x++) big[y * 32 + x] = (byte)((y / 2 * 16 + x / 2) % 100);
        Put("b/resized.png", Png(big, 32, 32));
        MnistDataSet set = Read(new ImageFolderOptions { Size = 16 });
        Assert.Empty(_bad);
        Assert.Equal((16, 16), (set.Rows, set.Columns));
        Assert.Equal(small, set.GetPixels(0).ToArray());
        byte[] expected = new byte[256];
        for (int i = 0; i < 256; i++) expected[i] = (byte)(i % 100);
        Assert.Equal(expected, set.GetPixels(1).ToArray());
    }

    [Fact]
    public void PicturesWithoutSubFoldersAreAnUnlabelledSet()
    {
        Put("one.png", Png(Ink(3), 28, 28));
        Put("two.bmp", EncodeBmp(Ink(4)));
        MnistDataSet set = Read();
        Assert.Empty(_bad);
        Assert.False(set.IsLabelled);
        Assert.Equal(2, set.Count);
        Assert.Equal(Ink(3), set.GetPixels(0).ToArray());
        Assert.Equal(Ink(4), set.GetPixels(1).ToArray());
    }

    [Fact]
    public void BadFilesAreReportedOneByOneAndTheRestLoad()
    {
        Put("0/good.png", Png(Ink(3), 28, 28));
        string corrupt = Put("0/corrupt.png", Png(Ink(4), 28, 28)[..40]);
        string text = Put("0/notes.txt", "hello"u8.ToArray());
        string fake = Put("1/fake.jpg", "not a jpeg at all"u8.ToArray());
        string blank = Put("1/blank.png", Png(Enumerable.Repeat((byte)255, 40 * 40).ToArray(), 40, 40));
        string huge = Put("1/huge.png", HugePngHeader(100_000, 100_000));
        Put("1/good.jpeg", PictureHelpers.Encode(Ink(6), 28, 28, SKEncodedImageFormat.Jpeg, 100));
        Put("0/.hidden.png", "ignored"u8.ToArray());
        string emptyClass = Path.Combine(_folder, "2");
        Directory.CreateDirectory(emptyClass);

        MnistDataSet set = Read();
        Assert.Equal(["0", "1", "2"], set.ClassNames);
        Assert.Equal(2, set.Count);
        Assert.Equal(new byte[] { 0, 1 }, set.Labels.ToArray());
        var byTarget = _bad.ToDictionary(e => (string)e.Target!, e => e.ErrorId);
        Assert.Equal("ImageNotAPicture", byTarget[text]);
        Assert.Equal("ImageDecodeFailed", byTarget[fake]);
        Assert.Contains(byTarget[corrupt], new[] { "ImageDecodeFailed" });
        Assert.Equal("ImageHasNoInk", byTarget[blank]);
        Assert.Equal("ImageTooLarge", byTarget[huge]);
        Assert.Equal("ImageFolderEmptyClass", byTarget[emptyClass]);
        Assert.Equal(6, _bad.Count);
        Assert.All(_bad, e => Assert.Equal(FailureKind.InvalidData, e.Kind));
    }

    [Fact]
    public void AFolderWithNoClassesAndNoPicturesFails()
    {
        Put("readme.md", "x"u8.ToArray());
        var e = Assert.Throws<MnistToolsException>(() => Read());
        Assert.Equal("ImageFolderNoClasses", e.ErrorId);
        Assert.Equal(_folder, e.Target);
        var missing = Assert.Throws<MnistToolsException>(() => Read(folder: Path.Combine(_folder, "nope")));
        Assert.Equal("ImageFolderNotFound", missing.ErrorId);
        Assert.Equal(FailureKind.NotFound, missing.Kind);
    }

    [Fact]
    public void SkipAndFirstFollowTheReadingOrder()
    {
        for (int i = 0; i < 5; i++) Put($"{i % 2}/{i}.png", Png(Ink(i + 2), 28, 28));
        // reading order: 0/0, 0/2, 0/4, 1/1, 1/3
        MnistDataSet set = Read(new ImageFolderOptions { Skip = 2, First = 2 });
        Assert.Equal(new byte[] { 0, 1 }, set.Labels.ToArray());
        Assert.Equal(Ink(6), set.GetPixels(0).ToArray());
        Assert.Equal(Ink(3), set.GetPixels(1).ToArray());
    }

    /// <summary>A PNG signature and IHDR chunk declaring <paramref name="width"/> x <paramref name="height"/>, and no pixels.</summary>
    internal static byte[] HugePngHeader(int width, int height)
    {
        byte[] png = Png(Ink(1), 28, 28);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), height);
        uint crc = Crc32(png.AsSpan(12, 17));
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), crc);
        return png;
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }

    private static byte[] EncodeBmp(byte[] grey)
    {
        // 24-bit BMP, bottom-up rows padded to 4 bytes (28 * 3 = 84, already a multiple of 4).
        int width = 28, height = 28, rowBytes = width * 3, size = 54 + rowBytes * height;
        byte[] bmp = new byte[size];
        bmp[0] = (byte)'B'; bmp[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(2), size);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(bmp.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(bmp.AsSpan(28), 24);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int at = 54 + (height - 1 - y) * rowBytes + x * 3;
                bmp[at] = bmp[at + 1] = bmp[at + 2] = grey[y * width + x];
            }
        return bmp;
    }
}
