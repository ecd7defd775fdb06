using System.Management.Automation;
using MnistTools.Training;

namespace MnistTools.Commands;

/// <summary>
/// <para type="synopsis">Evaluates a network on a data set: accuracy, loss, confusion matrix, per-class metrics.</para>
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "Network")]
[OutputType(typeof(TestResult))]
public sealed class TestNetworkCommand : PSCmdlet
{
    private readonly CancellationTokenSource _cancel = new();
    private Evaluator? _evaluator;

    [Parameter(Mandatory = true)]
    [ValidateNotNull]
    public Network Network { get; set; } = null!;

    /// <summary>The labelled images to evaluate on; one TestResult per set.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, Position = 0)]
    [ValidateNotNull]
    public MnistDataSet DataSet { get; set; } = null!;

    protected override void ProcessRecord()
    {
        try
        {
            _evaluator ??= new Evaluator(Network);
            WriteObject(_evaluator.Evaluate(DataSet, _cancel.Token));
        }
        catch (MnistToolsException e)
        {
            WriteError(ErrorRecords.From(e));
        }
        catch (OperationCanceledException)
        {
        }
    }

    protected override void StopProcessing() => _cancel.Cancel();
}
