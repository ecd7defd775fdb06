using System.Diagnostics;
using System.Management.Automation;
using MnistTools.Errors;
using MnistTools.Imaging;
using MnistTools.Infrastructure;
using MnistTools.Training;

namespace MnistTools.Commands;

/// <summary>
/// <para type="synopsis">Classifies images with a network: one Classification per image.</para>
/// <para type="description">-InputObject takes MnistImage, MnistDataSet (every image) or a raw pixel array of the network's
/// input size: bytes or integers are grey levels 0..255; floats or doubles are already-scaled inputs in [0, 1]
/// (grey / 255). To pass one raw array through the pipeline, wrap it: ,$pixels | Get-Classification -Network $net.
/// -Path / -LiteralPath (or piped files) classify pictures of handwritten digits (PNG, JPEG, any size, dark on light or
/// light on dark), preprocessed as MNIST was made; ConvertTo-MnistImage shows what the network sees.
/// Several networks (-Network $a, $b, $c) vote as an ensemble: their class scores are averaged, and each
/// Classification's NetworkCount says how many voted.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "Classification", DefaultParameterSetName = InputObjectSet)]
[OutputType(typeof(Classification))]
public sealed class GetClassificationCommand : PSCmdlet
{
    private const string InputObjectSet = "InputObject";
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    /// <summary>Images per prediction call on a set: progress and Ctrl+C are checked between calls (a few milliseconds apart).</summary>
    private const int Chunk = 2048;
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);
    private int _rawIndex;
    private float[] _outputs = Array.Empty<float>();
    private IReadOnlyList<string>? _classNames;
    /// <summary>One network's <see cref="Predictor"/>, or an <see cref="Ensemble"/> when -Network names more than one (each
    /// network with its own predictor): two cores and buffers kept from BeginProcessing on, so a pipeline of single images
    /// allocates no buffers per image.</summary>
    private IScorer _scorer = null!;

    /// <summary>The network that classifies, or several that vote as an ensemble (same input size and class count).</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public Network[] Network { get; set; } = null!;

    /// <summary>The first (or only) network: every network of an ensemble has its input size and class count.</summary>
    private Network First => Network[0];

    private string Description => Network.Length == 1 ? First.Description : $"an ensemble of {Network.Length} networks";

    private void PredictPixels(ReadOnlySpan<byte> pixels, int count) => _scorer.PredictPixels(pixels, count, _outputs, Threads);

    private void Predict(ReadOnlySpan<float> inputs, int count) => _scorer.Predict(inputs, count, _outputs, Threads);

    /// <summary>An MnistImage, an MnistDataSet, or a pixel array.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, Position = 0, ParameterSetName = InputObjectSet)]
    [ValidateNotNull]
    public object InputObject { get; set; } = null!;

    /// <summary>Pictures of handwritten digits (PNG, JPEG); wildcards allowed.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string[]? Path { get; set; }

    /// <summary>Like -Path, without wildcard expansion; binds the PSPath of piped files.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[]? LiteralPath { get; set; }

    /// <summary>Threads the prediction runs on (1 or 2); unbound, the module decides by problem size. The same bits for any count.</summary>
    [Parameter]
    [ValidateRange(1, Numerics.ComputeSettings.MaxThreads)]
    public int ThreadCount { get; set; }

    private int? Threads => MyInvocation.BoundParameters.ContainsKey(nameof(ThreadCount)) ? ThreadCount : null;

    protected override void BeginProcessing()
    {
        try
        {
            _scorer = Network.Length > 1 ? new Ensemble(Network) : new Predictor(First);
        }
        catch (MnistToolsException e) { ThrowTerminatingError(ErrorRecords.From(e)); }
        _outputs = new float[Chunk * First.OutputSize];
        if (ParameterSetName != InputObjectSet) EnsureGraphics();
    }

    protected override void ProcessRecord()
    {
        if (ParameterSetName != InputObjectSet)
        {
            bool literal = ParameterSetName == LiteralPathSet;
            foreach (string file in PathResolver.ResolveEach(this, (literal ? LiteralPath : Path)!, literal)) ClassifyPicture(file);
            return;
        }
        if ((InputObject is PSObject { BaseObject: FileSystemInfo item } ? item : InputObject as FileSystemInfo) is FileSystemInfo piped)
        {
            EnsureGraphics();
            ClassifyPicture(piped.FullName);
            return;
        }
        object input = InputObject is PSObject wrapped ? wrapped.BaseObject : InputObject;
        try
        {
            switch (input)
            {
                case MnistDataSet set: ClassifySet(set); break;
                case MnistImage image: ClassifyImage(image); break;
                case Array array: ClassifyRaw(array); break;
                default:
                    throw new MnistToolsException(ErrorIds.UnsupportedInput, FailureKind.InvalidArgument,
                        $"Cannot classify a {input.GetType().Name}: pass an MnistImage, an MnistDataSet or an array of {First.InputSize} pixels.", InputObject);
            }
        }
        catch (MnistToolsException e)
        {
            WriteError(ErrorRecords.From(e));
        }
    }

    private void EnsureGraphics()
    {
        try
        {
            GraphicsGuard.EnsureAvailable();
        }
        catch (MnistToolsException e)
        {
            ThrowTerminatingError(ErrorRecords.From(e));
        }
    }

    private void ClassifySet(MnistDataSet set)
    {
        DataCompatibility.Check(First, set, nameof(InputObject), requireLabels: false);
        _classNames = set.ClassCount == First.OutputSize ? set.ClassNames : null;
        int size = set.ImageSize;
        var clock = Stopwatch.StartNew();
        var sinceProgress = Stopwatch.StartNew();
        bool shown = false;
        for (int start = 0; start < set.Count; start += Chunk)
        {
            if (Stopping) return;
            if (sinceProgress.Elapsed >= ProgressInterval) // throttled; quick sets never show a bar
            {
                sinceProgress.Restart();
                shown = true;
                WriteProgress(new ProgressRecord(3, $"Classifying '{set.Name}'", $"{start:N0} of {set.Count:N0} images")
                {
                    PercentComplete = (int)(100L * start / set.Count),
                });
            }
            int rows = Math.Min(Chunk, set.Count - start);
            PredictPixels(set.Pixels.Slice(start * size, rows * size), rows);
            for (int r = 0; r < rows; r++) Emit(start + r, set.IsLabelled ? set.GetLabel(start + r) : null, r, image: null, set: set);
        }
        if (shown)
            WriteProgress(new ProgressRecord(3, $"Classifying '{set.Name}'", "Done") { RecordType = ProgressRecordType.Completed });
        WriteVerbose($"Classified {set.Count:N0} images of '{set.Name}' with {Description} in {clock.Elapsed.TotalMilliseconds:F0} ms.");
    }

    private void ClassifyImage(MnistImage image, string? path = null)
    {
        _classNames = image.GetClassNames() is { } names && names.Count == First.OutputSize ? names : null;
        if (image.Pixels.Length != First.InputSize)
            throw new MnistToolsException(ErrorIds.ClassificationPixelCountMismatch, FailureKind.InvalidArgument,
                $"Image #{image.Index} has {image.Rows}x{image.Columns} = {image.Pixels.Length} pixels; the network takes {First.InputSize} inputs.", image);
        PredictPixels(image.Pixels, 1);
        Emit(image.Index, image.Label, 0, image, path);
    }

    /// <summary>
    /// A picture file: decoded and preprocessed as MNIST was made, then classified; errors per file. A folder: each
    /// picture directly in it (by extension, name order; hidden files and sub-folders left out).
    /// </summary>
    private void ClassifyPicture(string file)
    {
        if (Directory.Exists(file))
        {
            ClassifyFolder(file);
            return;
        }
        try
        {
            MnistImage digit = HandwritingPreprocessor.LoadDigit(file);
            ClassifyImage(new MnistImage(_rawIndex++, null, digit.Rows, digit.Columns, digit.Pixels, file), file);
        }
        catch (MnistToolsException e)
        {
            WriteError(ErrorRecords.From(e));
        }
    }

    private void ClassifyFolder(string folder)
    {
        string[] pictures;
        try
        {
            pictures = Directory.EnumerateFiles(folder)
                .Where(f => !System.IO.Path.GetFileName(f).StartsWith('.')
                            && ImageFolderReader.PictureExtensions.Contains(System.IO.Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal).ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WriteError(ErrorRecords.From(new MnistToolsException(ErrorIds.ImageReadFailed, FailureKind.ReadWrite, $"Cannot list the folder '{folder}': {e.Message}", folder, e)));
            return;
        }
        if (pictures.Length == 0)
        {
            WriteError(ErrorRecords.From(new MnistToolsException(ErrorIds.ImageFolderNoPictures, FailureKind.NotFound,
                $"The folder '{folder}' holds no pictures ({string.Join(", ", ImageFolderReader.PictureExtensions)}) directly in it; sub-folders are not searched.", folder)));
            return;
        }
        WriteVerbose($"Classifying the {pictures.Length} picture(s) in '{folder}'.");
        foreach (string picture in pictures)
        {
            if (Stopping) return;
            ClassifyPicture(picture);
        }
    }

    /// <summary>
    /// A pixel array: integers are grey levels, classified as an image; floating-point values are network inputs
    /// (grey / 255) and go to the network as they are.
    /// </summary>
    private void ClassifyRaw(Array array)
    {
        _classNames = null;
        int n = First.InputSize;
        if (array.Length != n)
            throw new MnistToolsException(ErrorIds.ClassificationPixelCountMismatch, FailureKind.InvalidArgument,
                $"The pixel array has {array.Length} values; the network takes {n} inputs.", array);
        bool scaled = IsScaled(array);
        byte[] grey = new byte[n];
        float[]? inputs = scaled ? new float[n] : null;
        int i = 0;
        foreach (object? item in array)
        {
            object? value = item is PSObject p ? p.BaseObject : item;
            double v = value switch
            {
                byte or sbyte or short or ushort or int or uint or long or ulong or float or double or decimal => Convert.ToDouble(value),
                _ => double.NaN,
            };
            if (value is null || double.IsNaN(v))
                throw new MnistToolsException(ErrorIds.UnsupportedInput, FailureKind.InvalidArgument,
                    $"Pixel {i} is {(value is null ? "null" : "a " + value.GetType().Name)}, not a number.", array);
            if (scaled ? !(v >= 0 && v <= 1) : !(v >= 0 && v <= 255))
                throw new MnistToolsException(ErrorIds.ClassificationPixelOutOfRange, FailureKind.InvalidArgument,
                    scaled ? $"Pixel {i} is {v}; floating-point pixels must be scaled inputs in [0, 1] (grey / 255)."
                           : $"Pixel {i} is {v}; integer pixels must be grey levels in 0..255.", array);
            grey[i] = (byte)Math.Round(scaled ? v * 255 : v);
            if (inputs is not null) inputs[i] = (float)v;
            i++;
        }
        if (inputs is null) PredictPixels(grey, 1);
        else Predict(inputs, 1);
        int side = (int)Math.Round(Math.Sqrt(n));
        MnistImage? image = side * side == n ? new MnistImage(_rawIndex, null, side, side, grey) : null;
        Emit(_rawIndex++, null, 0, image);
    }

    /// <summary>Floating-point arrays (or object arrays holding any floating-point value) are scaled inputs.</summary>
    private static bool IsScaled(Array array)
    {
        Type element = array.GetType().GetElementType()!;
        if (element == typeof(float) || element == typeof(double) || element == typeof(decimal)) return true;
        if (element != typeof(object) && element != typeof(PSObject)) return false;
        foreach (object? item in array)
            if ((item is PSObject p ? p.BaseObject : item) is float or double or decimal) return true;
        return false;
    }

    /// <summary>Writes the Classification of output row <paramref name="row"/>; an image of <paramref name="set"/> is made only
    /// when asked for (<see cref="Classification.GetImage"/>).</summary>
    private void Emit(int index, int? label, int row, MnistImage? image, string? path = null, MnistDataSet? set = null)
    {
        float[] scores = _outputs.AsSpan(row * First.OutputSize, First.OutputSize).ToArray();
        foreach (float score in scores)
        {
            if (float.IsFinite(score)) continue;
            // A network with overflowing or NaN weights (e.g. a hand-edited file): say so, never emit NaN scores.
            WriteError(ErrorRecords.From(new MnistToolsException(ErrorIds.NetworkOutputNotFinite, FailureKind.InvalidResult,
                $"The network's output for image {index} is not finite (NaN or infinite): its weights are unusable. Retrain it or import another file.",
                (object?)image ?? (set is null ? index : set[index]))));
            return;
        }
        int predicted = Classification.PredictedClass(scores); // the same rule as Test-Network and training accuracy
        WriteObject(set is null
            ? new Classification(index, label, predicted, scores[predicted], scores, image, _classNames, path) { NetworkCount = Network.Length }
            : new Classification(set, index, label, predicted, scores[predicted], scores, _classNames) { NetworkCount = Network.Length });
    }
}
