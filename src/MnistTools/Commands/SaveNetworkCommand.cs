using System.Collections;
using System.Management.Automation;
using MnistTools.Persistence;

namespace MnistTools.Commands;

/// <summary>
/// <para type="synopsis">Saves a network to a file: architecture, weights, training state and metadata.</para>
/// <para type="description">The file is a safetensors file (8-byte header length, JSON header, little-endian float32
/// tensors) that other tools can read; see docs/persistence.md. Import-Network restores the network bit for bit,
/// including the optimizer state, so training resumes exactly. The write is atomic: a temporary file in the same folder
/// is moved over the target only when complete, so a failure or Ctrl+C never leaves a half file or loses the old one.
/// An existing file is an error unless -Force is given.</para>
/// </summary>
/// <example><code>$net | Save-Network -Path ./digits.safetensors -Metadata @{ TestAccuracy = 0.9731 }</code></example>
[Cmdlet(VerbsData.Save, "Network", SupportsShouldProcess = true, DefaultParameterSetName = PathSet)]
[OutputType(typeof(FileInfo))]
public sealed class SaveNetworkCommand : PSCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    /// <summary>Error id: the target exists and -Force was not given.</summary>
    public const string FileExistsId = OutputFile.ExistsId;

    private readonly CancellationTokenSource _stop = new();

    /// <summary>The network to save.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public Network? Network { get; set; }

    /// <summary>The file to write (conventionally *.safetensors).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>The file to write, taken exactly as written (no wildcards).</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string? LiteralPath { get; set; }

    /// <summary>Overwrite an existing file.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Extra notes stored in the file (data set, test accuracy...); they join the network's own Metadata.</summary>
    [Parameter]
    public IDictionary? Metadata { get; set; }

    /// <summary>Write the saved file's FileInfo.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        string target;
        Dictionary<string, string> metadata;
        try
        {
            target = OutputFile.Resolve(this, ParameterSetName == LiteralPathSet ? LiteralPath! : Path!, ParameterSetName == LiteralPathSet);
            metadata = OutputFile.ToMetadata(Metadata);
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
        if (!ShouldProcess(target, $"Save network {Network!.Description}"))
            return;

        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Network!.CheckNotTrainedElsewhere("saved");
            NetworkPersistence.Save(Network!, target, overwrite: Force, metadata, _stop.Token);
            WriteVerbose($"Saved {Network!.Description} to '{target}' ({new FileInfo(target).Length:N0} bytes) in {clock.Elapsed.TotalMilliseconds:F0} ms.");
            if (PassThru) WriteObject(InvokeProvider.Item.Get(new[] { target }, force: true, literalPath: true), enumerateCollection: true);
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
