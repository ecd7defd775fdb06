using System.Management.Automation;
using MnistTools.Errors;
using MnistTools.Infrastructure;
using MnistTools.Persistence;

namespace MnistTools.Commands;

/// <summary>
/// <para type="synopsis">Reads networks saved by Save-Network.</para>
/// <para type="description">Restores the architecture, weights, epochs trained, optimizer state and metadata bit for bit:
/// the imported network scores exactly as the saved one did and trains on exactly as it would have. A damaged, truncated
/// or foreign file, or one of a newer format version, is refused with an InvalidData error naming the file.</para>
/// </summary>
/// <example><code>Get-ChildItem ./models/*.safetensors | Import-Network</code></example>
[Cmdlet(VerbsData.Import, "Network", DefaultParameterSetName = PathSet)]
[OutputType(typeof(Network))]
public sealed class ImportNetworkCommand : PSCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    private readonly CancellationTokenSource _stop = new();

    /// <summary>Files to read; wildcards allowed.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string[]? Path { get; set; }

    /// <summary>Files to read, taken exactly as written; binds the PSPath of piped files (Get-ChildItem) and FullName.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[]? LiteralPath { get; set; }

    protected override void ProcessRecord()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        foreach (string file in PathResolver.ResolveEach(this, literal ? LiteralPath! : Path!, literal))
        {
            try
            {
                Network network = NetworkPersistence.Load(file, _stop.Token);
                WriteVerbose($"Read {network.Description}, {network.EpochsTrained} epochs trained, from '{file}' ({new FileInfo(file).Length:N0} bytes).");
                WriteObject(network);
            }
            catch (MnistToolsException e)
            {
                WriteError(ErrorRecords.From(e));
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    protected override void StopProcessing() => _stop.Cancel();

    protected override void EndProcessing() => _stop.Dispose();
}
