using System.Diagnostics;
using System.Management.Automation;
using MnistTools.Csv;
using MnistTools.Data;
using MnistTools.Errors;
using MnistTools.Imaging;
using MnistTools.Infrastructure;

namespace MnistTools.Commands;

/// <summary>
/// <para type="synopsis">Reads a data set into an MnistDataSet: IDX files (raw or gzip), a CSV file, or a folder of pictures.</para>
/// <para type="description">With -Path/-LiteralPath: a folder holding IDX files (pick the half with -Subset), an IDX image
/// file (its label file is found by the standard naming), a CSV file (one image per row; label column first or named
/// "label", header detected; no label column gives an unlabelled set), or a folder with one sub-folder of pictures per
/// class. The format is told from the path; -Format forces it. With -ImagePath (and -LabelPath) explicit IDX files.
/// Without a path: $env:MNIST_DATA, then ./data/mnist. Known sets (Fashion-MNIST, KMNIST, QMNIST, EMNIST) are
/// recognised by their file or folder names and get their class names; EMNIST images are turned upright.</para>
/// </summary>
[Cmdlet(VerbsData.Import, "MnistSet", DefaultParameterSetName = PathSet)]
[OutputType(typeof(MnistDataSet))]
public sealed class ImportMnistSetCommand : PSCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    private const string FilesSet = "Files";

    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);

    private readonly CancellationTokenSource _stop = new();

    /// <summary>A folder (IDX files or class sub-folders of pictures), an IDX image file or a CSV file. Wildcards allowed.</summary>
    [Parameter(ParameterSetName = PathSet, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    public string[]? Path { get; set; }

    /// <summary>Like -Path, without wildcard expansion; binds the PSPath of piped files and folders.</summary>
    [Parameter(ParameterSetName = LiteralPathSet, Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[]? LiteralPath { get; set; }

    /// <summary>Which half to read from a folder of IDX files: Train (60,000) or Test (10,000).</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    public MnistSubset Subset { get; set; } = MnistSubset.Train;

    /// <summary>The format to read, instead of telling it from the path (.csv file: Csv; folder of IDX files or other file: Idx; other folder: ImageFolder).</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    public MnistSetFormat? Format { get; set; }

    /// <summary>An IDX image file [count x rows x columns].</summary>
    [Parameter(ParameterSetName = FilesSet, Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string? ImagePath { get; set; }

    /// <summary>The matching IDX label file [count] (idx1-ubyte, or QMNIST's idx2-int); without it the set is unlabelled.</summary>
    [Parameter(ParameterSetName = FilesSet)]
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

    /// <summary>Name of the set (default: folder name and subset, e.g. mnist-train; a CSV file's or picture folder's name).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    /// <summary>The class names, in label order; their number is the class count. Default: the known set's, the picture folder's sub-folders, else "0", "1", ...</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ValidateCount(1, MnistDataSet.MaxClassCount)]
    public string[]? ClassNames { get; set; }

    /// <summary>CSV only: the header name of the label column (default: a column named "label", else the first column when the rest is a square image).</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    [ValidateNotNullOrEmpty]
    public string? LabelColumn { get; set; }

    /// <summary>Picture folders only: the image side. Pictures of Size x Size are kept, others resized whole. Default: 28x28 kept, others preprocessed as MNIST was made.</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    [ValidateRange(1, 4096)]
    public int Size { get; set; }

    private int? FirstOrNull => MyInvocation.BoundParameters.ContainsKey(nameof(First)) ? First : null;

    protected override void ProcessRecord()
    {
        if (ParameterSetName == FilesSet)
        {
            try
            {
                string images = ResolveFile(ImagePath!);
                string? labels = LabelPath is null ? null : ResolveFile(LabelPath);
                ReadIdx(images, labels, Name ?? DefaultName(images, null));
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
                    throw new MnistToolsException(ErrorIds.PathNotFound, FailureKind.NotFound, $"Cannot find any file or folder matching '{path}'.", path);
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
                    Read(item);
                }
                catch (MnistToolsException e)
                {
                    WriteError(ErrorRecords.From(e));
                }
            }
        }
    }

    protected override void StopProcessing() => _stop.Cancel();

    /// <summary>One resolved path, in the format forced or told from it.</summary>
    private void Read(string item)
    {
        bool folder = Directory.Exists(item);
        if (folder && (Format is null or MnistSetFormat.Idx) && !IdxFileNames.HasIdxFiles(item)) CheckIdxFolder(item);
        MnistSetFormat format = Format ?? IdxFileNames.FormatOf(item);
        CheckApplicable(format, item);
        WriteVerbose($"'{item}': read as {format}{(Format is null ? " (told from the path; -Format forces another)" : "")}.");
        switch (format)
        {
            case MnistSetFormat.Csv:
                ReadCsv(item);
                break;
            case MnistSetFormat.ImageFolder:
                ReadImageFolder(item);
                break;
            default:
                (string images, string? labels) = folder ? IdxFileNames.InFolder(item, Subset) : IdxFileNames.BesideImageFile(item);
                ReadIdx(images, labels, Name ?? DefaultName(images, folder ? item : null));
                break;
        }
    }

    /// <summary>
    /// A folder without IDX files of its own that was meant as one (its sub-folders hold IDX files, or -Subset was
    /// given): one error that names the folder to pass, instead of reading it as pictures.
    /// </summary>
    private void CheckIdxFolder(string folder)
    {
        IReadOnlyList<string> below = IdxFileNames.FoldersBelowWithIdxFiles(folder, cancellationToken: _stop.Token);
        if (below.Count > 0)
            throw new MnistToolsException(ErrorIds.IdxFilesInSubfolder, FailureKind.InvalidArgument,
                $"'{folder}' holds no IDX files itself; {(below.Count == 1 ? "the folder" : "the folders")} '{string.Join("', '", below)}' {(below.Count == 1 ? "holds" : "hold")} some. " +
                $"Pass {(below.Count == 1 ? "it" : "one of them")} as -Path (e.g. Import-MnistSet -Path '{below[0]}'{(MyInvocation.BoundParameters.ContainsKey(nameof(Subset)) ? $" -Subset {Subset}" : "")}).", below[0]);
        if (MyInvocation.BoundParameters.ContainsKey(nameof(Subset)) && Format is null && IdxFileNames.FormatOf(folder) != MnistSetFormat.Idx)
            throw new MnistToolsException(ErrorIds.ParameterNotApplicable, FailureKind.InvalidArgument,
                $"-Subset picks the half of a folder of IDX files, but '{folder}' holds no IDX files (at any depth); it would be read as a folder of pictures, to which -Subset does not apply.", folder);
    }

    private void CheckApplicable(MnistSetFormat format, string item)
    {
        string? wrong = format != MnistSetFormat.Csv && LabelColumn is not null ? "-LabelColumn (CSV files only)"
            : format != MnistSetFormat.ImageFolder && MyInvocation.BoundParameters.ContainsKey(nameof(Size)) ? "-Size (picture folders only)"
            : null;
        if (wrong is not null)
            throw new MnistToolsException(ErrorIds.ParameterNotApplicable, FailureKind.InvalidArgument,
                $"'{item}' is read as {format}, to which {wrong} does not apply.", item);
    }

    private void ReadIdx(string images, string? labels, string name)
    {
        WriteVerbose($"Images: {Describe(images)}");
        WriteVerbose(labels is null ? "Labels: none (an unlabelled set)" : $"Labels: {Describe(labels)}");
        MnistSetInfo? known = MnistSetCatalog.Recognise(images);
        if (known is not null) WriteVerbose($"Recognised as {known.Name} by the name of '{images}': {known.ClassNames.Count} classes{(known.Transposed ? ", images stored transposed (turned upright)" : "")}.");
        var options = new IdxReadOptions
        {
            Skip = Skip,
            First = FirstOrNull,
            ClassCount = ClassNames?.Length ?? known?.ClassNames.Count ?? 10,
            ClassNames = ClassNames ?? known?.ClassNames,
            Transposed = known?.Transposed ?? false,
            FirstLabel = known?.FirstLabel ?? 0,
        };
        Measure(name, () => IdxReader.ReadDataSet(images, labels, name, options, _stop.Token));
    }

    private void ReadCsv(string file)
    {
        string name = Name ?? System.IO.Path.GetFileNameWithoutExtension(file);
        WriteVerbose($"CSV: {Describe(file)}");
        var options = new CsvReadOptions { Skip = Skip, First = FirstOrNull, LabelColumn = LabelColumn, ClassNames = ClassNames };
        Measure(name, () => CsvSetReader.Read(file, name, options, _stop.Token));
    }

    private void ReadImageFolder(string folder)
    {
        try { GraphicsGuard.EnsureAvailable(); }
        catch (MnistToolsException e) { ThrowTerminatingError(ErrorRecords.From(e)); }
        string name = Name ?? System.IO.Path.GetFileName(folder.TrimEnd('/', '\\'));
        var options = new ImageFolderOptions { Size = MyInvocation.BoundParameters.ContainsKey(nameof(Size)) ? Size : null, Skip = Skip, First = FirstOrNull };
        var sinceProgress = Stopwatch.StartNew();
        bool shown = false;
        int bad = 0;
        var skipped = new List<MnistToolsException>(); // stray files and links: one summary warning, each in -Verbose
        string activity = $"Reading pictures from '{folder}'";
        MnistDataSet? set = Measure(name, () => ImageFolderReader.Read(folder, name, options,
            e =>
            {
                if (e.ErrorId is ErrorIds.ImageNotAPicture or ErrorIds.ImageFolderLinkSkipped)
                {
                    skipped.Add(e);
                    WriteVerbose(e.Message);
                    return;
                }
                bad++;
                WriteError(ErrorRecords.From(e));
            },
            (done, total) =>
            {
                if (sinceProgress.Elapsed < ProgressInterval) return; // throttled; small folders never show a bar
                sinceProgress.Restart();
                shown = true;
                WriteProgress(new ProgressRecord(4, activity, $"{done:N0} of {total:N0} pictures") { PercentComplete = (int)(100L * done / Math.Max(1, total)) });
            }, _stop.Token), emit: false);
        if (shown) WriteProgress(new ProgressRecord(4, activity, "Done") { RecordType = ProgressRecordType.Completed });
        WarnSkipped(folder, skipped);
        if (set is null) return;
        if (ClassNames is not null)
        {
            if (ClassNames.Length != set.ClassCount)
                throw new MnistToolsException(ErrorIds.ClassNamesCount, FailureKind.InvalidArgument,
                    $"{ClassNames.Length} class names were given, but '{folder}' has {set.ClassCount} classes ({string.Join(", ", set.ClassNames)}).", nameof(ClassNames));
            set = new MnistDataSet(set.Name, set.Source, set.Rows, set.Columns, set.Pixels.ToArray(), set.IsLabelled ? set.Labels.ToArray() : null, set.ClassCount, ClassNames);
        }
        if (bad > 0) WriteWarning($"'{name}': {bad} file(s) or class(es) left out (see the errors); {set.Count:N0} images loaded.");
        Emit(set);
    }

    /// <summary>One warning for the files that are not pictures and the links left out of a picture folder (-Verbose names each).</summary>
    private void WarnSkipped(string folder, List<MnistToolsException> skipped)
    {
        int files = skipped.Count(e => e.ErrorId == ErrorIds.ImageNotAPicture), links = skipped.Count - files;
        if (skipped.Count == 0) return;
        string examples = string.Join(", ", skipped.Take(3).Select(e => $"'{System.IO.Path.GetRelativePath(folder, e.Target?.ToString() ?? "")}'"));
        WriteWarning($"'{folder}': left out {(files > 0 ? $"{files:N0} file(s) that are not pictures" : "")}{(files > 0 && links > 0 ? " and " : "")}" +
                     $"{(links > 0 ? $"{links:N0} link(s) that lead back into the folder or to something already read" : "")} " +
                     $"(e.g. {examples}{(skipped.Count > 3 ? ", ..." : "")}; -Verbose lists them).");
    }

    /// <summary>Runs a reader, reports time and memory with -Verbose, and emits the set (unless <paramref name="emit"/> is false).</summary>
    private MnistDataSet? Measure(string name, Func<MnistDataSet> read, bool emit = true)
    {
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        MnistDataSet set;
        try
        {
            set = read();
        }
        catch (MnistToolsException e)
        {
            WriteError(ErrorRecords.From(e));
            return null;
        }
        catch (OperationCanceledException)
        {
            throw new PipelineStoppedException();
        }
        clock.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        WriteVerbose($"Read '{name}': {set.Count} images of {set.Rows}x{set.Columns}, {set.ClassCount} classes{(set.IsLabelled ? "" : ", no labels")} " +
                     $"(skip {Skip}{(FirstOrNull is int f ? $", first {f}" : "")}) in {clock.Elapsed.TotalMilliseconds:F0} ms; " +
                     $"{set.Pixels.Length + set.Labels.Length:N0} bytes of data, {allocated:N0} bytes allocated.");
        if (emit) Emit(set);
        return set;
    }

    private void Emit(MnistDataSet set)
    {
        if (set.Count == 0)
            WriteWarning($"'{set.Name}' is empty: -Skip {Skip} and -First {(FirstOrNull?.ToString() ?? "(all)")} leave no image.");
        WriteObject(set);
    }

    private static string Describe(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.Exists ? $"{path} ({info.Length:N0} bytes{(IdxFileNames.IsCsvName(path) ? "" : IdxReader.IsGzipFile(path) ? ", gzip" : ", raw")})" : path;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or MnistToolsException)
        {
            return path; // the reader reports why it cannot be read
        }
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
            throw new MnistToolsException(ErrorIds.PathNotFound, FailureKind.NotFound, e.Message, path, e);
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
            throw new MnistToolsException(ErrorIds.MnistDataNotFound, FailureKind.NotFound,
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
            : file.Contains("train-images", StringComparison.OrdinalIgnoreCase) ? "train"
            : file.Contains("t10k-images", StringComparison.OrdinalIgnoreCase) || file.Contains("test-images", StringComparison.OrdinalIgnoreCase) ? "test" : null;
        if (subset is null || string.IsNullOrEmpty(leaf)) return IdxFileNames.StripGz(file);
        return $"{leaf}-{subset}";
    }
}
