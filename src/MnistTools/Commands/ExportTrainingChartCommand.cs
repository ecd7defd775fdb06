using System.Management.Automation;
using MnistTools.Errors;
using MnistTools.Imaging;
using MnistTools.Infrastructure;

namespace MnistTools.Commands;

/// <summary>
/// <para type="synopsis">Draws learning curves (loss and accuracy per epoch) from TrainingEpoch records to a PNG.</para>
/// <para type="description">Pipe the TrainingEpoch records of Invoke-Training (or the same records read back with
/// Import-Csv). Records need an Epoch and any of TrainLoss, ValidationLoss, TrainAccuracy, ValidationAccuracy
/// (accuracies as fractions), and for -Metric LearningRate a LearningRate (with LearningRateMin and LearningRateMax).
/// With -GroupBy, records are split into runs by that property (e.g. a RunName added with Select-Object or
/// Add-Member), one colour per run. Training is solid, validation dashed.</para>
/// </summary>
[Cmdlet(VerbsData.Export, "TrainingChart", DefaultParameterSetName = PathSet, SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportTrainingChartCommand : PictureExportCommand
{
    private readonly List<(string? Run, TrainingPoint Point)> _points = new();

    /// <summary>A TrainingEpoch, or any record with the same property names.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public PSObject? InputObject { get; set; }

    /// <summary>The property that tells runs apart (e.g. RunName). Without it, all records are one run.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? GroupBy { get; set; }

    /// <summary>The panels, left to right: Loss, Accuracy (the default) and LearningRate.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public TrainingChartMetric[] Metric { get; set; } = { TrainingChartMetric.Loss, TrainingChartMetric.Accuracy };

    /// <summary>Picture width in pixels, shared by the panels.</summary>
    [Parameter]
    [ValidateRange(TrainingChart.MinSide, TrainingChart.MaxSide)]
    public int Width { get; set; } = 1000;

    /// <summary>Picture height in pixels.</summary>
    [Parameter]
    [ValidateRange(TrainingChart.MinSide, TrainingChart.MaxSide)]
    public int Height { get; set; } = 400;

    protected override void ProcessRecord()
    {
        PSObject record = InputObject!;
        if (!PropertyReader.TryGetDouble(record, "Epoch", out double? epoch) || epoch is null)
        {
            WriteError(ErrorRecords.From(new MnistToolsException(ErrorIds.TrainingRecordInvalid, FailureKind.InvalidData,
                "The record has no numeric Epoch property, so it cannot be drawn as a training epoch.", record)));
            return;
        }
        var figures = new double?[7];
        string[] names = { "TrainLoss", "ValidationLoss", "TrainAccuracy", "ValidationAccuracy", "LearningRate", "LearningRateMin", "LearningRateMax" };
        for (int i = 0; i < names.Length; i++)
        {
            if (!PropertyReader.TryGetDouble(record, names[i], out figures[i]))
            {
                WriteError(ErrorRecords.From(new MnistToolsException(ErrorIds.TrainingRecordInvalid, FailureKind.InvalidData,
                    $"The record's {names[i]} is not a number.", record)));
                return;
            }
        }
        string? run = GroupBy is null ? null : PropertyReader.Get(record, GroupBy)?.ToString() ?? "(none)";
        _points.Add((run, new TrainingPoint(epoch.Value, figures[0], figures[1], figures[2], figures[3], figures[4], figures[5], figures[6])));
    }

    protected override void EndProcessing()
    {
        // Runs in order of first appearance; epochs in order within a run.
        var runs = _points.GroupBy(p => p.Run)
            .Select(g => new ChartSeries(g.Key, g.Select(p => p.Point).OrderBy(p => p.Epoch).ToList()))
            .ToList();
        if (runs.Count == 0)
            ThrowTerminatingError(ErrorRecords.From(new MnistToolsException(ErrorIds.NoTrainingData, FailureKind.InvalidArgument,
                "No training records arrived, so there is nothing to draw.", OutputPath)));
        WritePicture(() => TrainingChart.Render(runs, Width, Height, Metric), $"learning curves of {runs.Count} run(s)");
    }
}
