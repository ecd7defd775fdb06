using System.Collections;
using System.Management.Automation;
using System.Text.RegularExpressions;
using MnistTools.Data;
using MnistTools.Errors;
using MnistTools.Infrastructure;

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
public sealed class SaveMnistSetCommand : PSCmdlet, IDownloadHost
{
    /// <summary>Status values of the emitted FileInfo objects.</summary>
    public const string StatusDownloaded = MnistSetDownloader.StatusDownloaded, StatusAlreadyPresent = MnistSetDownloader.StatusAlreadyPresent,
        StatusExtracted = MnistSetDownloader.StatusExtracted;

    private static readonly Regex Md5Pattern = new("^[0-9a-fA-F]{32}$", RegexOptions.CultureInvariant);

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
        var downloader = new MnistSetDownloader(MnistSetCatalog.Get(SetName), folder, mirrors, expected, TimeSpan.FromSeconds(TimeoutSec), Force, this);
        try
        {
            downloader.Run(_stop.Token);
        }
        catch (MnistToolsException e)
        {
            ThrowTerminatingError(ErrorRecords.From(e));
        }
        catch (OperationCanceledException)
        {
            throw new PipelineStoppedException();
        }
    }

    protected override void StopProcessing() => _stop.Cancel();

    bool IDownloadHost.ShouldProcess(string target, string action) => ShouldProcess(target, action);

    void IDownloadHost.Verbose(string message) => WriteVerbose(message);

    void IDownloadHost.Progress(string? status, int percent) =>
        // A new record each time: streams that keep records (jobs, runspaces) must not see them rewritten.
        WriteProgress(status is null
            ? new ProgressRecord(1, "Save-MnistSet", "Done") { RecordType = ProgressRecordType.Completed }
            : new ProgressRecord(1, "Save-MnistSet", status) { PercentComplete = percent });

    void IDownloadHost.Failed(MnistToolsException error) => WriteError(ErrorRecords.From(error));

    void IDownloadHost.Saved(string path, string status, string md5, Uri? source)
    {
        var info = PSObject.AsPSObject(new FileInfo(path));
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
                ThrowTerminatingError(ErrorRecords.From(new MnistToolsException(ErrorIds.BadChecksum, FailureKind.InvalidArgument,
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
                ThrowTerminatingError(ErrorRecords.From(new MnistToolsException(ErrorIds.BadBaseUri, FailureKind.InvalidArgument,
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
            ThrowTerminatingError(ErrorRecords.From(new MnistToolsException(ErrorIds.PathNotFound, FailureKind.NotFound, e.Message, Path, e)));
            throw; // not reached
        }
        if (File.Exists(folder))
            ThrowTerminatingError(ErrorRecords.From(new MnistToolsException(ErrorIds.PathIsFile, FailureKind.InvalidArgument,
                $"-Path '{folder}' is a file; Save-MnistSet needs a folder to put the files in.", folder)));
        return folder;
    }
}
