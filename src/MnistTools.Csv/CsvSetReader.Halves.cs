using MnistTools.Errors;

namespace MnistTools.Csv;

/// <summary>Reading a big CSV file as two halves on two threads.</summary>
public static partial class CsvSetReader
{
    /// <summary>
    /// Reads a big file as two halves at once, split at the first line end after the middle: the first half on this
    /// thread, the second on another, which takes the layout (header, label column, image side) from the file's first
    /// row. Both halves' images are joined in order. A valid file of images cannot hold a line break inside a field
    /// (a field with one is no number), so the split never cuts a row; any failure in either half returns null, and
    /// the caller reads the file from the start on one thread, which gives the error with its true line number.
    /// </summary>
    internal static MnistDataSet? ReadInTwo(FileStream file, string path, string name, CsvReadOptions options, CancellationToken cancellationToken)
    {
        long middle = SplitPoint(file);
        if (middle <= 0) return null;
        var first = new ReadState(path, options, middle);
        try
        {
            // The layout from the first row (the header, if any, and the first data row), read on its own.
            var layout = new ReadState(path, options with { First = 1 }, middle);
            file.Position = 0;
            Parse(new Segment(file, middle), layout, path, cancellationToken);
            var second = ReadState.Continuing(layout, file.Length - middle);
            Exception? secondFailure = null;
            var worker = new Thread(() =>
            {
                try
                {
                    using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
                    stream.Position = middle;
                    Parse(stream, second, path, cancellationToken);
                }
                catch (Exception e)
                {
                    secondFailure = e;
                }
            }) { IsBackground = true, Name = "MnistTools CSV second half" };
            worker.Start();
            file.Position = 0;
            try
            {
                Parse(new Segment(file, middle), first, path, cancellationToken);
            }
            finally
            {
                worker.Join();
            }
            cancellationToken.ThrowIfCancellationRequested();
            return secondFailure is null ? ReadState.Join(first, second, name) : null;
        }
        catch (MnistToolsException)
        {
            return null;
        }
    }

    /// <summary>The offset just after the first '\n' at or after the middle of the file, or 0 when there is none.</summary>
    private static long SplitPoint(FileStream file)
    {
        Span<byte> buffer = stackalloc byte[4096];
        file.Position = file.Length / 2;
        long at = file.Position;
        while (true)
        {
            int n = file.Read(buffer);
            if (n == 0) return 0;
            int newline = buffer[..n].IndexOf((byte)'\n');
            if (newline >= 0) return at + newline + 1 < file.Length ? at + newline + 1 : 0;
            at += n;
        }
    }

    /// <summary>A read-only view of the first <c>length</c> bytes of a stream from its current position.</summary>
    private sealed class Segment(Stream inner, long length) : Stream
    {
        private long _left = length;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_left <= 0) return 0;
            int n = inner.Read(buffer[..(int)Math.Min(buffer.Length, _left)]);
            _left -= n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
