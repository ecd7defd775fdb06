using System.Diagnostics;
using System.Management.Automation;
using MnistTools.Errors;
using MnistTools.Infrastructure;
using MnistTools.Training;

namespace MnistTools.Commands;

/// <summary>
/// <para type="synopsis">Evaluates a network on a data set: accuracy, loss, confusion matrix, per-class metrics.</para>
/// <para type="description">Several networks (-Network $a, $b, $c) vote as an ensemble: their class scores are averaged,
/// and the result's NetworkCount says how many voted.</para>
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "Network")]
[OutputType(typeof(TestResult))]
public sealed class TestNetworkCommand : NetworkDataSetCommand
{
    private Evaluator? _evaluator;

    /// <summary>The network to evaluate, or several that vote as an ensemble (same input size and class count).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    public Network[] Network { get; set; } = null!;

    protected override void ProcessRecord()
    {
        Ensemble? ensemble = null;
        if (Network.Length > 1)
        {
            try { ensemble = new Ensemble(Network); }
            catch (MnistToolsException e) { ThrowTerminatingError(ErrorRecords.From(e)); }
        }
        Network network = Network[0];
        try
        {
            // One network keeps its evaluator (two cores, chunks sized to the cache) across records.
            if (ensemble is null && (_evaluator is null || !ReferenceEquals(_evaluator.Network, network))) _evaluator = new Evaluator(network);
            string description = ensemble is null ? network.Description : $"an ensemble of {ensemble.Count} networks";
            var clock = Stopwatch.StartNew();
            var sinceProgress = Stopwatch.StartNew();
            string activity = $"Testing {description}";
            bool shown = false;
            Action<int, int> report = (done, total) =>
            {
                // Only after the first interval, so quick evaluations never flash a progress bar.
                if (sinceProgress.Elapsed < ProgressInterval) return;
                sinceProgress.Restart();
                shown = true;
                WriteProgress(new ProgressRecord(2, activity, $"'{DataSet.Name}': {done:N0} of {total:N0} images")
                {
                    PercentComplete = total == 0 ? 100 : (int)(100L * done / total),
                });
            };
            TestResult result = ensemble is null ? _evaluator!.Evaluate(DataSet, Stopped, report, Threads) : ensemble.Evaluate(DataSet, Stopped, report, Threads);
            if (DataSet.ClassCount == result.PerClass.Count) result = result.WithClassNames(DataSet.ClassNames);
            if (shown)
            {
                WriteProgress(new ProgressRecord(2, activity, "Done") { RecordType = ProgressRecordType.Completed });
            }
            WriteVerbose($"Tested {description} on '{DataSet.Name}': {result.Correct:N0} of {result.Total:N0} correct " +
                         $"({result.Accuracy:P2}), loss {result.Loss:G4}, in {clock.Elapsed.TotalMilliseconds:F0} ms.");
            WriteObject(result);
        }
        catch (MnistToolsException e)
        {
            WriteError(ErrorRecords.From(e));
        }
        catch (OperationCanceledException)
        {
        }
    }
}
