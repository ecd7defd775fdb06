using System.Management.Automation;

namespace MnistTools.Commands;

/// <summary>
/// What Invoke-Training and Test-Network share: a data set, which may come from the pipeline as the network may (each
/// declares its -Network: $net | Test-Network -DataSet $test, or $test | Test-Network -Network $net), Ctrl+C as a
/// cancellation token, the progress throttle, and -ThreadCount.
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

    /// <summary>Threads the work runs on (1 or 2); unbound, the module decides by problem size (or MNISTTOOLS_THREADS).
    /// The same bits for any count: give 1 when several calls run side by side (jobs, ForEach-Object -Parallel).</summary>
    [Parameter]
    [ValidateRange(1, Numerics.ComputeSettings.MaxThreads)]
    public int ThreadCount { get; set; }

    /// <summary>-ThreadCount when bound, else null (the default).</summary>
    protected int? Threads => MyInvocation.BoundParameters.ContainsKey(nameof(ThreadCount)) ? ThreadCount : null;

    /// <summary>Cancelled when the user presses Ctrl+C (StopProcessing).</summary>
    protected CancellationToken Stopped => _stop.Token;

    protected override void StopProcessing() => _stop.Cancel();
}
