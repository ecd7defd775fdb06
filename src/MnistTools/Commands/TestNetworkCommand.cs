using System.Diagnostics;
using System.Management.Automation;
using MnistTools.Errors;
using MnistTools.Infrastructure;
using MnistTools.Training;

namespace MnistTools.Commands;

/// <summary>
/// <para type="synopsis">Evaluates a network on a data set: accuracy, loss, confusion matrix, per-class metrics.</para>
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "Network")]
[OutputType(typeof(TestResult))]
public sealed class TestNetworkCommand : NetworkDataSetCommand
{
    private Evaluator? _evaluator;

    protected override void ProcessRecord()
    {
        try
        {
            if (_evaluator is null || !ReferenceEquals(_evaluator.Network, Network)) _evaluator = new Evaluator(Network);
            var clock = Stopwatch.StartNew();
            var sinceProgress = Stopwatch.StartNew();
            string activity = $"Testing {Network.Description}";
            bool shown = false;
            TestResult result = _evaluator.Evaluate(DataSet, Stopped, (done, total) =>
            {
                // Only after the first interval, so quick evaluations never flash a progress bar.
                if (sinceProgress.Elapsed < ProgressInterval) return;
                sinceProgress.Restart();
                shown = true;
                WriteProgress(new ProgressRecord(2, activity, $"'{DataSet.Name}': {done:N0} of {total:N0} images")
                {
                    PercentComplete = total == 0 ? 100 : (int)(100L * done / total),
                });
            }, Threads);
            if (DataSet.ClassCount == result.PerClass.Count) result = result.WithClassNames(DataSet.ClassNames);
            if (shown)
            {
                WriteProgress(new ProgressRecord(2, activity, "Done") { RecordType = ProgressRecordType.Completed });
            }
            WriteVerbose($"Tested {Network.Description} on '{DataSet.Name}': {result.Correct:N0} of {result.Total:N0} correct " +
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
