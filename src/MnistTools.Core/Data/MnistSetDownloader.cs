using System.Diagnostics;
using System.IO.Compression;
using MnistTools.Errors;
using MnistTools.Files;

namespace MnistTools.Data;

/// <summary>What <see cref="MnistSetDownloader"/> asks of the command that runs it (all calls on the caller's thread).</summary>
public interface IDownloadHost
{
    /// <summary>Whether to go on with <paramref name="action"/> on <paramref name="target"/> (-WhatIf, -Confirm).</summary>
    bool ShouldProcess(string target, string action);

    void Verbose(string message);

    /// <summary>The current step and the whole download's percentage (-1: unknown), or null when it is done.</summary>
    void Progress(string? status, int percent);

    /// <summary>A file now in place with the expected content: Status Downloaded, AlreadyPresent or Extracted.</summary>
    void Saved(string path, string status, string md5, Uri? source);

    /// <summary>One file that could not be saved; the others go on.</summary>
    void Failed(MnistToolsException error);
}

/// <summary>
/// Saves a data set's files into a folder: each from the mirrors in turn, MD5-checked into a temporary file and only
/// then moved into place (<see cref="VerifiedDownload"/>); files already there with the right MD5 are kept; EMNIST's
/// archive is downloaded the same way and the split's files are extracted from it, each atomically. A folder it had to
/// create is removed again when nothing was saved in it.
/// </summary>
public sealed class MnistSetDownloader
{
    /// <summary>Status values of the saved files.</summary>
    public const string StatusDownloaded = "Downloaded", StatusAlreadyPresent = "AlreadyPresent", StatusExtracted = "Extracted";

    /// <summary>The largest archive accepted (EMNIST's gzip.zip is 536 MB).</summary>
    private const long MaxArchiveBytes = 1L << 30;

    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);

    private readonly MnistSetInfo _set;
    private readonly string _folder;
    private readonly IReadOnlyList<Uri> _mirrors;
    private readonly IReadOnlyDictionary<string, string> _md5;
    private readonly TimeSpan _timeout;
    private readonly bool _force;
    private readonly IDownloadHost _host;

    /// <param name="md5">Expected MD5 per file name (the set's files, or its archive).</param>
    /// <param name="timeout">Limit for response headers and for each read of a body to make progress.</param>
    /// <param name="force">Replace files that are there with other content.</param>
    public MnistSetDownloader(MnistSetInfo set, string folder, IReadOnlyList<Uri> mirrors, IReadOnlyDictionary<string, string> md5,
        TimeSpan timeout, bool force, IDownloadHost host)
    {
        _set = set;
        _folder = folder;
        _mirrors = mirrors;
        _md5 = md5;
        _timeout = timeout;
        _force = force;
        _host = host;
    }

    /// <summary>Saves every file; failures go to the host one by one. Throws OperationCanceledException when stopped.</summary>
    /// <exception cref="MnistToolsException">CannotCreateFolder (the folder cannot be made).</exception>
    public void Run(CancellationToken stop)
    {
        using var handler = new SocketsHttpHandler
        {
            ConnectTimeout = _timeout,
            AutomaticDecompression = System.Net.DecompressionMethods.None, // the .gz bytes themselves are hashed
            AllowAutoRedirect = true,
        };
        using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.ParseAdd("MnistTools/0.1 (+Save-MnistSet)");
        // One download per file, or one of the archive the files come in.
        IReadOnlyList<string> downloads = _set.Archive is CatalogFile archive ? [archive.Name] : _set.Files.Select(f => f.Name).ToList();
        var download = new VerifiedDownload(client, _timeout, _set.Archive is null ? VerifiedDownload.MaxBytes : MaxArchiveBytes);

        // The first folder of the path that does not exist yet: removed again when nothing was saved in it, so a failed
        // download leaves no empty ./data/... behind (Import-MnistSet's "no data" message stays the helpful one).
        string? created = FirstMissingFolder(_folder);
        try
        {
            bool allThere = true;
            for (int f = 0; f < downloads.Count; f++)
                allThere &= SaveOne(download, downloads[f], f, downloads.Count, stop);
            if (_set.Archive is CatalogFile zip && allThere)
                Extract(Path.Combine(_folder, zip.Name), stop);
            _host.Progress(null, 100);
        }
        finally
        {
            if (created is not null) RemoveIfEmpty(created);
        }
    }

    /// <summary>Fetches one file; true when it is then in place with the expected MD5.</summary>
    private bool SaveOne(VerifiedDownload download, string fileName, int fileNumber, int fileCount, CancellationToken stop)
    {
        string target = Path.Combine(_folder, fileName);
        string md5 = _md5[fileName];
        try
        {
            RegularFile.CheckReplaceable(target); // a folder (PathIsDirectory), a device or a FIFO (PathNotRegularFile)
        }
        catch (MnistToolsException e)
        {
            _host.Failed(e);
            return false;
        }
        if (File.Exists(target))
        {
            string present = VerifiedDownload.Md5Of(target);
            if (!_force)
            {
                if (string.Equals(present, md5, StringComparison.OrdinalIgnoreCase))
                {
                    _host.Verbose($"{fileName}: already present with the expected MD5 {md5}; kept.");
                    _host.Saved(target, StatusAlreadyPresent, md5, null);
                    return true;
                }
                _host.Failed(new MnistToolsException(ErrorIds.ExistingFileMismatch, FailureKind.AlreadyExists,
                    $"'{target}' exists but its MD5 is {present}, not {md5}. It was left as it is; use -Force to replace it.", target));
                return false;
            }
        }

        if (!_host.ShouldProcess(target, _force && File.Exists(target) ? "Download and replace" : "Download")) return false;
        try
        {
            Directory.CreateDirectory(_folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MnistToolsException(ErrorIds.CannotCreateFolder, FailureKind.Write, $"Cannot create '{_folder}': {e.Message}", _folder, e);
        }

        var failures = new List<string>();
        bool checksumFailed = false;
        foreach (Uri mirror in _mirrors)
        {
            var source = new Uri(mirror, fileName);
            _host.Verbose($"{fileName}: GET {source}");
            var clock = Stopwatch.StartNew();
            TimeSpan? lastProgress = null;
            (DownloadFailure Kind, string Reason)? failure = download.Fetch(source, target, md5, (received, length) =>
            {
                if (lastProgress is TimeSpan last && clock.Elapsed - last < ProgressInterval) return;
                lastProgress = clock.Elapsed;
                _host.Progress($"{fileName} from {source.Host}: {received:N0} of {(length?.ToString("N0") ?? "?")} bytes",
                    (int)Math.Min(100, (fileNumber * 100 + (length > 0 ? received * 100 / length.Value : 0)) / fileCount));
            }, stop);
            if (failure is null)
            {
                _host.Verbose($"{fileName}: {new FileInfo(target).Length:N0} bytes in {clock.Elapsed.TotalSeconds:F1} s, MD5 {md5} verified.");
                _host.Saved(target, StatusDownloaded, md5, source);
                return true;
            }
            checksumFailed |= failure.Value.Kind == DownloadFailure.Checksum;
            failures.Add($"{source}: {failure.Value.Reason}");
            _host.Verbose($"{fileName}: {source} failed: {failure.Value.Reason}");
        }

        string what = File.Exists(target) ? " The existing file was left untouched." : " No file was written.";
        _host.Failed(checksumFailed
            ? new MnistToolsException(ErrorIds.ChecksumMismatch, FailureKind.InvalidData,
                $"'{fileName}' did not arrive with the expected MD5 {md5}.{what} Tried: {string.Join("; ", failures)}", target)
            : new MnistToolsException(ErrorIds.DownloadFailed, FailureKind.Connection,
                $"Could not download '{fileName}' from any mirror.{what} Tried: {string.Join("; ", failures)}. " +
                "Offline? Copy the set's files into a folder and pass it to Import-MnistSet -Path (or set $env:MNIST_DATA to it, Import-MnistSet's default).", target));
        return false;
    }

    /// <summary>
    /// The set's files out of its checked archive, each written atomically. A file already there with the archive's
    /// content is kept (AlreadyPresent); one with other content is an error unless forced.
    /// </summary>
    private void Extract(string archivePath, CancellationToken stop)
    {
        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(archivePath);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            _host.Failed(new MnistToolsException(ErrorIds.ArchiveBad, FailureKind.InvalidData, $"'{archivePath}' cannot be opened as a zip archive: {e.Message}", archivePath, e));
            return;
        }
        using (zip)
        {
            foreach (CatalogFile file in _set.Files)
            {
                string target = Path.Combine(_folder, file.Name);
                ZipArchiveEntry? entry = zip.GetEntry(_set.ArchiveFolder + file.Name) ?? zip.GetEntry(file.Name);
                if (entry is null)
                {
                    _host.Failed(new MnistToolsException(ErrorIds.ArchiveBad, FailureKind.InvalidData,
                        $"'{archivePath}' holds no '{_set.ArchiveFolder}{file.Name}'.", archivePath));
                    continue;
                }
                try
                {
                    RegularFile.CheckReplaceable(target);
                    if (File.Exists(target))
                    {
                        if (SameContent(entry, target))
                        {
                            _host.Verbose($"{file.Name}: already extracted; kept.");
                            _host.Saved(target, StatusAlreadyPresent, VerifiedDownload.Md5Of(target), null);
                            continue;
                        }
                        if (!_force)
                        {
                            _host.Failed(new MnistToolsException(ErrorIds.ExistingFileMismatch, FailureKind.AlreadyExists,
                                $"'{target}' exists but differs from the file in '{archivePath}'. It was left as it is; use -Force to replace it.", target));
                            continue;
                        }
                    }
                    if (!_host.ShouldProcess(target, $"Extract from {Path.GetFileName(archivePath)}")) continue;
                    _host.Progress($"Extracting {file.Name} ({entry.Length:N0} bytes)", -1);
                    AtomicFile.Write(target, overwrite: true, (stream, token) =>
                    {
                        using Stream source = entry.Open();
                        source.CopyTo(stream);
                    }, stop);
                    _host.Saved(target, StatusExtracted, VerifiedDownload.Md5Of(target), new Uri(archivePath));
                }
                catch (MnistToolsException e)
                {
                    _host.Failed(e);
                }
                catch (InvalidDataException e)
                {
                    _host.Failed(new MnistToolsException(ErrorIds.ArchiveBad, FailureKind.InvalidData, $"'{file.Name}' in '{archivePath}' is damaged: {e.Message}", archivePath, e));
                }
            }
        }
    }

    private static bool SameContent(ZipArchiveEntry entry, string path)
    {
        if (new FileInfo(path).Length != entry.Length) return false;
        using Stream expected = entry.Open();
        using FileStream actual = RegularFile.OpenRead(path);
        byte[] a = new byte[1 << 16], b = new byte[1 << 16];
        while (true)
        {
            int n = expected.ReadAtLeast(a, a.Length, throwOnEndOfStream: false);
            int m = actual.ReadAtLeast(b, b.Length, throwOnEndOfStream: false);
            if (n != m || !a.AsSpan(0, n).SequenceEqual(b.AsSpan(0, m))) return false;
            if (n == 0) return true;
        }
    }

    /// <summary>The outermost folder on the way to <paramref name="folder"/> that does not exist, or null when it exists.</summary>
    private static string? FirstMissingFolder(string folder)
    {
        string? missing = null;
        for (string? current = folder; current is not null && !Directory.Exists(current) && !File.Exists(current); current = Path.GetDirectoryName(current))
            missing = current;
        return missing;
    }

    /// <summary>Deletes <paramref name="folder"/> when it holds no file at any depth (only empty folders); best effort.</summary>
    private static void RemoveIfEmpty(string folder)
    {
        try
        {
            if (Directory.Exists(folder) && !Directory.EnumerateFiles(folder, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).Any())
                Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* a file appeared meanwhile, or no right: leave it */ }
    }
}
