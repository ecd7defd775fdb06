namespace MnistTools.Persistence;

/// <summary>
/// Writes a file so that readers only ever see the old content or the complete new content: the bytes go to a
/// temporary file in the same folder (same volume, so the final rename is atomic), are flushed to disk, and
/// the temporary file is then moved over the target. On any failure or cancellation the temporary file is
/// deleted and the previous file is left untouched.
/// </summary>
public static class AtomicFile
{
    /// <summary>Error id of every "the file exists and may not be replaced" failure (AlreadyExists), in every writer.</summary>
    public const string FileExistsErrorId = "FileExists";

    /// <summary>
    /// Writes <paramref name="path"/> through <paramref name="writeContent"/>. Without <paramref name="overwrite"/>
    /// an existing file is an error (<see cref="FileExistsErrorId"/>, checked again at the final move, so a file that
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
        RegularFile.CheckReplaceable(fullPath); // a folder, or a device or FIFO that -Force must not turn into a file
        if (!overwrite && File.Exists(fullPath))
            throw ExistsError(fullPath);
        string folder = Path.GetDirectoryName(fullPath)!;
        if (!Directory.Exists(folder))
            throw new MnistToolsException("FolderNotFound", FailureKind.NotFound, $"Cannot write '{fullPath}': the folder '{folder}' does not exist.", fullPath);

        CleanOrphans(fullPath, TempSuffix);
        string temp = Path.Combine(folder, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}{TempSuffix}");
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                Stream stream = wrapStream is null ? file : wrapStream(file);
                writeContent(stream, cancellationToken);
                stream.Flush();
                file.Flush(flushToDisk: true);
            }
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
            if (e is IOException or UnauthorizedAccessException)
                throw new MnistToolsException("FileWriteFailed", FailureKind.Write, $"Cannot write '{fullPath}': {e.Message}", fullPath, e);
            throw;
        }
    }

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
    /// The failure for an existing <paramref name="path"/> that may not be replaced: <see cref="FileExistsErrorId"/>,
    /// AlreadyExists, target the path. For callers that check before they start writing (ShouldProcess, -Force).
    /// </summary>
    public static MnistToolsException ExistsError(string path, Exception? inner = null) =>
        new(FileExistsErrorId, FailureKind.AlreadyExists, $"The file '{path}' already exists. Use -Force to overwrite it.", path, inner);

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
