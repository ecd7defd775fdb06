using System.Collections;
using System.Diagnostics;
using System.IO.Compression;
using System.Management.Automation;
using System.Text.RegularExpressions;
using MnistTools.Persistence;

namespace MnistTools.Commands;

/// <summary>
/// <para type="synopsis">Downloads a data set's four .gz files from public mirrors and verifies their checksums.</para>
/// <para type="description">Each file is fetched from the mirrors in turn (or from -BaseUri) into a temporary file in
/// the target folder, its MD5 checked against the published one, and only then moved into place. A file already
/// present with the right checksum is kept (Status AlreadyPresent); any existing file is replaced only with -Force.
/// EMNIST is published as one archive (gzip.zip): it is downloaded and checked the same way, kept in the folder, and
/// the split's four files are extracted from it (Status Extracted). Emits one FileInfo per file with note properties
/// Status (Downloaded, AlreadyPresent, Extracted), Md5 and Source.</para>
/// </summary>
[Cmdlet(VerbsData.Save, "MnistSet", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class SaveMnistSetCommand : PSCmdlet
{
    /// <summary>Error id: every mirror failed to deliver a file (HTTP error, dropped connection, timeout).</summary>
    public const string DownloadFailedId = "DownloadFailed";
    /// <summary>Error id: a file arrived whole but its MD5 is wrong (on every mirror that delivered it).</summary>
    public const string ChecksumMismatchId = "ChecksumMismatch";
    /// <summary>Error id: a file of that name exists with another checksum; it is kept unless -Force.</summary>
    public const string ExistingFileMismatchId = "ExistingFileMismatch";
    /// <summary>Error id: -Path names a file, not a folder.</summary>
    public const string PathIsFileId = "PathIsFile";
    /// <summary>Error id: a file's target path is a folder.</summary>
    public const string PathIsDirectoryId = "PathIsDirectory";
    /// <summary>Error id: a -Checksum entry names an unknown file or is not 32 hex digits.</summary>
    public const string BadChecksumId = "BadChecksum";
    /// <summary>Error id: a -BaseUri that is not an absolute http(s) URI.</summary>
    public const string BadBaseUriId = "BadBaseUri";

    /// <summary>Error id: the target folder cannot be created.</summary>
    public const string CannotCreateFolderId = "CannotCreateFolder";

    /// <summary>Error id: the downloaded archive lacks a file of the set, or cannot be opened as a zip archive.</summary>
    public const string ArchiveBadId = "ArchiveBad";

    /// <summary>Status values of the emitted FileInfo objects.</summary>
    public const string StatusDownloaded = "Downloaded", StatusAlreadyPresent = "AlreadyPresent", StatusExtracted = "Extracted";

    /// <summary>The largest archive accepted (EMNIST's gzip.zip is 536 MB).</summary>
    private const long MaxArchiveBytes = 1L << 30;

    private static readonly Regex Md5Pattern = new("^[0-9a-fA-F]{32}$", RegexOptions.CultureInvariant);
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);

    private readonly CancellationTokenSource _stop = new();

    /// <summary>Which set: Mnist, FashionMnist, KMnist, QMnist or an EMNIST split (case-insensitive). A string rather than the MnistSetName enum only so
    /// that tab completion can show what each set is (PowerShell completes enum parameters itself, without tooltips).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ArgumentCompleter(typeof(MnistSetNameCompleter))]
    [ValidateMnistSetName]
    public string Name { get; set; } = "";

    private MnistSetName SetName => MnistSetNameCompleter.Parse(Name);

    /// <summary>Target folder (created if missing). Default: ./data/&lt;set&gt; (mnist, fashion-mnist, kmnist, qmnist, emnist-balanced...).</summary>
    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>Mirror(s) to use instead of the built-in list, tried in order; the file name is appended.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public Uri[]? BaseUri { get; set; }

    /// <summary>Download and replace files even when a file of that name is already there.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Seconds to wait for response headers, and for each read of a body to make progress.</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int TimeoutSec { get; set; } = 60;

    /// <summary>
    /// Advanced, hidden: expected MD5 per file name, overriding the published ones (for private mirrors and tests,
    /// e.g. re-compressed copies). Keys are the .gz file names; files not named keep the published checksum.
    /// </summary>
    [Parameter(DontShow = true)]
    [ValidateNotNull]
    public Hashtable? Checksum { get; set; }

    protected override void EndProcessing()
    {
        Dictionary<string, string> expected = ExpectedChecksums();
        IReadOnlyList<Uri> mirrors = Mirrors();
        string folder = TargetFolder();

        using var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(TimeoutSec),
            AutomaticDecompression = System.Net.DecompressionMethods.None, // the .gz bytes themselves are hashed
            AllowAutoRedirect = true,
        };
        using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.ParseAdd("MnistTools/0.1 (+Save-MnistSet)");
        MnistSetInfo info = MnistSetCatalog.Get(SetName);
        // One download per file, or one of the archive the files come in.
        IReadOnlyList<string> downloads = info.Archive is CatalogFile archive ? [archive.Name] : info.Files.Select(f => f.Name).ToList();
        var download = new VerifiedDownload(client, TimeSpan.FromSeconds(TimeoutSec), info.Archive is null ? VerifiedDownload.MaxBytes : MaxArchiveBytes);

        // The first folder of the path that does not exist yet: removed again when nothing was saved in it, so a failed
        // download leaves no empty ./data/... behind (Import-MnistSet's "no data" message stays the helpful one).
        string? created = FirstMissingFolder(folder);
        try
        {
            bool allThere = true;
            for (int f = 0; f < downloads.Count; f++)
            {
                string fileName = downloads[f];
                string target = System.IO.Path.Combine(folder, fileName);
                string md5 = expected[fileName];
                try
                {
                    allThere &= SaveOne(download, mirrors, fileName, target, md5, f, downloads.Count);
                }
                catch (OperationCanceledException)
                {
                    throw new PipelineStoppedException();
                }
            }
            if (info.Archive is CatalogFile zip && allThere)
                Extract(info, System.IO.Path.Combine(folder, zip.Name), folder);
            WriteProgress(new ProgressRecord(1, "Save-MnistSet", "Done") { RecordType = ProgressRecordType.Completed });
        }
        finally
        {
            if (created is not null) RemoveIfEmpty(created);
        }
    }

    /// <summary>
    /// The set's files out of its checked archive, each written atomically. A file already there with the archive's
    /// content is kept (AlreadyPresent); one with other content is an error unless -Force.
    /// </summary>
    private void Extract(MnistSetInfo info, string archivePath, string folder)
    {
        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(archivePath);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            WriteError(ErrorRecords.From(new MnistToolsException(ArchiveBadId, FailureKind.InvalidData, $"'{archivePath}' cannot be opened as a zip archive: {e.Message}", archivePath, e)));
            return;
        }
        using (zip)
        {
            foreach (CatalogFile file in info.Files)
            {
                string target = System.IO.Path.Combine(folder, file.Name);
                ZipArchiveEntry? entry = zip.GetEntry(info.ArchiveFolder + file.Name) ?? zip.GetEntry(file.Name);
                if (entry is null)
                {
                    WriteError(ErrorRecords.From(new MnistToolsException(ArchiveBadId, FailureKind.InvalidData,
                        $"'{archivePath}' holds no '{info.ArchiveFolder}{file.Name}'.", archivePath)));
                    continue;
                }
                try
                {
                    RegularFile.CheckReplaceable(target);
                    if (File.Exists(target))
                    {
                        if (SameContent(entry, target))
                        {
                            WriteVerbose($"{file.Name}: already extracted; kept.");
                            Emit(target, StatusAlreadyPresent, VerifiedDownload.Md5Of(target), null);
                            continue;
                        }
                        if (!Force)
                        {
                            WriteError(ErrorRecords.From(new MnistToolsException(ExistingFileMismatchId, FailureKind.AlreadyExists,
                                $"'{target}' exists but differs from the file in '{archivePath}'. It was left as it is; use -Force to replace it.", target)));
                            continue;
                        }
                    }
                    if (!ShouldProcess(target, $"Extract from {System.IO.Path.GetFileName(archivePath)}")) continue;
                    WriteProgress(new ProgressRecord(1, "Save-MnistSet", $"Extracting {file.Name} ({entry.Length:N0} bytes)"));
                    MnistTools.Persistence.AtomicFile.Write(target, overwrite: true, (stream, token) =>
                    {
                        using Stream source = entry.Open();
                        source.CopyTo(stream);
                    }, _stop.Token);
                    Emit(target, StatusExtracted, VerifiedDownload.Md5Of(target), new Uri(archivePath));
                }
                catch (MnistToolsException e)
                {
                    WriteError(ErrorRecords.From(e));
                }
                catch (InvalidDataException e)
                {
                    WriteError(ErrorRecords.From(new MnistToolsException(ArchiveBadId, FailureKind.InvalidData, $"'{file.Name}' in '{archivePath}' is damaged: {e.Message}", archivePath, e)));
                }
                catch (OperationCanceledException)
                {
                    throw new PipelineStoppedException();
                }
            }
        }
    }

    /// <summary>The outermost folder on the way to <paramref name="folder"/> that does not exist, or null when it exists.</summary>
    private static string? FirstMissingFolder(string folder)
    {
        string? missing = null;
        for (string? current = folder; current is not null && !Directory.Exists(current) && !File.Exists(current); current = System.IO.Path.GetDirectoryName(current))
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

    private static bool SameContent(ZipArchiveEntry entry, string path)
    {
        if (new FileInfo(path).Length != entry.Length) return false;
        using Stream expected = entry.Open();
        using var actual = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        byte[] a = new byte[1 << 16], b = new byte[1 << 16];
        while (true)
        {
            int n = expected.ReadAtLeast(a, a.Length, throwOnEndOfStream: false);
            int m = actual.ReadAtLeast(b, b.Length, throwOnEndOfStream: false);
            if (n != m || !a.AsSpan(0, n).SequenceEqual(b.AsSpan(0, m))) return false;
            if (n == 0) return true;
        }
    }

    protected override void StopProcessing() => _stop.Cancel();

    /// <summary>Fetches one file; true when it is then in place with the expected MD5.</summary>
    private bool SaveOne(VerifiedDownload download, IReadOnlyList<Uri> mirrors, string fileName, string target, string md5, int fileNumber, int fileCount)
    {
        try
        {
            RegularFile.CheckReplaceable(target); // a folder (PathIsDirectory), a device or a FIFO (PathNotRegularFile)
        }
        catch (MnistToolsException e)
        {
            WriteError(ErrorRecords.From(e));
            return false;
        }
        if (File.Exists(target))
        {
            string present = VerifiedDownload.Md5Of(target);
            if (!Force)
            {
                if (string.Equals(present, md5, StringComparison.OrdinalIgnoreCase))
                {
                    WriteVerbose($"{fileName}: already present with the expected MD5 {md5}; kept.");
                    Emit(target, StatusAlreadyPresent, md5, null);
                    return true;
                }
                WriteError(ErrorRecords.From(new MnistToolsException(ExistingFileMismatchId, FailureKind.AlreadyExists,
                    $"'{target}' exists but its MD5 is {present}, not {md5}. It was left as it is; use -Force to replace it.", target)));
                return false;
            }
        }

        if (!ShouldProcess(target, Force && File.Exists(target) ? "Download and replace" : "Download")) return false;
        string folder = System.IO.Path.GetDirectoryName(target)!;
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(ErrorRecords.From(new MnistToolsException(CannotCreateFolderId, FailureKind.Write,
                $"Cannot create '{folder}': {e.Message}", folder, e)));
        }

        var failures = new List<string>();
        bool checksumFailed = false;
        foreach (Uri mirror in mirrors)
        {
            var source = new Uri(mirror, fileName);
            WriteVerbose($"{fileName}: GET {source}");
            var clock = Stopwatch.StartNew();
            TimeSpan? lastProgress = null;
            (DownloadFailure Kind, string Reason)? failure = download.Fetch(source, target, md5, (received, length) =>
            {
                if (lastProgress is TimeSpan last && clock.Elapsed - last < ProgressInterval) return;
                lastProgress = clock.Elapsed;
                // A new record each time: streams that keep records (jobs, runspaces) must not see them rewritten.
                WriteProgress(new ProgressRecord(1, "Save-MnistSet", $"{fileName} from {source.Host}: {received:N0} of {(length?.ToString("N0") ?? "?")} bytes")
                {
                    PercentComplete = (int)Math.Min(100, (fileNumber * 100 + (length > 0 ? received * 100 / length.Value : 0)) / fileCount),
                });
            }, _stop.Token);
            if (failure is null)
            {
                WriteVerbose($"{fileName}: {new FileInfo(target).Length:N0} bytes in {clock.Elapsed.TotalSeconds:F1} s, MD5 {md5} verified.");
                Emit(target, StatusDownloaded, md5, source);
                return true;
            }
            checksumFailed |= failure.Value.Kind == DownloadFailure.Checksum;
            failures.Add($"{source}: {failure.Value.Reason}");
            WriteVerbose($"{fileName}: {source} failed: {failure.Value.Reason}");
        }

        string what = File.Exists(target) ? " The existing file was left untouched." : " No file was written.";
        WriteError(checksumFailed
            ? ErrorRecords.From(new MnistToolsException(ChecksumMismatchId, FailureKind.InvalidData,
                $"'{fileName}' did not arrive with the expected MD5 {md5}.{what} Tried: {string.Join("; ", failures)}", target))
            : ErrorRecords.From(new MnistToolsException(DownloadFailedId, FailureKind.Connection,
                $"Could not download '{fileName}' from any mirror.{what} Tried: {string.Join("; ", failures)}. " +
                $"Offline? Copy the set's files into a folder and pass it to Import-MnistSet -Path (or set $env:MNIST_DATA to it, Import-MnistSet's default).", target)));
        return false;
    }

    private void Emit(string target, string status, string md5, Uri? source)
    {
        var info = PSObject.AsPSObject(new FileInfo(target));
        info.TypeNames.Insert(0, "MnistTools.SavedFile"); // its format view shows Status and Md5
        info.Properties.Add(new PSNoteProperty("Status", status));
        info.Properties.Add(new PSNoteProperty("Md5", md5.ToLowerInvariant()));
        info.Properties.Add(new PSNoteProperty("Source", source?.ToString()));
        WriteObject(info);
    }

    private Dictionary<string, string> ExpectedChecksums()
    {
        var expected = new Dictionary<string, string>(MnistSetCatalog.PublishedMd5(SetName), StringComparer.OrdinalIgnoreCase);
        if (Checksum is null) return expected;
        foreach (DictionaryEntry entry in Checksum)
        {
            string key = entry.Key?.ToString() ?? "";
            string? value = (entry.Value is PSObject ps ? ps.BaseObject : entry.Value)?.ToString();
            if (!expected.ContainsKey(key) || value is null || !Md5Pattern.IsMatch(value))
                ThrowTerminatingError(ErrorRecords.From(new MnistToolsException(BadChecksumId, FailureKind.InvalidArgument,
                    $"-Checksum entry '{key}' = '{value}': the key must be one of {string.Join(", ", expected.Keys)} and the value 32 hex digits (MD5).",
                    entry.Key)));
            expected[key] = value!.ToLowerInvariant();
        }
        return expected;
    }

    private IReadOnlyList<Uri> Mirrors()
    {
        if (BaseUri is null) return MnistSetCatalog.Mirrors(SetName);
        var list = new List<Uri>();
        foreach (Uri uri in BaseUri)
        {
            if (!uri.IsAbsoluteUri || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                ThrowTerminatingError(ErrorRecords.From(new MnistToolsException(BadBaseUriId, FailureKind.InvalidArgument,
                    $"-BaseUri '{uri}' is not an absolute http or https URI.", uri)));
            // "…/mnist" and "…/mnist/" both mean the folder: new Uri(base, name) would otherwise drop "mnist".
            list.Add(uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/"));
        }
        return list;
    }

    private string TargetFolder()
    {
        string folder;
        try
        {
            folder = PathResolver.ResolveForWrite(this, Path ?? System.IO.Path.Combine(".", "data", MnistSetCatalog.FolderName(SetName)));
        }
        catch (MnistToolsException e)
        {
            ThrowTerminatingError(ErrorRecords.From(e));
            throw; // not reached
        }
        catch (Exception e) when (e is SessionStateException or ProviderInvocationException or NotSupportedException)
        {
            ThrowTerminatingError(ErrorRecords.From(new MnistToolsException("PathNotFound", FailureKind.NotFound, e.Message, Path, e)));
            throw; // not reached
        }
        if (File.Exists(folder))
            ThrowTerminatingError(ErrorRecords.From(new MnistToolsException(PathIsFileId, FailureKind.InvalidArgument,
                $"-Path '{folder}' is a file; Save-MnistSet needs a folder to put the files in.", folder)));
        return folder;
    }
}
