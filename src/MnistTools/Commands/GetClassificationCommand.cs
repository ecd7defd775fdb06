using System.Diagnostics;
using System.Management.Automation;
using MnistTools.Imaging;
using MnistTools.Training;

namespace MnistTools.Commands;

/// <summary>
/// <para type="synopsis">Classifies images with a network: one Classification per image.</para>
/// <para type="description">-InputObject takes MnistImage, MnistDataSet (every image) or a raw pixel array of the network's
/// input size: bytes or integers are grey levels 0..255; floats or doubles are already-scaled inputs in [0, 1]
/// (grey / 255). To pass one raw array through the pipeline, wrap it: ,$pixels | Get-Classification -Network $net.
/// -Path / -LiteralPath (or piped files) classify pictures of handwritten digits (PNG, JPEG, any size, dark on light or
/// light on dark), preprocessed as MNIST was made; ConvertTo-MnistImage shows what the network sees.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "Classification", DefaultParameterSetName = InputObjectSet)]
[OutputType(typeof(Classification))]
public sealed class GetClassificationCommand : PSCmdlet
{
    /// <summary>
    /// Error id: an input that is neither an MnistImage, an MnistDataSet, a picture file nor a pixel array, or an array
    /// element that is not a number (the id Show-MnistImage and Export-MnistImage use for input they cannot take).
    /// </summary>
    public const string UnsupportedInputErrorId = "UnsupportedInput";
    /// <summary>Error id: an image or pixel array whose size is not the network's input size.</summary>
    public const string PixelCountErrorId = "ClassificationPixelCountMismatch";
    /// <summary>Error id: a pixel outside 0..255 (integers) or [0, 1] (floating point).</summary>
    public const string PixelValueErrorId = "ClassificationPixelOutOfRange";
    /// <summary>Error id: a folder given as -Path holds no picture files directly in it.</summary>
    public const string FolderHasNoPicturesErrorId = "ImageFolderNoPictures";

    private const string InputObjectSet = "InputObject";
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    /// <summary>
    /// Images per prediction call on a set: progress and Ctrl+C are checked between calls (a few milliseconds apart),
    /// and each call's own buffers are allocated once per chunk, not once per image.
    /// </summary>
    private const int Chunk = 2048;
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);
    private int _rawIndex;
    private float[] _outputs = Array.Empty<float>();
    private IReadOnlyList<string>? _classNames;

    /// <summary>The network that classifies.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNull]
    public Network Network { get; set; } = null!;

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

    protected override void BeginProcessing()
    {
        _outputs = new float[Chunk * Network.OutputSize];
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
                    throw new MnistToolsException(UnsupportedInputErrorId, FailureKind.InvalidArgument,
                        $"Cannot classify a {input.GetType().Name}: pass an MnistImage, an MnistDataSet or an array of {Network.InputSize} pixels.", InputObject);
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
        DataCompatibility.Check(Network, set, nameof(InputObject), requireLabels: false);
        _classNames = set.ClassCount == Network.OutputSize ? set.ClassNames : null;
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
            Network.PredictPixels(set.Pixels.Slice(start * size, rows * size), rows, _outputs);
            for (int r = 0; r < rows; r++) Emit(start + r, set.IsLabelled ? set.GetLabel(start + r) : null, r, set[start + r]);
        }
        if (shown)
            WriteProgress(new ProgressRecord(3, $"Classifying '{set.Name}'", "Done") { RecordType = ProgressRecordType.Completed });
        WriteVerbose($"Classified {set.Count:N0} images of '{set.Name}' with {Network.Description} in {clock.Elapsed.TotalMilliseconds:F0} ms.");
    }

    private void ClassifyImage(MnistImage image, string? path = null)
    {
        _classNames = image.GetClassNames() is { } names && names.Count == Network.OutputSize ? names : null;
        if (image.Pixels.Length != Network.InputSize)
            throw new MnistToolsException(PixelCountErrorId, FailureKind.InvalidArgument,
                $"Image #{image.Index} has {image.Rows}x{image.Columns} = {image.Pixels.Length} pixels; the network takes {Network.InputSize} inputs.", image);
        Network.PredictPixels(image.Pixels, 1, _outputs);
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
            WriteError(ErrorRecords.From(new MnistToolsException("ImageReadFailed", FailureKind.ReadWrite, $"Cannot list the folder '{folder}': {e.Message}", folder, e)));
            return;
        }
        if (pictures.Length == 0)
        {
            WriteError(ErrorRecords.From(new MnistToolsException(FolderHasNoPicturesErrorId, FailureKind.NotFound,
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
        int n = Network.InputSize;
        if (array.Length != n)
            throw new MnistToolsException(PixelCountErrorId, FailureKind.InvalidArgument,
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
                throw new MnistToolsException(UnsupportedInputErrorId, FailureKind.InvalidArgument,
                    $"Pixel {i} is {(value is null ? "null" : "a " + value.GetType().Name)}, not a number.", array);
            if (scaled ? !(v >= 0 && v <= 1) : !(v >= 0 && v <= 255))
                throw new MnistToolsException(PixelValueErrorId, FailureKind.InvalidArgument,
                    scaled ? $"Pixel {i} is {v}; floating-point pixels must be scaled inputs in [0, 1] (grey / 255)."
                           : $"Pixel {i} is {v}; integer pixels must be grey levels in 0..255.", array);
            grey[i] = (byte)Math.Round(scaled ? v * 255 : v);
            if (inputs is not null) inputs[i] = (float)v;
            i++;
        }
        if (inputs is null) Network.PredictPixels(grey, 1, _outputs);
        else Network.Predict(inputs, 1, _outputs);
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

    private void Emit(int index, int? label, int row, MnistImage? image, string? path = null)
    {
        float[] scores = _outputs.AsSpan(row * Network.OutputSize, Network.OutputSize).ToArray();
        foreach (float score in scores)
        {
            if (float.IsFinite(score)) continue;
            // A network with overflowing or NaN weights (e.g. a hand-edited file): say so, never emit NaN scores.
            WriteError(ErrorRecords.From(new MnistToolsException(Evaluator.NotFiniteErrorId, FailureKind.InvalidResult,
                $"The network's output for image {index} is not finite (NaN or infinite): its weights are unusable. Retrain it or import another file.",
                image is null ? index : image)));
            return;
        }
        int predicted = Classification.PredictedClass(scores); // the same rule as Test-Network and training accuracy
        WriteObject(new Classification(index, label, predicted, scores[predicted], scores, image, _classNames, path));
    }
}
