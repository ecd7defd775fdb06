using MnistTools.Errors;

namespace MnistTools.Files;

/// <summary>
/// Writes a file so that readers only ever see the old content or the complete new content: the bytes go to a
/// temporary file in the same folder (same volume, so the final rename is atomic), are flushed to disk, and
/// the temporary file is then moved over the target. On any failure or cancellation the temporary file is
/// deleted and the previous file is left untouched.
/// </summary>
public static class AtomicFile
{
    /// <summary>
    /// Writes <paramref name="path"/> through <paramref name="writeContent"/>. Without <paramref name="overwrite"/>
    /// an existing file is an error (<see cref="ErrorIds.FileExists"/>, checked again at the final move, so a file that
    /// appears meanwhile is not clobbered either). A target that is not a regular file (a folder, a device, a FIFO, or
    /// a link to one) is refused even with <paramref name="overwrite"/> (<see cref="RegularFile.CheckReplaceable"/>).
    /// </summary>
    /// <param name="wrapStream">Test hook: wraps the temporary file's stream (for example to inject a failure mid-write).</param>
    public static void Write(string path, bool overwrite, Action<Stream, CancellationToken> writeContent,
        CancellationToken cancellationToken = default, Func<Stream, Stream>? wrapStream = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(writeContent);
        string fullPath = Path.GetFullPath(path);
        CheckTarget(fullPath, overwrite); // a folder, or a device or FIFO that -Force must not turn into a file

        CleanOrphans(fullPath, TempSuffix);
        string temp = WriteTemporary(fullPath, writeContent, cancellationToken, wrapStream);
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                File.Move(temp, fullPath, overwrite);
            }
            catch (IOException e) when (!overwrite && File.Exists(fullPath))
            {
                throw ExistsError(fullPath, e);
            }
        }
        catch (Exception e)
        {
            TryDelete(temp);
            throw WriteFailed(fullPath, e);
        }
    }

    /// <summary>
    /// Writes several files as one: every target is checked first (as <see cref="Write"/> does), each file's bytes go to
    /// a temporary file beside it, and only when all are written are they moved into place, one after the other. When a
    /// move fails, the files already moved are put back as they were (the previous file, kept as a hard link until the
    /// end, or no file), so readers never see new images beside old labels. (A process killed between two moves
    /// still leaves some files new and the rest old.)
    /// </summary>
    /// <param name="files">Target paths (distinct) and what to write into each.</param>
    /// <param name="beforeMove">Test hook: called with a file's index just before it is moved into place.</param>
    /// <exception cref="MnistToolsException">PathsSame, PathIsDirectory, PathNotRegularFile, FileExists, FolderNotFound (before anything is written); FileWriteFailed.</exception>
    public static void WriteAll(IReadOnlyList<(string Path, Action<Stream, CancellationToken> Write)> files, bool overwrite,
        CancellationToken cancellationToken = default, Action<int>? beforeMove = null)
    {
        ArgumentNullException.ThrowIfNull(files);
        string[] targets = files.Select(f => Path.GetFullPath(f.Path)).ToArray();
        if (targets.Distinct(StringComparer.Ordinal).Count() != targets.Length)
            throw new MnistToolsException(ErrorIds.PathsSame, FailureKind.InvalidArgument,
                $"The files to write must have different paths; got '{string.Join("', '", targets)}'.", targets[0]);
        foreach (string target in targets) CheckTarget(target, overwrite);

        var temps = new List<string>();
        var moved = new List<(string Target, string? Backup)>();
        var backups = new List<string>();
        int current = 0;
        try
        {
            for (; current < targets.Length; current++)
            {
                CleanOrphans(targets[current], TempSuffix);
                temps.Add(WriteTemporary(targets[current], files[current].Write, cancellationToken, null));
            }
            cancellationToken.ThrowIfCancellationRequested();
            for (current = 0; current < targets.Length; current++)
            {
                beforeMove?.Invoke(current);
                string target = targets[current];
                if (File.Exists(target))
                {
                    if (!overwrite) throw ExistsError(target);
                    string backup = TemporaryName(target);
                    backups.Add(backup); // File.Replace may leave it behind when its own rename fails
                    File.Replace(temps[current], target, backup, ignoreMetadataErrors: true);
                    moved.Add((target, backup));
                }
                else
                {
                    File.Move(temps[current], target, overwrite: false);
                    moved.Add((target, null));
                }
            }
        }
        catch (Exception e)
        {
            for (int i = moved.Count - 1; i >= 0; i--) Restore(moved[i].Target, moved[i].Backup);
            foreach (string temp in temps.Concat(backups)) TryDelete(temp);
            throw e is MnistToolsException ? e : WriteFailed(current < targets.Length ? targets[current] : targets[^1], e);
        }
        foreach ((_, string? backup) in moved)
            if (backup is not null) TryDelete(backup);
    }

    /// <summary>The checks every target passes before anything is written.</summary>
    private static void CheckTarget(string fullPath, bool overwrite)
    {
        RegularFile.CheckReplaceable(fullPath);
        if (!overwrite && File.Exists(fullPath))
            throw ExistsError(fullPath);
        string folder = Path.GetDirectoryName(fullPath)!;
        if (!Directory.Exists(folder))
            throw new MnistToolsException(ErrorIds.FolderNotFound, FailureKind.NotFound, $"Cannot write '{fullPath}': the folder '{folder}' does not exist.", fullPath);
    }

    /// <summary>Writes the content to a new temporary file beside <paramref name="fullPath"/>, flushed to disk; deletes it on failure.</summary>
    private static string WriteTemporary(string fullPath, Action<Stream, CancellationToken> writeContent, CancellationToken cancellationToken, Func<Stream, Stream>? wrapStream)
    {
        string temp = TemporaryName(fullPath);
        try
        {
            using var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
            Stream stream = wrapStream is null ? file : wrapStream(file);
            writeContent(stream, cancellationToken);
            stream.Flush();
            file.Flush(flushToDisk: true);
        }
        catch (Exception e)
        {
            TryDelete(temp);
            throw WriteFailed(fullPath, e);
        }
        return temp;
    }

    private static string TemporaryName(string fullPath) =>
        Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}{TempSuffix}");

    /// <summary>Puts <paramref name="target"/> back as it was before a move: its previous content, or no file.</summary>
    private static void Restore(string target, string? backup)
    {
        try
        {
            if (backup is null) File.Delete(target);
            else File.Move(backup, target, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* best effort: the backup keeps the old bytes */ }
    }

    /// <summary>FileWriteFailed for an I/O failure, else the exception itself.</summary>
    private static Exception WriteFailed(string fullPath, Exception e) =>
        e is IOException or UnauthorizedAccessException
            ? new MnistToolsException(ErrorIds.FileWriteFailed, FailureKind.Write, $"Cannot write '{fullPath}': {e.Message}", fullPath, e)
            : e;

    /// <summary>Suffix of the temporary files <see cref="Write"/> creates (".&lt;name&gt;.&lt;guid&gt;.tmp").</summary>
    public const string TempSuffix = ".tmp";

    /// <summary>
    /// Deletes temporary files ".&lt;name of <paramref name="targetPath"/>&gt;.&lt;32 hex digits&gt;<paramref name="suffix"/>"
    /// that a killed writer left behind (their names never collide with a real file, so readers never took them; this
    /// only reclaims the space). A file some live writer still holds is skipped: writers open their temporary file with
    /// FileShare.None, which .NET enforces across processes (a lock on Unix, released when the process dies).
    /// Best effort: returns how many were deleted and never throws for I/O reasons.
    /// </summary>
    public static int CleanOrphans(string targetPath, string suffix)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(targetPath))!;
        string prefix = "." + Path.GetFileName(targetPath) + ".";
        int deleted = 0;
        try
        {
            foreach (string candidate in Directory.EnumerateFiles(folder, prefix + "*" + suffix))
            {
                string name = Path.GetFileName(candidate);
                string middle = name.Length == prefix.Length + 32 + suffix.Length ? name.Substring(prefix.Length, 32) : "";
                if (middle.Length != 32 || !middle.All(Uri.IsHexDigit) || !name.StartsWith(prefix, StringComparison.Ordinal)) continue;
                try
                {
                    using (new FileStream(candidate, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1)) { }
                    File.Delete(candidate);
                    deleted++;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* in use by a live writer, or gone */ }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return deleted;
    }

    /// <summary>
    /// The failure for an existing <paramref name="path"/> that may not be replaced: <see cref="ErrorIds.FileExists"/>,
    /// AlreadyExists, target the path. For callers that check before they start writing (ShouldProcess, -Force).
    /// </summary>
    public static MnistToolsException ExistsError(string path, Exception? inner = null) =>
        new(ErrorIds.FileExists, FailureKind.AlreadyExists, $"The file '{path}' already exists. Use -Force to overwrite it.", path, inner);

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
