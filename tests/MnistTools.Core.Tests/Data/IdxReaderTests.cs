using System.Buffers.Binary;
using System.IO.Compression;
using MnistTools.Data;
using MnistTools.Errors;

namespace MnistTools.Tests.Data;

/// <summary>
/// The IDX reader on tiny files built in code, raw and gzip: every bad input the contract names gets its
/// stable error id, kind and path as target; good files read the same whichever way they are stored.
/// </summary>
public sealed class IdxReaderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("idx-tests-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    // ---- building files -------------------------------------------------------------------------

    /// <summary>Image file bytes: magic 0x803, [count, rows, columns], then pixels (image i, pixel p) = (7 i + p) mod 256.</summary>
    internal static byte[] ImageBytes(int count, int rows = 3, int columns = 2, int? declaredCount = null)
    {
        byte[] bytes = new byte[16 + count * rows * columns];
        BinaryPrimitives.WriteInt32BigEndian(bytes, IdxReader.ImageMagic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), declaredCount ?? count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), columns);
        for (int i = 0; i < count; i++)
            for (int p = 0; p < rows * columns; p++)
                bytes[16 + i * rows * columns + p] = (byte)(7 * i + p);
        return bytes;
    }

    /// <summary>Label file bytes: magic 0x801, [count], then label i = i mod 10 unless given.</summary>
    internal static byte[] LabelBytes(int count, byte[]? labels = null)
    {
        byte[] bytes = new byte[8 + count];
        BinaryPrimitives.WriteInt32BigEndian(bytes, IdxReader.LabelMagic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        for (int i = 0; i < count; i++) bytes[8 + i] = labels?[i] ?? (byte)(i % 10);
        return bytes;
    }

    internal static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(data);
        return output.ToArray();
    }

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private (string Images, string Labels) WritePair(int count, bool gzip, string prefix = "")
    {
        byte[] images = ImageBytes(count), labels = LabelBytes(count);
        return gzip
            ? (Write(prefix + "images.gz", Gzip(images)), Write(prefix + "labels.gz", Gzip(labels)))
            : (Write(prefix + "images", images), Write(prefix + "labels", labels));
    }

    private static MnistToolsException Fails(string expectedId, FailureKind expectedKind, object? expectedTarget, Func<object> read)
    {
        var e = Assert.Throws<MnistToolsException>(read);
        Assert.Equal(expectedId, e.ErrorId);
        Assert.Equal(expectedKind, e.Kind);
        Assert.Equal(expectedTarget, e.Target);
        return e;
    }

    // ---- good files -----------------------------------------------------------------------------

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsEveryImageAndLabel(bool gzip)
    {
        var (images, labels) = WritePair(12, gzip);
        MnistDataSet set = IdxReader.ReadDataSet(images, labels, "tiny");
        Assert.Equal(12, set.Count);
        Assert.Equal(3, set.Rows);
        Assert.Equal(2, set.Columns);
        Assert.Equal(images, set.Source);
        Assert.Equal("tiny", set.Name);
        Assert.Equal(ImageBytes(12).AsSpan(16).ToArray(), set.Pixels.ToArray());
        Assert.Equal(LabelBytes(12).AsSpan(8).ToArray(), set.Labels.ToArray());
    }

    [Fact]
    public void RawAndGzipGiveTheSameSet()
    {
        var raw = WritePair(25, gzip: false, "raw-");
        var packed = WritePair(25, gzip: true, "gz-");
        MnistDataSet a = IdxReader.ReadDataSet(raw.Images, raw.Labels, "a", skip: 3, first: 20);
        MnistDataSet b = IdxReader.ReadDataSet(packed.Images, packed.Labels, "b", skip: 3, first: 20);
        Assert.Equal(a.Pixels.ToArray(), b.Pixels.ToArray());
        Assert.Equal(a.Labels.ToArray(), b.Labels.ToArray());
    }

    [Theory]
    [InlineData(false, 0, null, 0, 10)]
    [InlineData(false, 0, 0, 0, 0)]
    [InlineData(false, 9, null, 9, 1)]
    [InlineData(false, 10, null, 10, 0)]
    [InlineData(false, 50, 5, 10, 0)]
    [InlineData(false, 2, 3, 2, 3)]
    [InlineData(false, 0, 10, 0, 10)]
    [InlineData(false, 5, 100, 5, 5)]
    [InlineData(true, 9, 1, 9, 1)]
    [InlineData(true, 10, 1, 10, 0)]
    [InlineData(true, 0, 0, 0, 0)]
    [InlineData(true, 4, 6, 4, 6)]
    public void SkipAndFirstSelectARangeAtTheEdges(bool gzip, int skip, int? first, int expectedStart, int expectedCount)
    {
        var (images, labels) = WritePair(10, gzip);
        MnistDataSet set = IdxReader.ReadDataSet(images, labels, "edge", skip, first);
        Assert.Equal(expectedCount, set.Count);
        byte[] all = ImageBytes(10).AsSpan(16).ToArray();
        Assert.Equal(all.AsSpan(expectedStart * 6, expectedCount * 6).ToArray(), set.Pixels.ToArray());
        for (int i = 0; i < expectedCount; i++) Assert.Equal((expectedStart + i) % 10, set.GetLabel(i));
    }

    [Fact]
    public void GzipIsDetectedByMagicNotByName()
    {
        // a raw file called .gz, and a gzip file without .gz
        string images = Write("images.gz", ImageBytes(4));
        string labels = Write("labels", Gzip(LabelBytes(4)));
        Assert.False(IdxReader.IsGzipFile(images));
        Assert.True(IdxReader.IsGzipFile(labels));
        MnistDataSet set = IdxReader.ReadDataSet(images, labels, "swapped");
        Assert.Equal(4, set.Count);
        Assert.Equal(new byte[] { 0, 1, 2, 3 }, set.Labels.ToArray());
        Assert.Equal(ImageBytes(4).AsSpan(16).ToArray(), set.Pixels.ToArray());
    }

    [Fact]
    public void AMultiMemberGzipIsReadWhole()
    {
        // ISIZE of the last member does not vouch for the total: the reader must still read it all.
        byte[] images = ImageBytes(30);
        byte[] joined = [.. Gzip(images[..100]), .. Gzip(images[100..])];
        string imagePath = Write("images-multi", joined);
        string labelPath = Write("labels", LabelBytes(30));
        MnistDataSet set = IdxReader.ReadDataSet(imagePath, labelPath, "multi");
        Assert.Equal(images.AsSpan(16).ToArray(), set.Pixels.ToArray());
    }

    [Fact]
    public void AnEmptySetIsAllowed()
    {
        MnistDataSet set = IdxReader.ReadDataSet(Write("i", ImageBytes(0)), Write("l", LabelBytes(0)), "empty");
        Assert.Equal(0, set.Count);
    }

    [Fact]
    public void CancellationStopsTheRead()
    {
        var (images, labels) = WritePair(10, gzip: true);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => IdxReader.ReadDataSet(images, labels, "x", cancellationToken: cancelled.Token));
    }

    // ---- missing and wrong kinds of path --------------------------------------------------------

    [Fact]
    public void AMissingFileIsNotFound()
    {
        string labels = Write("labels", LabelBytes(1));
        string missing = Path.Combine(_folder, "nope-images");
        Fails("IdxFileNotFound", FailureKind.NotFound, missing, () => IdxReader.ReadDataSet(missing, labels, "x"));
    }

    [Fact]
    public void AFileInAMissingFolderIsNotFound()
    {
        string labels = Write("labels", LabelBytes(1));
        string missing = Path.Combine(_folder, "no-such-folder", "images");
        Fails("IdxFileNotFound", FailureKind.NotFound, missing, () => IdxReader.ReadDataSet(missing, labels, "x"));
    }

    [Fact]
    public void AFolderPassedAsAFileIsRefused()
    {
        string images = Write("images", ImageBytes(1));
        Fails("PathIsDirectory", FailureKind.InvalidArgument, _folder, () => IdxReader.ReadDataSet(images, _folder, "x"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AnEmptyFileIsRefused(bool gzipLabels)
    {
        string images = Write("images", ImageBytes(1));
        string empty = Write("empty", []);
        string labels = gzipLabels ? Write("labels.gz", Gzip(LabelBytes(1))) : Write("labels", LabelBytes(1));
        Fails("IdxEmptyFile", FailureKind.InvalidData, empty, () => IdxReader.ReadDataSet(empty, labels, "x"));
        Fails("IdxEmptyFile", FailureKind.InvalidData, empty, () => IdxReader.ReadDataSet(images, empty, "x"));
    }

    // ---- bad headers ----------------------------------------------------------------------------

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AWrongMagicNumberIsRefused(bool gzip)
    {
        byte[] text = "hello, this is not an IDX file at all"u8.ToArray();
        string bogus = Write("bogus", gzip ? Gzip(text) : text);
        string labels = Write("labels", LabelBytes(1));
        string images = Write("images", ImageBytes(1));
        Fails("IdxBadMagic", FailureKind.InvalidData, bogus, () => IdxReader.ReadDataSet(bogus, labels, "x"));
        // a label file where images are expected, and the other way round
        var e = Fails("IdxBadMagic", FailureKind.InvalidData, labels, () => IdxReader.ReadDataSet(labels, images, "x"));
        Assert.Contains("image file", e.Message);
    }

    [Fact]
    public void AFileShorterThanItsHeaderIsTruncated()
    {
        string tiny = Write("tiny", ImageBytes(1)[..10]);
        Fails("IdxTruncated", FailureKind.InvalidData, tiny, () => IdxReader.ReadDataSet(tiny, Write("l", LabelBytes(1)), "x"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(5000)]
    public void ImpossibleDimensionsAreRefused(int rows)
    {
        byte[] bytes = ImageBytes(1);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        string images = Write("images", bytes);
        Fails("IdxBadDimensions", FailureKind.InvalidData, images, () => IdxReader.ReadDataSet(images, Write("l", LabelBytes(1)), "x"));
    }

    [Fact]
    public void ANegativeCountIsRefused()
    {
        string images = Write("images", ImageBytes(1, declaredCount: -1));
        Fails("IdxBadDimensions", FailureKind.InvalidData, images, () => IdxReader.ReadDataSet(images, Write("l", LabelBytes(1)), "x"));
    }

    [Theory]
    [InlineData(4)] // header claims fewer images than the file holds
    [InlineData(6)] // more
    public void ARawHeaderDisagreeingWithTheFileLengthIsRefused(int declared)
    {
        string images = Write("images", ImageBytes(5, declaredCount: declared));
        string labels = Write("labels", LabelBytes(declared));
        Fails("IdxLengthMismatch", FailureKind.InvalidData, images, () => IdxReader.ReadDataSet(images, labels, "x"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TwoBillionImagesAreRefusedBeforeAnyLargeAllocation(bool gzip)
    {
        byte[] header = ImageBytes(3, 28, 28, declaredCount: 2_000_000_000);
        string images = Write("huge", gzip ? Gzip(header) : header);
        string labels = Write("labels", LabelBytes(3));
        IdxReader.ReadDataSet(Write("warm-i", ImageBytes(1)), Write("warm-l", LabelBytes(1)), "warm-up"); // JIT outside the measurement
        long before = GC.GetAllocatedBytesForCurrentThread();
        Fails("IdxLengthMismatch", FailureKind.InvalidData, images, () => IdxReader.ReadDataSet(images, labels, "x"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 4_000_000, $"the refused read allocated {allocated} bytes");
    }

    [Fact]
    public void AGzipHeaderBeyondOneBufferIsTooLarge()
    {
        // 2.8 million 28x28 images = 2.2 GB: within what 2 MB of deflate could hold, beyond one .NET array.
        byte[] packed = Gzip(ImageBytes(1, 28, 28, declaredCount: 2_800_000));
        byte[] padded = [.. packed, .. new byte[2_000_000]];
        string images = Write("too-large.gz", padded);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Fails("IdxTooLarge", FailureKind.InvalidData, images, () => IdxReader.ReadDataSet(images, Write("l", LabelBytes(1)), "x"));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4_000_000);
    }

    [Fact]
    public void TwoBillionLabelsAreRefusedBeforeAnyLargeAllocation()
    {
        byte[] labelBytes = LabelBytes(3);
        BinaryPrimitives.WriteInt32BigEndian(labelBytes.AsSpan(4), 2_000_000_000);
        string labels = Write("labels", labelBytes);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Fails("IdxLengthMismatch", FailureKind.InvalidData, labels, () => IdxReader.ReadDataSet(Write("i", ImageBytes(3)), labels, "x"));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4_000_000);
    }

    [Fact]
    public void AGzipHeaderLyingWithinTheDeflateRatioAllocatesOnlyWhatArrives()
    {
        // 40,000 images of 28x28 (31 MB) promised; the stream holds 2. The deflate bound cannot catch this
        // (the file is tiny but a lie of 1000:1 is possible), the gzip trailer does: the read grows with the data.
        byte[] bytes = ImageBytes(2, 28, 28, declaredCount: 40_000);
        byte[] packed = Gzip(bytes);
        byte[] padded = [.. packed, .. new byte[40_000 * 784 / 1000 - packed.Length]]; // make the deflate bound allow it
        string images = Write("liar", padded);
        string labels = Write("labels", LabelBytes(40_000));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<MnistToolsException>(() => IdxReader.ReadDataSet(images, labels, "x"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(images, e.Target);
        Assert.True(e.ErrorId is "IdxTruncated" or "IdxCorruptGzip", e.ErrorId);
        Assert.True(allocated < 4_000_000, $"the refused read allocated {allocated} bytes");
    }

    // ---- pairs that disagree --------------------------------------------------------------------

    [Fact]
    public void ImageAndLabelCountsThatDifferAreRefused()
    {
        string images = Write("images", ImageBytes(5));
        string labels = Write("labels", LabelBytes(4));
        var e = Fails("IdxCountMismatch", FailureKind.InvalidData, labels, () => IdxReader.ReadDataSet(images, labels, "x"));
        Assert.Contains("5 images", e.Message);
        Assert.Contains("4 labels", e.Message);
    }

    [Theory]
    [InlineData(false, 10)]
    [InlineData(true, 255)]
    public void ALabelOutsideZeroToNineIsRefused(bool gzip, byte bad)
    {
        string images = Write("images", ImageBytes(5));
        byte[] labelBytes = LabelBytes(5, [1, 2, bad, 3, 4]);
        string labels = Write("labels", gzip ? Gzip(labelBytes) : labelBytes);
        var e = Fails("IdxLabelOutOfRange", FailureKind.InvalidData, labels, () => IdxReader.ReadDataSet(images, labels, "x"));
        Assert.Contains($"Label {bad} of item 2", e.Message);
    }

    [Fact]
    public void ABadLabelOutsideTheSelectedRangeIsNotReported()
    {
        // -First 2 keeps items 0..1; item 4's label is never part of the set.
        string images = Write("images", ImageBytes(5));
        string labels = Write("labels", LabelBytes(5, [1, 2, 3, 4, 77]));
        Assert.Equal(2, IdxReader.ReadDataSet(images, labels, "x", first: 2).Count);
    }

    // ---- broken gzip streams --------------------------------------------------------------------

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void ATruncatedGzipIsRefused(double keep)
    {
        byte[] packed = Gzip(ImageBytes(200, 28, 28));
        string images = Write("cut.gz", packed[..(int)(packed.Length * keep)]);
        string labels = Write("labels", LabelBytes(200));
        var e = Assert.Throws<MnistToolsException>(() => IdxReader.ReadDataSet(images, labels, "x"));
        Assert.Equal("IdxTruncated", e.ErrorId);
        Assert.Equal(FailureKind.InvalidData, e.Kind);
        Assert.Equal(images, e.Target);
    }

    [Fact]
    public void AGzipCutInsideItsTrailerStillYieldsItsCompleteData()
    {
        // Known limit, documented in docs/data.md: the .NET inflater does not demand the CRC/ISIZE trailer, so a
        // file cut inside its last 8 bytes reads (every promised byte did inflate and the header count matched).
        byte[] packed = Gzip(LabelBytes(50));
        string labels = Write("labels.gz", packed[..^3]);
        MnistDataSet set = IdxReader.ReadDataSet(Write("i", ImageBytes(50)), labels, "x");
        Assert.Equal(LabelBytes(50)[8..], set.Labels.ToArray());
    }

    [Fact]
    public void ACorruptGzipIsRefused()
    {
        byte[] packed = Gzip(ImageBytes(200, 28, 28));
        for (int i = packed.Length / 3; i < packed.Length / 3 + 64; i++) packed[i] ^= 0x5A;
        string images = Write("corrupt.gz", packed);
        string labels = Write("labels", LabelBytes(200));
        Fails("IdxCorruptGzip", FailureKind.InvalidData, images, () => IdxReader.ReadDataSet(images, labels, "x"));
    }

    [Fact]
    public void AGzipWithABadChecksumIsRefused()
    {
        byte[] packed = Gzip(LabelBytes(100));
        packed[^8] ^= 0xFF; // CRC32 of the trailer
        string labels = Write("crc.gz", packed);
        Fails("IdxCorruptGzip", FailureKind.InvalidData, labels, () => IdxReader.ReadDataSet(Write("i", ImageBytes(100)), labels, "x"));
    }

    [Fact]
    public void AGzipWithAGoodMagicAndGarbageAfterIsRefused()
    {
        byte[] bytes = [0x1f, 0x8b, .. "definitely not deflate data, just text"u8.ToArray()];
        string images = Write("garbage.gz", bytes);
        Fails("IdxCorruptGzip", FailureKind.InvalidData, images, () => IdxReader.ReadDataSet(images, Write("l", LabelBytes(1)), "x"));
    }

    [Theory]
    [InlineData(0, null)]
    [InlineData(0, 2)] // even when only the first images are wanted, the whole stream is checked
    public void AGzipInflatingToMoreThanTheHeaderPromisesIsRefused(int skip, int? first)
    {
        byte[] bytes = ImageBytes(6, declaredCount: 5); // one image too many
        string images = Write("long.gz", Gzip(bytes));
        string labels = Write("labels", LabelBytes(5));
        Fails("IdxTrailingData", FailureKind.InvalidData, images, () => IdxReader.ReadDataSet(images, labels, "x", skip, first));
    }

    [Fact]
    public void AGzipInflatingToLessThanTheHeaderPromisesIsTruncated()
    {
        string images = Write("short.gz", Gzip(ImageBytes(4, declaredCount: 5)));
        string labels = Write("labels", LabelBytes(5));
        Fails("IdxTruncated", FailureKind.InvalidData, images, () => IdxReader.ReadDataSet(images, labels, "x"));
    }

    // ---- arguments --------------------------------------------------------------------------------

    [Fact]
    public void NegativeSkipOrFirstIsRefused()
    {
        var (images, labels) = WritePair(3, gzip: false);
        Fails("SkipOutOfRange", FailureKind.InvalidArgument, "Skip", () => IdxReader.ReadDataSet(images, labels, "x", skip: -1));
        Fails("FirstOutOfRange", FailureKind.InvalidArgument, "First", () => IdxReader.ReadDataSet(images, labels, "x", first: -1));
    }
}
