using MnistTools.Errors;
using MnistTools.Persistence;

namespace MnistTools.Tests.Persistence;

/// <summary>A write that fails part-way must leave the previous file as it was and no temporary file behind.</summary>
public class NetworkFileAtomicityTests
{
    /// <summary>Passes writes through until <c>limit</c> bytes, then throws (a full disk, a crash, a pulled cable).</summary>
    private sealed class FailingStream(Stream inner, long limit, Func<Exception> failure) : Stream
    {
        private long _written;
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _written; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            long room = limit - _written;
            if (buffer.Length > room)
            {
                inner.Write(buffer[..(int)Math.Max(0, room)]);
                inner.Flush(); // the half-written bytes really reach the temporary file
                throw failure();
            }
            inner.Write(buffer);
            _written += buffer.Length;
        }
    }

    public static TheoryData<string> Failures => new() { "io", "crash" };

    private static Exception Make(string kind) => kind == "io" ? new IOException("No space left on device (injected)") : new InvalidOperationException("crash (injected)");

    [Theory]
    [MemberData(nameof(Failures))]
    public void FailedOverwriteKeepsThePreviousFileIntact(string kind)
    {
        using var folder = new TempFolder();
        string path = folder.File("net.safetensors");
        NetworkSnapshot first = SnapshotFactory.Create(new[] { 784, 30, 10 }, seed: 1);
        NetworkFileWriter.Write(path, first, overwrite: false);
        byte[] before = File.ReadAllBytes(path);

        NetworkSnapshot second = SnapshotFactory.Create(new[] { 784, 30, 10 }, seed: 2);
        string? tempName = null;
        Exception e = Assert.ThrowsAny<Exception>(() =>
            NetworkFileWriter.Write(path, second, overwrite: true, CancellationToken.None, s =>
            {
                tempName = ((FileStream)s).Name;
                return new FailingStream(s, 100_000, () => Make(kind));
            }));
        // The bytes went to a separate file in the same folder (so the final move is a rename on one volume).
        Assert.Equal(folder.Path, Path.GetDirectoryName(tempName));
        Assert.NotEqual(path, tempName);
        Assert.False(File.Exists(tempName));
        if (kind == "io")
        {
            var m = Assert.IsType<MnistToolsException>(e);
            Assert.Equal("FileWriteFailed", m.ErrorId);
            Assert.Equal(FailureKind.Write, m.Kind);
            Assert.Equal(path, m.Target);
        }
        else
        {
            Assert.IsType<InvalidOperationException>(e);
        }

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Empty(folder.Others("net.safetensors"));
        SnapshotFactory.AssertSameSnapshot(first, NetworkFileReader.Read(path));
    }

    [Fact]
    public void FailedFirstWriteLeavesNoFileAtAll()
    {
        using var folder = new TempFolder();
        string path = folder.File("net.safetensors");
        Assert.ThrowsAny<Exception>(() => NetworkFileWriter.Write(path, SnapshotFactory.Create(new[] { 784, 30, 10 }), false,
            CancellationToken.None, s => new FailingStream(s, 50_000, () => Make("io"))));
        Assert.Empty(Directory.GetFiles(folder.Path));
    }

    [Fact]
    public void CancelledWriteKeepsThePreviousFile()
    {
        using var folder = new TempFolder();
        string path = folder.File("net.safetensors");
        NetworkFileWriter.Write(path, SnapshotFactory.Create(new[] { 784, 30, 10 }, seed: 1), false);
        byte[] before = File.ReadAllBytes(path);
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            NetworkFileWriter.Write(path, SnapshotFactory.Create(new[] { 784, 30, 10 }, seed: 2), true, cancellation.Token));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Empty(folder.Others("net.safetensors"));
    }
}
