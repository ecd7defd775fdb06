using System.Management.Automation;

namespace MnistTools.Commands;

/// <summary>
/// What Save-Network and Export-Network share: a network from the pipeline, one target file (-Path or -LiteralPath),
/// -Force, -PassThru, ShouldProcess, an atomic write that Ctrl+C cancels, and the same errors (NetworkFileExists
/// without -Force; write failures as WriteError). A subclass says what it writes and how.
/// </summary>
public abstract class NetworkFileCommand : OutputFileCommand
{
    /// <summary>Error id: the target exists and -Force was not given.</summary>
    public const string FileExistsId = OutputFile.ExistsId;

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

    /// <summary>Writes <see cref="Network"/> to <paramref name="target"/> atomically.</summary>
    protected abstract void Write(string target, bool overwrite, CancellationToken cancellationToken);

    protected override void ProcessRecord()
    {
        string target;
        try
        {
            target = OutputFile.Resolve(this, RequestedPath.Path, RequestedPath.Literal);
            Prepare();
        }
        catch (MnistToolsException e)
        {
            WriteError(ErrorRecords.From(e));
            return;
        }

        if (File.Exists(target) && !Force)
        {
            WriteError(OutputFile.Exists(target));
            return;
        }
        if (!ShouldProcess(target, Action))
            return;

        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Network!.CheckNotTrainedElsewhere(Done);
            Write(target, Force, _stop.Token);
            WriteVerbose($"{char.ToUpperInvariant(Done[0])}{Done[1..]} {Network!.Description} to '{target}'{Detail} ({new FileInfo(target).Length:N0} bytes) in {clock.Elapsed.TotalMilliseconds:F0} ms.");
            WritePassThru(target);
        }
        catch (MnistToolsException e)
        {
            WriteError(OutputFile.WriteFailure(e));
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: the previous file (if any) is intact and no temporary file is left.
        }
    }

    protected override void StopProcessing() => _stop.Cancel();

    protected override void EndProcessing() => _stop.Dispose();
}
