using System.Collections;
using System.Diagnostics;
using System.Management.Automation;
using System.Text.RegularExpressions;

namespace MnistTools.Commands;

/// <summary>
/// <para type="synopsis">Downloads a data set's four .gz files from public mirrors and verifies their checksums.</para>
/// <para type="description">Each file is fetched from the mirrors in turn (or from -BaseUri) into a temporary file in
/// the target folder, its MD5 checked against the published one, and only then moved into place. A file already
/// present with the right checksum is kept (Status AlreadyPresent); any existing file is replaced only with -Force.
/// Emits one FileInfo per file with note properties Status (Downloaded, AlreadyPresent), Md5 and Source.</para>
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
    /// <summary>Error id: a -Checksum entry names an unknown file or is not 32 hex digits.</summary>
    public const string BadChecksumId = "BadChecksum";
    /// <summary>Error id: a -BaseUri that is not an absolute http(s) URI.</summary>
    public const string BadBaseUriId = "BadBaseUri";

    /// <summary>Error id: the target folder cannot be created.</summary>
    public const string CannotCreateFolderId = "CannotCreateFolder";

    /// <summary>Status values of the emitted FileInfo objects.</summary>
    public const string StatusDownloaded = "Downloaded", StatusAlreadyPresent = "AlreadyPresent";

    private static readonly Regex Md5Pattern = new("^[0-9a-fA-F]{32}$", RegexOptions.CultureInvariant);
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);

    private readonly CancellationTokenSource _stop = new();

    /// <summary>Which set: Mnist or FashionMnist (case-insensitive). A string rather than the MnistSetName enum only so
    /// that tab completion can show what each set is (PowerShell completes enum parameters itself, without tooltips).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ArgumentCompleter(typeof(MnistSetNameCompleter))]
    [ValidateMnistSetName]
    public string Name { get; set; } = "";

    private MnistSetName SetName => MnistSetNameCompleter.Parse(Name);

    /// <summary>Target folder (created if missing). Default: ./data/mnist or ./data/fashion-mnist.</summary>
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
        var download = new VerifiedDownload(client, TimeSpan.FromSeconds(TimeoutSec));

        for (int f = 0; f < MnistSetCatalog.FileNames.Count; f++)
        {
            string fileName = MnistSetCatalog.FileNames[f];
            string target = System.IO.Path.Combine(folder, fileName);
            string md5 = expected[fileName];
            try
            {
                SaveOne(download, mirrors, fileName, target, md5, f);
            }
            catch (OperationCanceledException)
            {
                throw new PipelineStoppedException();
            }
        }
        WriteProgress(new ProgressRecord(1, "Save-MnistSet", "Done") { RecordType = ProgressRecordType.Completed });
    }

    protected override void StopProcessing() => _stop.Cancel();

    private void SaveOne(VerifiedDownload download, IReadOnlyList<Uri> mirrors, string fileName, string target, string md5, int fileNumber)
    {
        if (Directory.Exists(target))
        {
            WriteError(ErrorRecords.From(new MnistToolsException(PathIsFileId, FailureKind.InvalidArgument,
                $"'{target}' is a folder; the file cannot be saved there.", target)));
            return;
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
                }
                else
                {
                    WriteError(ErrorRecords.From(new MnistToolsException(ExistingFileMismatchId, FailureKind.AlreadyExists,
                        $"'{target}' exists but its MD5 is {present}, not {md5}. It was left as it is; use -Force to replace it.", target)));
                }
                return;
            }
        }

        if (!ShouldProcess(target, Force && File.Exists(target) ? "Download and replace" : "Download")) return;
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
                    PercentComplete = (int)Math.Min(100, (fileNumber * 100 + (length > 0 ? received * 100 / length.Value : 0)) / MnistSetCatalog.FileNames.Count),
                });
            }, _stop.Token);
            if (failure is null)
            {
                WriteVerbose($"{fileName}: {new FileInfo(target).Length:N0} bytes in {clock.Elapsed.TotalSeconds:F1} s, MD5 {md5} verified.");
                Emit(target, StatusDownloaded, md5, source);
                return;
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
                $"Could not download '{fileName}' from any mirror.{what} Tried: {string.Join("; ", failures)}", target)));
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
                    $"-Checksum entry '{key}' = '{value}': the key must be one of {string.Join(", ", MnistSetCatalog.FileNames)} and the value 32 hex digits (MD5).",
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
                $"-Path '{folder}' is a file; Save-MnistSet needs a folder to put the four files in.", folder)));
        return folder;
    }
}
