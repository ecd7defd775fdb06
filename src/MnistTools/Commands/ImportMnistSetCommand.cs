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

    private const string ImagesPart = "images-idx3";
    private const string LabelsPart = "labels-idx1";
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
        MnistSetFormat format = Format ?? (folder ? (HasIdxFiles(item) || !HasSubfoldersOrPictures(item) ? MnistSetFormat.Idx : MnistSetFormat.ImageFolder)
            : IsCsvName(item) ? MnistSetFormat.Csv : MnistSetFormat.Idx);
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
                (string images, string? labels) = folder ? InFolder(item) : BesideImageFile(item);
                ReadIdx(images, labels, Name ?? DefaultName(images, folder ? item : null));
                break;
        }
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
        string activity = $"Reading pictures from '{folder}'";
        MnistDataSet? set = Measure(name, () => ImageFolderReader.Read(folder, name, options,
            e => { bad++; WriteError(ErrorRecords.From(e)); },
            (done, total) =>
            {
                if (sinceProgress.Elapsed < ProgressInterval) return; // throttled; small folders never show a bar
                sinceProgress.Restart();
                shown = true;
                WriteProgress(new ProgressRecord(4, activity, $"{done:N0} of {total:N0} pictures") { PercentComplete = (int)(100L * done / Math.Max(1, total)) });
            }, _stop.Token), emit: false);
        if (shown) WriteProgress(new ProgressRecord(4, activity, "Done") { RecordType = ProgressRecordType.Completed });
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
            return info.Exists ? $"{path} ({info.Length:N0} bytes{(IsCsvName(path) ? "" : IdxReader.IsGzipFile(path) ? ", gzip" : ", raw")})" : path;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return path; // the reader reports why it cannot be read
        }
    }

    private static bool IsCsvName(string path) =>
        System.IO.Path.GetExtension(path).ToLowerInvariant() is ".csv" or ".tsv" or ".txt";

    /// <summary>A folder with IDX files in it (any name containing "-idx").</summary>
    private static bool HasIdxFiles(string folder) =>
        Directory.EnumerateFiles(folder, "*-idx*").Any();

    private static bool HasSubfoldersOrPictures(string folder) =>
        Directory.EnumerateDirectories(folder).Any(d => !System.IO.Path.GetFileName(d).StartsWith('.'))
        || Directory.EnumerateFiles(folder).Any(f => PictureExtensions.Contains(System.IO.Path.GetExtension(f), StringComparer.OrdinalIgnoreCase));

    /// <summary>ImageFolderReader.PictureExtensions, repeated so that telling the format never loads the picture assembly.</summary>
    private static readonly string[] PictureExtensions = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"];

    /// <summary>
    /// The subset's image file in a folder: the standard name (with or without .gz), else the one file named
    /// "*train-images-idx3-ubyte" (Test: "*t10k-" or "*test-images-idx3-ubyte"), as QMNIST and EMNIST name theirs.
    /// </summary>
    private (string Images, string? Labels) InFolder(string folder)
    {
        (string standard, _) = IdxReader.StandardFileNames(Subset == MnistSubset.Train);
        string images;
        string bare = System.IO.Path.Combine(folder, standard);
        if (File.Exists(bare + ".gz") || File.Exists(bare) || Directory.Exists(bare)) images = FindVariant(bare);
        else
        {
            string[] endings = Subset == MnistSubset.Train ? ["train-images-idx3-ubyte"] : ["t10k-images-idx3-ubyte", "test-images-idx3-ubyte"];
            string[] candidates = Directory.EnumerateFiles(folder)
                .Where(f => endings.Any(e => StripGz(System.IO.Path.GetFileName(f)).EndsWith(e, StringComparison.OrdinalIgnoreCase)))
                .Select(f => StripGz(f)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            if (candidates.Length > 1)
                throw new MnistToolsException(ErrorIds.IdxFileAmbiguous, FailureKind.InvalidArgument,
                    $"'{folder}' holds the {Subset.ToString().ToLowerInvariant()} images of several sets ({string.Join(", ", candidates.Select(System.IO.Path.GetFileName))}); pass the image file as -Path.", folder);
            images = FindVariant(candidates.Length == 1 ? candidates[0] : bare);
        }
        return BesideImageFile(images);
    }

    private static string StripGz(string name) => name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? name[..^3] : name;

    /// <summary>An image file's label file: the same name with images-idx3 replaced by labels-idx1 (or QMNIST's labels-idx2-int), with or without .gz.</summary>
    private static (string Images, string? Labels) BesideImageFile(string imageFile)
    {
        string fileName = System.IO.Path.GetFileName(imageFile);
        int at = fileName.IndexOf(ImagesPart, StringComparison.OrdinalIgnoreCase);
        if (at < 0)
            throw new MnistToolsException(ErrorIds.LabelPathNotInferred, FailureKind.InvalidArgument,
                $"Cannot tell the label file of '{imageFile}': its name does not contain '{ImagesPart}'. Use -ImagePath and -LabelPath (or -ImagePath alone for images without labels).", imageFile);
        string labelName = fileName[..at] + LabelsPart + fileName[(at + ImagesPart.Length)..];
        string folder = System.IO.Path.GetDirectoryName(imageFile) ?? ".";
        string labels = System.IO.Path.Combine(folder, labelName);
        if (File.Exists(labels)) return (imageFile, labels);
        string bare = System.IO.Path.Combine(folder, StripGz(labelName));
        string wide = System.IO.Path.Combine(folder, StripGz(fileName[..at] + "labels-idx2-int" + fileName[(at + "images-idx3-ubyte".Length)..]));
        if (!File.Exists(bare) && !File.Exists(bare + ".gz") && (File.Exists(wide) || File.Exists(wide + ".gz"))) return (imageFile, FindVariant(wide));
        return (imageFile, FindVariant(bare));
    }

    /// <summary><paramref name="bare"/>.gz if it exists, else <paramref name="bare"/> if it exists, else IdxFileNotFound.</summary>
    private static string FindVariant(string bare)
    {
        string gz = bare + ".gz";
        if (File.Exists(gz)) return gz;
        if (File.Exists(bare) || Directory.Exists(bare)) return bare; // a folder of that name fails in the reader
        throw new MnistToolsException(ErrorIds.IdxFileNotFound, FailureKind.NotFound,
            $"Cannot find '{System.IO.Path.GetFileName(gz)}' or '{System.IO.Path.GetFileName(bare)}' in '{System.IO.Path.GetDirectoryName(bare)}'. " +
            "(A CSV file or a folder of pictures is read with -Format Csv or -Format ImageFolder.)", gz);
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
        if (subset is null || string.IsNullOrEmpty(leaf)) return StripGz(file);
        return $"{leaf}-{subset}";
    }
}
