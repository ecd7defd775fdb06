using System.Management.Automation;

namespace MnistTools.Commands;

/// <summary>
/// What Invoke-Training and Test-Network share: a data set, which may come from the pipeline as the network may (each
/// declares its -Network: $net | Test-Network -DataSet $test, or $test | Test-Network -Network $net), Ctrl+C as a
/// cancellation token, and the progress throttle.
/// </summary>
public abstract class NetworkDataSetCommand : PSCmdlet
{
    /// <summary>At most one progress record per interval, and none for work shorter than that.</summary>
    protected static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);

    private readonly CancellationTokenSource _stop = new();

    /// <summary>The labelled images to train or evaluate on.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, Position = 0)]
    [ValidateNotNull]
    public MnistDataSet DataSet { get; set; } = null!;

    /// <summary>Cancelled when the user presses Ctrl+C (StopProcessing).</summary>
    protected CancellationToken Stopped => _stop.Token;

    protected override void StopProcessing() => _stop.Cancel();
}
