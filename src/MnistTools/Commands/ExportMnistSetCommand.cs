using System.Management.Automation;
using MnistTools.Csv;
using MnistTools.Data;
using MnistTools.Errors;
using MnistTools.Infrastructure;

namespace MnistTools.Commands;

/// <summary>
/// <para type="synopsis">Writes a data set, or images piped in, as IDX files (raw or gzip) or as a CSV file.</para>
/// <para type="description">Takes MnistDataSet and MnistImage objects from the pipeline (Get-MnistImage output, for a
/// subset) and writes them all, in order, as one set. IDX: -Path is the image file (gzip when it ends in .gz), the label
/// file goes beside it with images-idx3 replaced by labels-idx1 (or to -LabelPath); an unlabelled set writes images only.
/// A folder as -Path (existing, or ending in a separator) gets the standard pair train-images-idx3-ubyte.gz and
/// train-labels-idx1-ubyte.gz (t10k-… with -Subset Test), which Import-MnistSet -Path &lt;folder&gt; reads back.
/// Both files are checked before either is written, and written as one: the label file failing leaves the old image file.
/// CSV (a path ending in .csv, or -Format Csv): Kaggle's layout, a header label,pixel0,...,pixelN then one row per image.
/// Import-MnistSet reads either back exactly. Each file is written atomically; an existing file needs -Force.</para>
/// </summary>
[Cmdlet(VerbsData.Export, "MnistSet", DefaultParameterSetName = PathSet, SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportMnistSetCommand : OutputFileCommand
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<MnistDataSet> _sets = new();
    private readonly List<MnistImage> _images = new();
    private string? _createFolder;

    /// <summary>An MnistDataSet or MnistImage; everything piped is written as one set.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public PSObject? InputObject { get; set; }

    /// <summary>Idx or Csv; default from the path (.csv, .tsv, .txt: Csv; anything else: Idx).</summary>
    [Parameter]
    public MnistSetFormat? Format { get; set; }

    /// <summary>IDX only: the label file (default: beside the image file, images-idx3 replaced by labels-idx1).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? LabelPath { get; set; }

    /// <summary>With a folder as -Path: which standard pair to write, train-… (Train) or t10k-… (Test). Default: Test when the set's name contains "test" or "t10k", else Train.</summary>
    [Parameter]
    public MnistSubset Subset { get; set; }

    /// <summary>Name of the set written (for -Verbose; IDX and CSV files hold no name; with a folder as -Path it tells the subset when -Subset is not given).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    protected override void ProcessRecord()
    {
        switch (InputObject!.BaseObject)
        {
            case MnistDataSet set:
                try { Flush(); }
                catch (MnistToolsException e) { ThrowTerminatingError(ErrorRecords.From(e)); }
                _sets.Add(set);
                break;
            case MnistImage image:
                _images.Add(image);
                break;
            default:
                WriteError(ErrorRecords.From(new MnistToolsException(ErrorIds.ExportInputUnsupported, FailureKind.InvalidArgument,
                    $"Export-MnistSet writes MnistDataSet and MnistImage objects; got {InputObject.BaseObject.GetType().Name}.", InputObject.BaseObject)));
                break;
        }
    }

    protected override void StopProcessing() => _stop.Cancel();

    protected override void EndProcessing()
    {
        try
        {
            Flush();
            MnistDataSet set = Combine();
            (string target, string? labels, MnistSetFormat format) = Targets(set);
            foreach (string file in labels is null ? [target] : new[] { target, labels })
            {
                if (RefuseExisting(file) is { } exists) throw exists;
            }
            string what = $"Write {set.Count:N0} images of {set.Rows}x{set.Columns}{(set.IsLabelled ? " with labels" : "")} as {format}";
            if (!ShouldProcess(labels is null ? target : $"{target}, {labels}", what)) return;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            if (_createFolder is not null) CreateFolder(_createFolder);
            if (format == MnistSetFormat.Csv) CsvSetWriter.Write(set, target, Force, _stop.Token);
            else IdxWriter.WriteSet(set, target, labels, Force, _stop.Token);
            WriteVerbose($"Wrote '{Name ?? set.Name}' ({set.Count:N0} images) as {format} to '{target}'{(labels is null ? "" : $" and '{labels}'")} in {clock.Elapsed.TotalMilliseconds:F0} ms.");
            WritePassThru(target);
            if (labels is not null) WritePassThru(labels);
        }
        catch (MnistToolsException e)
        {
            ThrowTerminatingError(ErrorRecords.From(e));
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: earlier files are intact and no temporary file is left.
        }
    }

    /// <summary>Images piped one by one become a set of their own, in pipeline order among the piped sets.</summary>
    private void Flush()
    {
        if (_images.Count == 0) return;
        MnistImage first = _images[0];
        bool labelled = first.Label is not null;
        int size = first.Rows * first.Columns;
        var pixels = new byte[(long)_images.Count * size];
        var labels = labelled ? new byte[_images.Count] : null;
        int classCount = first.GetClassNames()?.Count ?? 10;
        for (int i = 0; i < _images.Count; i++)
        {
            MnistImage image = _images[i];
            if (image.Rows != first.Rows || image.Columns != first.Columns)
                throw Mixed($"image #{image.Index} is {image.Rows}x{image.Columns} but the first image is {first.Rows}x{first.Columns}.", image);
            if ((image.Label is not null) != labelled)
                throw Mixed($"image #{image.Index} {(labelled ? "has no label" : "has a label")} but the first image {(labelled ? "has one" : "has none")}.", image);
            image.Pixels.CopyTo(pixels, (long)i * size);
            if (labels is not null)
            {
                labels[i] = (byte)image.Label!.Value;
                classCount = Math.Max(classCount, image.Label.Value + 1);
            }
        }
        IReadOnlyList<string>? names = first.GetClassNames()?.Count == classCount ? first.GetClassNames() : null;
        _sets.Add(new MnistDataSet(first.DataSet ?? "images", null, first.Rows, first.Columns, pixels, labels, classCount, names));
        _images.Clear();
    }

    /// <summary>All piped sets as one, in order.</summary>
    private MnistDataSet Combine()
    {
        if (_sets.Count == 0)
            throw new MnistToolsException(ErrorIds.NoImages, FailureKind.InvalidArgument, "There are no images to write.", nameof(InputObject));
        if (_sets.Count == 1) return _sets[0];
        MnistDataSet first = _sets[0];
        long total = 0;
        foreach (MnistDataSet set in _sets)
        {
            if (set.Rows != first.Rows || set.Columns != first.Columns)
                throw Mixed($"'{set.Name}' holds {set.Rows}x{set.Columns} images but '{first.Name}' holds {first.Rows}x{first.Columns}.", set);
            if (set.IsLabelled != first.IsLabelled)
                throw Mixed($"'{set.Name}' is {(set.IsLabelled ? "" : "un")}labelled but '{first.Name}' is {(first.IsLabelled ? "" : "un")}labelled.", set);
            total += set.Count;
        }
        var pixels = new byte[total * first.ImageSize];
        var labels = first.IsLabelled ? new byte[total] : null;
        long offset = 0;
        int classCount = _sets.Max(s => s.ClassCount);
        foreach (MnistDataSet set in _sets)
        {
            set.Pixels.CopyTo(pixels.AsSpan((int)(offset * first.ImageSize)));
            if (labels is not null) set.Labels.CopyTo(labels.AsSpan((int)offset));
            offset += set.Count;
        }
        IReadOnlyList<string>? names = _sets.FirstOrDefault(s => s.ClassCount == classCount)?.ClassNames;
        return new MnistDataSet(first.Name, null, first.Rows, first.Columns, pixels, labels, classCount, names);
    }

    /// <summary>
    /// The files to write and their format. A folder (an existing one, or a path ending in a separator, created when
    /// missing) gets the standard IDX pair of the subset (-Subset, else told from the set's name), as
    /// Import-MnistSet -Path &lt;folder&gt; -Subset reads it; a file path is the image or CSV file.
    /// </summary>
    private (string Images, string? Labels, MnistSetFormat Format) Targets(MnistDataSet set)
    {
        string target = ResolveTarget();
        bool folder = Directory.Exists(target) || System.IO.Path.EndsInDirectorySeparator(ParameterSetName == LiteralPathSet ? LiteralPath! : Path!);
        if (folder)
        {
            if (Format is MnistSetFormat.Csv or MnistSetFormat.ImageFolder || LabelPath is not null)
                throw new MnistToolsException(ErrorIds.ParameterNotApplicable, FailureKind.InvalidArgument,
                    $"'{target}' is a folder, into which Export-MnistSet writes the standard IDX pair; {(LabelPath is not null ? "-LabelPath" : $"-Format {Format}")} does not apply. Give a file path instead.", target);
            MnistSubset subset = MyInvocation.BoundParameters.ContainsKey(nameof(Subset)) ? Subset : IdxFileNames.SubsetOf(Name ?? set.Name);
            (string images, string labels) = IdxFileNames.PairIn(target, subset);
            if (!Directory.Exists(target)) _createFolder = target;
            return (images, set.IsLabelled ? labels : null, MnistSetFormat.Idx);
        }
        if (MyInvocation.BoundParameters.ContainsKey(nameof(Subset)))
            throw new MnistToolsException(ErrorIds.ParameterNotApplicable, FailureKind.InvalidArgument,
                $"-Subset names the files written into a folder; '{target}' is a file path.", nameof(Subset));
        MnistSetFormat format = Format ?? (IdxFileNames.IsCsvName(target) ? MnistSetFormat.Csv : MnistSetFormat.Idx);
        if (format == MnistSetFormat.ImageFolder)
            throw new MnistToolsException(ErrorIds.ExportFormatNotWritable, FailureKind.InvalidArgument,
                "Export-MnistSet writes Idx or Csv; to draw images as pictures use Export-MnistImage.", nameof(Format));
        return (target, format == MnistSetFormat.Idx && set.IsLabelled ? LabelFile(target) : null, format);
    }

    private string LabelFile(string imageFile)
    {
        if (LabelPath is not null) return PathResolver.ResolveForWrite(this, LabelPath);
        return IdxFileNames.LabelFileFor(imageFile)
            ?? throw new MnistToolsException(ErrorIds.ExportLabelPathNeeded, FailureKind.InvalidArgument,
                $"Cannot name the label file for '{imageFile}': its name does not contain '{IdxFileNames.ImagesPart}' (as in train-images-idx3-ubyte.gz). " +
                "Use such a name, which Import-MnistSet also follows, or give -LabelPath.", imageFile);
    }

    private static void CreateFolder(string folder)
    {
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MnistToolsException(ErrorIds.CannotCreateFolder, FailureKind.Write, $"Cannot create '{folder}': {e.Message}", folder, e);
        }
    }

    private static MnistToolsException Mixed(string detail, object target) =>
        new(ErrorIds.ExportImagesMixed, FailureKind.InvalidArgument, $"The images cannot be written as one set: {detail}", target);
}
