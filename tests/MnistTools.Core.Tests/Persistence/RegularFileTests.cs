using System.Diagnostics;
using MnistTools.Data;
using MnistTools.Errors;
using MnistTools.Files;
using MnistTools.Persistence;

namespace MnistTools.Tests.Persistence;

/// <summary>
/// The regular-file rule (devices, FIFOs and links to them are neither read nor replaced) and
/// <see cref="AtomicFile.WriteAll"/> (every target checked first; a failed move puts the earlier files back).
/// </summary>
public sealed class RegularFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mnisttools-regular-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    private string PathOf(string name) => Path.Combine(_folder, name);

    private string Fifo(string name)
    {
        string path = PathOf(name);
        using var mkfifo = Process.Start("mkfifo", path);
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
        return path;
    }

    private static Action<Stream, CancellationToken> Bytes(params byte[] content) => (stream, _) => stream.Write(content);

    [Fact]
    public void KindsOfPaths()
    {
        if (!OperatingSystem.IsLinux()) return; // devices and FIFOs are told apart on Linux (statx)
        File.WriteAllBytes(PathOf("file"), [1]);
        File.CreateSymbolicLink(PathOf("to-file"), PathOf("file"));
        File.CreateSymbolicLink(PathOf("to-zero"), "/dev/zero");
        File.CreateSymbolicLink(PathOf("dangling"), PathOf("nothing"));
        Assert.Equal(FileKind.Regular, RegularFile.KindOf(PathOf("file")));
        Assert.Equal(FileKind.Regular, RegularFile.KindOf(PathOf("to-file")));
        Assert.Equal(FileKind.Directory, RegularFile.KindOf(_folder));
        Assert.Equal(FileKind.Missing, RegularFile.KindOf(PathOf("nothing")));
        Assert.Equal(FileKind.Missing, RegularFile.KindOf(PathOf("dangling")));
        Assert.Equal(FileKind.Special, RegularFile.KindOf("/dev/null"));
        Assert.Equal(FileKind.Special, RegularFile.KindOf(PathOf("to-zero")));
        Assert.Equal(FileKind.Special, RegularFile.KindOf(Fifo("pipe")));
        Assert.Equal(RegularFile.RealPath(PathOf("file")), RegularFile.RealPath(PathOf("to-file")));
        Assert.Null(RegularFile.RealPath(PathOf("dangling")));
    }

    [Fact]
    public async Task ReadersRefuseAFifoWithoutOpeningIt()
    {
        if (!OperatingSystem.IsLinux()) return;
        string fifo = Fifo("f.idx");
        Task<MnistToolsException> read = Task.Run(() => Assert.Throws<MnistToolsException>(() => IdxReader.ReadDataSet(fifo, null!, "x")));
        bool ended = await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(20))) == read;
        if (!ended) using (File.OpenWrite(fifo)) { } // releases a reader stuck in open(2)
        Assert.True(ended, "the reader blocked opening the FIFO");
        MnistToolsException e = await read;
        Assert.Equal(ErrorIds.PathNotRegularFile, e.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, e.Kind);
    }

    [Fact]
    public void AWriterWithOverwriteRefusesAFifoAndLeavesIt()
    {
        if (!OperatingSystem.IsLinux()) return;
        string fifo = Fifo("target");
        var e = Assert.Throws<MnistToolsException>(() => AtomicFile.Write(fifo, overwrite: true, Bytes(1, 2, 3)));
        Assert.Equal(ErrorIds.PathNotRegularFile, e.ErrorId);
        Assert.Equal(FileKind.Special, RegularFile.KindOf(fifo));
        Assert.Single(Directory.EnumerateFileSystemEntries(_folder)); // no temporary file either
    }

    [Fact]
    public void WriteAllChecksEveryTargetBeforeWritingAny()
    {
        Directory.CreateDirectory(PathOf("labels"));
        var e = Assert.Throws<MnistToolsException>(() => AtomicFile.WriteAll([(PathOf("images"), Bytes(1)), (PathOf("labels"), Bytes(2))], overwrite: true));
        Assert.Equal(ErrorIds.PathIsDirectory, e.ErrorId);
        Assert.False(File.Exists(PathOf("images")));
        File.WriteAllBytes(PathOf("old-labels"), [9]);
        e = Assert.Throws<MnistToolsException>(() => AtomicFile.WriteAll([(PathOf("images"), Bytes(1)), (PathOf("old-labels"), Bytes(2))], overwrite: false));
        Assert.Equal(ErrorIds.FileExists, e.ErrorId);
        Assert.False(File.Exists(PathOf("images")));
        e = Assert.Throws<MnistToolsException>(() => AtomicFile.WriteAll([(PathOf("same"), Bytes(1)), (PathOf("./same"), Bytes(2))], overwrite: true));
        Assert.Equal(ErrorIds.PathsSame, e.ErrorId);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AFailedSecondMovePutsTheFirstFileBack(bool firstExisted)
    {
        if (firstExisted) File.WriteAllBytes(PathOf("images"), [7, 7]);
        File.WriteAllBytes(PathOf("labels"), [8]);
        var e = Assert.Throws<MnistToolsException>(() => AtomicFile.WriteAll([(PathOf("images"), Bytes(1)), (PathOf("labels"), Bytes(2))], overwrite: true,
            beforeMove: i => { if (i == 1) throw new IOException("the label file cannot be replaced"); }));
        Assert.Equal("FileWriteFailed", e.ErrorId);
        Assert.Equal(PathOf("labels"), e.Target);
        if (firstExisted) Assert.Equal(new byte[] { 7, 7 }, File.ReadAllBytes(PathOf("images")));
        else Assert.False(File.Exists(PathOf("images")));
        Assert.Equal(new byte[] { 8 }, File.ReadAllBytes(PathOf("labels")));
        Assert.Equal(firstExisted ? 2 : 1, Directory.EnumerateFileSystemEntries(_folder).Count()); // no temporary or backup file left
    }

    [Fact]
    public void WriteAllReplacesEveryFile()
    {
        File.WriteAllBytes(PathOf("images"), [7]);
        AtomicFile.WriteAll([(PathOf("images"), Bytes(1)), (PathOf("labels"), Bytes(2))], overwrite: true);
        Assert.Equal(new byte[] { 1 }, File.ReadAllBytes(PathOf("images")));
        Assert.Equal(new byte[] { 2 }, File.ReadAllBytes(PathOf("labels")));
        Assert.Equal(2, Directory.EnumerateFileSystemEntries(_folder).Count());
    }
}
