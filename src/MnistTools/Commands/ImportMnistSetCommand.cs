using System.Diagnostics;
using System.Management.Automation;

namespace MnistTools.Commands;

/// <summary>
/// <para type="synopsis">Reads MNIST-style IDX image and label files (raw or gzip) into an MnistDataSet.</para>
/// <para type="description">With -Path/-LiteralPath a folder holding the standard file names (pick the half with
/// -Subset) or an image file (its label file is found by the standard naming). With -ImagePath/-LabelPath two
/// explicit files. Without a path: $env:MNIST_DATA, then ./data/mnist. Gzip is detected by content, not name.</para>
/// </summary>
[Cmdlet(VerbsData.Import, "MnistSet", DefaultParameterSetName = PathSet)]
[OutputType(typeof(MnistDataSet))]
public sealed class ImportMnistSetCommand : PSCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    private const string FilesSet = "Files";

    /// <summary>Error id: a standard file name is not in the folder (also used for an inferred label file).</summary>
    public const string FileNotFoundId = "IdxFileNotFound";
    /// <summary>Error id: no path given and neither $env:MNIST_DATA nor ./data/mnist exists.</summary>
    public const string DefaultFolderNotFoundId = "MnistDataNotFound";
    /// <summary>Error id: -Path names an image file whose label file cannot be derived from the name.</summary>
    public const string LabelPathNotInferredId = "LabelPathNotInferred";

    private const string ImagesPart = "images-idx3";
    private const string LabelsPart = "labels-idx1";

    private readonly CancellationTokenSource _stop = new();

    /// <summary>A folder with the standard file names, or an image file. Wildcards allowed.</summary>
    [Parameter(ParameterSetName = PathSet, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    public string[]? Path { get; set; }

    /// <summary>Like -Path, without wildcard expansion; binds the PSPath of piped files and folders.</summary>
    [Parameter(ParameterSetName = LiteralPathSet, Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[]? LiteralPath { get; set; }

    /// <summary>Which half to read from a folder: Train (60,000) or Test (10,000).</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    public MnistSubset Subset { get; set; } = MnistSubset.Train;

    /// <summary>An IDX image file [count x rows x columns].</summary>
    [Parameter(ParameterSetName = FilesSet, Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string? ImagePath { get; set; }

    /// <summary>The matching IDX label file [count].</summary>
    [Parameter(ParameterSetName = FilesSet, Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string? LabelPath { get; set; }

    /// <summary>Keep at most this many images (after -Skip).</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int First { get; set; }

    /// <summary>Leave out this many images at the start.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int Skip { get; set; }

    /// <summary>Name of the set (default: folder name and subset, e.g. mnist-train).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == FilesSet)
        {
            try
            {
                string images = ResolveFile(ImagePath!);
                string labels = ResolveFile(LabelPath!);
                Read(images, labels, Name ?? DefaultName(images, null));
            }
            catch (MnistToolsException e)
            {
                WriteError(ErrorRecords.From(e));
            }
            return;
        }

        string[] given = ParameterSetName == LiteralPathSet ? LiteralPath! : Path ?? [null!];
        foreach (string? path in given)
        {
            IReadOnlyList<string> resolved;
            try
            {
                resolved = path is null ? [DefaultFolder()] : PathResolver.ResolveExisting(this, path, literal: ParameterSetName == LiteralPathSet);
                if (resolved.Count == 0) // a wildcard that matched nothing
                    throw new MnistToolsException("PathNotFound", FailureKind.NotFound, $"Cannot find any file or folder matching '{path}'.", path);
            }
            catch (MnistToolsException e)
            {
                WriteError(ErrorRecords.From(e));
                continue;
            }
            foreach (string item in resolved)
            {
                try
                {
                    bool folder = Directory.Exists(item);
                    (string images, string labels) = folder ? InFolder(item) : BesideImageFile(item);
                    Read(images, labels, Name ?? DefaultName(images, folder ? item : null));
                }
                catch (MnistToolsException e)
                {
                    WriteError(ErrorRecords.From(e));
                }
            }
        }
    }

    protected override void StopProcessing() => _stop.Cancel();

    private void Read(string images, string labels, string name)
    {
        int? first = MyInvocation.BoundParameters.ContainsKey(nameof(First)) ? First : null;
        WriteVerbose($"Images: {Describe(images)}");
        WriteVerbose($"Labels: {Describe(labels)}");
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        MnistDataSet set;
        try
        {
            set = IdxReader.ReadDataSet(images, labels, name, Skip, first, cancellationToken: _stop.Token);
        }
        catch (MnistToolsException e)
        {
            WriteError(ErrorRecords.From(e));
            return;
        }
        catch (OperationCanceledException)
        {
            throw new PipelineStoppedException();
        }
        clock.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        WriteVerbose($"Read '{name}': {set.Count} images of {set.Rows}x{set.Columns}, {set.ClassCount} classes " +
                     $"(skip {Skip}{(first is int f ? $", first {f}" : "")}) in {clock.Elapsed.TotalMilliseconds:F0} ms; " +
                     $"{set.Pixels.Length + set.Labels.Length:N0} bytes of data, {allocated:N0} bytes allocated.");
        if (set.Count == 0)
            WriteWarning($"'{name}' is empty: -Skip {Skip} and -First {(first?.ToString() ?? "(all)")} leave no image.");
        WriteObject(set);
    }

    private static string Describe(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.Exists ? $"{path} ({info.Length:N0} bytes, {(IdxReader.IsGzipFile(path) ? "gzip" : "raw")})" : path;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return path; // the reader reports why it cannot be read
        }
    }

    /// <summary>The standard pair in a folder, each name tried with .gz and without.</summary>
    private (string Images, string Labels) InFolder(string folder)
    {
        (string images, string labels) = IdxReader.StandardFileNames(Subset == MnistSubset.Train);
        return (FindVariant(System.IO.Path.Combine(folder, images)), FindVariant(System.IO.Path.Combine(folder, labels)));
    }

    /// <summary>An image file's label file: the same name with images-idx3 replaced by labels-idx1, with or without .gz.</summary>
    private static (string Images, string Labels) BesideImageFile(string imageFile)
    {
        string fileName = System.IO.Path.GetFileName(imageFile);
        int at = fileName.IndexOf(ImagesPart, StringComparison.OrdinalIgnoreCase);
        if (at < 0)
            throw new MnistToolsException(LabelPathNotInferredId, FailureKind.InvalidArgument,
                $"Cannot tell the label file of '{imageFile}': its name does not contain '{ImagesPart}'. Use -ImagePath and -LabelPath.", imageFile);
        string labelName = fileName[..at] + LabelsPart + fileName[(at + ImagesPart.Length)..];
        string bare = labelName.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? labelName[..^3] : labelName;
        string folder = System.IO.Path.GetDirectoryName(imageFile) ?? ".";
        string labels = System.IO.Path.Combine(folder, labelName);
        if (!File.Exists(labels)) labels = FindVariant(System.IO.Path.Combine(folder, bare));
        return (imageFile, labels);
    }

    /// <summary><paramref name="bare"/>.gz if it exists, else <paramref name="bare"/> if it exists, else IdxFileNotFound.</summary>
    private static string FindVariant(string bare)
    {
        string gz = bare + ".gz";
        if (File.Exists(gz)) return gz;
        if (File.Exists(bare) || Directory.Exists(bare)) return bare; // a folder of that name fails in the reader
        throw new MnistToolsException(FileNotFoundId, FailureKind.NotFound,
            $"Cannot find '{System.IO.Path.GetFileName(gz)}' or '{System.IO.Path.GetFileName(bare)}' in '{System.IO.Path.GetDirectoryName(bare)}'.", gz);
    }

    /// <summary>A provider path for a file that may not exist (the reader reports a missing one with its own id).</summary>
    private string ResolveFile(string path)
    {
        try
        {
            return PathResolver.ResolveForWrite(this, path);
        }
        catch (Exception e) when (e is SessionStateException or ProviderInvocationException or NotSupportedException)
        {
            throw new MnistToolsException("PathNotFound", FailureKind.NotFound, e.Message, path, e);
        }
    }

    private string DefaultFolder()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("MNIST_DATA");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            WriteVerbose($"No -Path: using $env:MNIST_DATA = {fromEnvironment}");
            return PathResolver.ResolveExisting(this, fromEnvironment, literal: true)[0];
        }
        string local = PathResolver.ResolveForWrite(this, System.IO.Path.Combine(".", "data", "mnist"));
        if (!Directory.Exists(local))
            throw new MnistToolsException(DefaultFolderNotFoundId, FailureKind.NotFound,
                $"No -Path given, $env:MNIST_DATA is not set and '{local}' does not exist. Run Save-MnistSet -Name Mnist or pass -Path.", local);
        WriteVerbose($"No -Path and no $env:MNIST_DATA: using {local}");
        return local;
    }

    /// <summary>e.g. "mnist-train" for a folder, "mnist-test" for t10k files, else the image file name.</summary>
    private string DefaultName(string imageFile, string? folder)
    {
        string leaf = System.IO.Path.GetFileName((folder ?? System.IO.Path.GetDirectoryName(imageFile) ?? "").TrimEnd('/', '\\'));
        string file = System.IO.Path.GetFileName(imageFile);
        string? subset = folder is not null ? (Subset == MnistSubset.Train ? "train" : "test")
            : file.StartsWith("train-", StringComparison.OrdinalIgnoreCase) ? "train"
            : file.StartsWith("t10k-", StringComparison.OrdinalIgnoreCase) ? "test" : null;
        if (subset is null || string.IsNullOrEmpty(leaf))
            return file.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? file[..^3] : file;
        return $"{leaf}-{subset}";
    }
}
