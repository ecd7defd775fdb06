using System.Management.Automation;
using MnistTools.Errors;
using MnistTools.Imaging;
using MnistTools.Infrastructure;

namespace MnistTools.Commands;

/// <summary>
/// <para type="synopsis">Draws a TestResult's confusion matrix as a labelled heat map PNG.</para>
/// <para type="description">Rows are the true classes, columns the predicted ones; each cell shows its count and is
/// shaded by its share of the row. Takes a TestResult (or any object with a ConfusionMatrix property, or a square
/// matrix itself) from the pipeline; one matrix per picture.</para>
/// </summary>
[Cmdlet(VerbsData.Export, "ConfusionMatrix", DefaultParameterSetName = PathSet, SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportConfusionMatrixCommand : PictureExportCommand
{
    private long[,]? _matrix;
    private string? _title;
    private IReadOnlyList<string>? _classNames;

    /// <summary>A TestResult (its ConfusionMatrix is drawn) or a square matrix of counts.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public PSObject? InputObject { get; set; }

    /// <summary>Picture side in pixels.</summary>
    [Parameter]
    [ValidateRange(ConfusionMatrixChart.MinSide, ConfusionMatrixChart.MaxSide)]
    public int Size { get; set; } = 600;

    /// <summary>The title (default: "Confusion matrix (N images)", with the accuracy when the input has one).</summary>
    [Parameter]
    public string? Title { get; set; }

    protected override void ProcessRecord()
    {
        PSObject input = InputObject!;
        object? source = input.Properties["ConfusionMatrix"] is not null ? PropertyReader.Get(input, "ConfusionMatrix") : input.BaseObject;
        long[,]? matrix = PropertyReader.ToMatrix(source);
        if (matrix is null || matrix.GetLength(0) != matrix.GetLength(1) || matrix.GetLength(0) == 0)
        {
            WriteError(ErrorRecords.From(new MnistToolsException(ErrorIds.ConfusionMatrixInvalid, FailureKind.InvalidArgument,
                "The input has no ConfusionMatrix property holding a square matrix of counts.", input)));
            return;
        }
        if (_matrix is not null)
        {
            WriteError(ErrorRecords.From(new MnistToolsException(ErrorIds.OneMatrixPerPicture, FailureKind.InvalidArgument,
                "One picture holds one confusion matrix; only the first input is drawn.", input)));
            return;
        }
        _matrix = matrix;
        // A TestResult names its classes in its per-class rows (the data set's ClassNames).
        if (input.BaseObject is TestResult result) _classNames = result.PerClass.Select(row => row.Name).ToArray();
        if (PropertyReader.TryGetDouble(input, "Accuracy", out double? accuracy) && accuracy is double a)
        {
            long total = 0;
            foreach (long c in matrix) total += c;
            _title = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Confusion matrix: {a:P2} of {total:N0} correct");
        }
    }

    protected override void EndProcessing()
    {
        if (_matrix is null)
            ThrowTerminatingError(ErrorRecords.From(new MnistToolsException(ErrorIds.NoConfusionMatrix, FailureKind.InvalidArgument,
                "No confusion matrix arrived, so there is nothing to draw.", OutputPath)));
        long[,] matrix = _matrix!;
        WritePicture(() => ConfusionMatrixChart.Render(matrix, Size, Title ?? _title, _classNames), "a confusion matrix");
    }
}
