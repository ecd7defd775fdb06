using System.Management.Automation;
using MnistTools.Errors;
using MnistTools.Infrastructure;

namespace MnistTools.Commands;

/// <summary>
/// What Save-Network and Export-Network share: a network from the pipeline, one target file (-Path or -LiteralPath),
/// -Force, -PassThru, ShouldProcess, an atomic write that Ctrl+C cancels, and the same errors (FileExists without
/// -Force; every failure as WriteError, so the next network in the pipeline is still written). A subclass says what
/// it writes and how.
/// </summary>
public abstract class NetworkFileCommand : OutputFileCommand
{
    private readonly CancellationTokenSource _stop = new();

    /// <summary>The network to write.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public Network? Network { get; set; }

    /// <summary>The ShouldProcess action, e.g. "Save network 784-128-10 ...".</summary>
    protected abstract string Action { get; }

    /// <summary>The past participle for messages: "saved", "exported".</summary>
    protected abstract string Done { get; }

    /// <summary>Appended to the verbose message after the target, e.g. " as ONNX opset 13".</summary>
    protected virtual string Detail => "";

    /// <summary>Checks the subclass's own parameters before anything is written (throws MnistToolsException).</summary>
    protected virtual void Prepare()
    {
    }

    /// <summary>
    /// Writes <see cref="Network"/> to <paramref name="target"/> atomically. The core writer refuses a network that
    /// another runspace is training (NetworkInUse).
    /// </summary>
    protected abstract void Write(string target, bool overwrite, CancellationToken cancellationToken);

    protected override void ProcessRecord()
    {
        try
        {
            string target = ResolveTarget();
            Prepare();
            if (RefuseExisting(target) is MnistToolsException exists) throw exists;
            if (!ShouldProcess(target, Action)) return;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Write(target, Force, _stop.Token);
            WriteVerbose($"{char.ToUpperInvariant(Done[0])}{Done[1..]} {Network!.Description} to '{target}'{Detail} ({new FileInfo(target).Length:N0} bytes) in {clock.Elapsed.TotalMilliseconds:F0} ms.");
            WritePassThru(target);
        }
        catch (MnistToolsException e)
        {
            WriteError(ErrorRecords.From(e));
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: the previous file (if any) is intact and no temporary file is left.
        }
    }

    protected override void StopProcessing() => _stop.Cancel();

    protected override void EndProcessing() => _stop.Dispose();
}
