using MnistTools.Errors;
using MnistTools.Imaging;
using MnistTools.Tests.Imaging;
using SkiaSharp;

namespace MnistTools.Tests.Data;

/// <summary>
/// Symbolic links in a picture folder: a loop back into the tree is not followed, a link to another class's picture
/// does not load it under a second label, a link out of the tree is followed once, and a stop request ends the scan.
/// </summary>
public sealed class ImageFolderLinkTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("mnisttools-links-").FullName;
    private readonly string _folder;
    private readonly string _outside;
    private readonly List<MnistToolsException> _bad = new();

    public ImageFolderLinkTests()
    {
        _folder = Directory.CreateDirectory(Path.Combine(_root, "pictures")).FullName;
        _outside = Directory.CreateDirectory(Path.Combine(_root, "elsewhere")).FullName;
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private static string Put(string folder, string relative, int x)
    {
        string path = Path.Combine(folder, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var pixels = new byte[28 * 28];
        for (int y = 6; y < 22; y++) pixels[y * 28 + x] = (byte)(200 + x);
        File.WriteAllBytes(path, PictureHelpers.Encode(pixels, 28, 28, SKEncodedImageFormat.Png));
        return path;
    }

    private void Link(string relative, string target) => File.CreateSymbolicLink(Path.Combine(_folder, relative), target);

    /// <summary>Reads on a thread of its own: a reader that loops forever fails the test instead of hanging the run.</summary>
    private MnistDataSet Read(CancellationToken cancellationToken = default)
    {
        Task<MnistDataSet> read = Task.Run(() => ImageFolderReader.Read(_folder, "pictures", new ImageFolderOptions(), _bad.Add, null, cancellationToken));
        Assert.True(read.Wait(TimeSpan.FromSeconds(30)), "the folder scan did not end");
        return read.Result;
    }

    private IEnumerable<string> SkippedLinks() => _bad.Where(e => e.ErrorId == ErrorIds.ImageFolderLinkSkipped).Select(e => (string)e.Target!);

    [Fact]
    public void ALoopBackIntoTheTreeIsLeftOutAndEachPictureLoadsOnce()
    {
        Put(_folder, "a/x.png", 3);
        Put(_folder, "b/y.png", 5);
        Link("a/s1", ".");
        MnistDataSet set = Read();
        Assert.Equal(2, set.Count);
        Assert.Equal(new byte[] { 0, 1 }, set.Labels.ToArray());
        Assert.Equal([Path.Combine(_folder, "a/s1")], SkippedLinks());
    }

    [Fact]
    public void TwoLoopsEndAtOnce()
    {
        // Walked naively, a/s1 and a/s2 (both -> .) make 2^40 paths before the names grow too long.
        Put(_folder, "a/x.png", 3);
        Link("a/s1", ".");
        Link("a/s2", "..");
        MnistDataSet set = Read();
        Assert.Equal(1, set.Count);
        Assert.Equal(2, SkippedLinks().Count());
    }

    [Fact]
    public void ALinkToAnotherClassesPictureIsNotLoadedUnderASecondLabel()
    {
        string y = Put(_folder, "b/y.png", 5);
        Put(_folder, "a/x.png", 3);
        Link("a/z.png", y);
        Link("c", Path.Combine(_folder, "a")); // a class folder that is another class
        MnistDataSet set = Read();
        Assert.Equal(["a", "b"], set.ClassNames);
        Assert.Equal(new byte[] { 0, 1 }, set.Labels.ToArray());
        Assert.Equal([Path.Combine(_folder, "a/z.png"), Path.Combine(_folder, "c")], SkippedLinks().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void LinksOutOfTheTreeAreFollowedOnce()
    {
        Put(_outside, "cats/1.png", 7);
        Put(_outside, "cats/2.png", 8);
        string loose = Put(_outside, "loose.png", 9);
        File.CreateSymbolicLink(Path.Combine(_outside, "cats/again"), Path.Combine(_outside, "cats")); // a loop out there
        Link("cat", Path.Combine(_outside, "cats"));         // a class folder kept on another disk
        Put(_folder, "dog/d.png", 4);
        Link("dog/loose.png", loose);
        Link("dog/loose-again.png", loose);                   // the same file twice: once
        MnistDataSet set = Read();
        Assert.Equal(["cat", "dog"], set.ClassNames);
        Assert.Equal(new byte[] { 0, 0, 1, 1 }, set.Labels.ToArray());
        Assert.Equal([Path.Combine(_folder, "cat/again"), Path.Combine(_folder, "dog/loose.png")], SkippedLinks().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ALinkOutToAFolderHoldingTheTreeDoesNotLeadBackIn()
    {
        Put(_folder, "a/x.png", 3);
        Put(_folder, "b/y.png", 5);
        Put(_outside, "o.png", 6);
        Link("a/up", _root); // out of the tree, to the folder that holds it (and "elsewhere")
        MnistDataSet set = Read();
        Assert.Equal(new byte[] { 0, 0, 1 }, set.Labels.ToArray()); // a: x and elsewhere/o; b: y, once
        Assert.Equal([Path.Combine(_folder, "a/up/pictures")], SkippedLinks());
    }

    [Fact]
    public void AStopRequestEndsTheScan()
    {
        Put(_folder, "a/x.png", 3);
        for (int i = 0; i < 500; i++) File.WriteAllBytes(Path.Combine(_folder, "a", $"note{i:D3}.txt"), [1]);
        using var stop = new CancellationTokenSource();
        int reported = 0;
        Assert.Throws<OperationCanceledException>(() => ImageFolderReader.Read(_folder, "pictures", new ImageFolderOptions(),
            _ => { reported++; stop.Cancel(); }, null, stop.Token));
        Assert.Equal(1, reported); // the scan stopped at the next entry, not after listing all 500 stray files
    }
}
