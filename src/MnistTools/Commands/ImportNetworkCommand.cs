using System.Management.Automation;
using MnistTools.Errors;
using MnistTools.Infrastructure;
using MnistTools.Onnx;
using MnistTools.Persistence;

namespace MnistTools.Commands;

/// <summary>File formats Import-Network reads.</summary>
public enum NetworkImportFormat
{
    /// <summary>A network file written by Save-Network.</summary>
    Native,
    /// <summary>An ONNX model whose graph is a chain of the operators MnistTools imports (see the help).</summary>
    Onnx,
}

/// <summary>
/// <para type="synopsis">Reads networks saved by Save-Network, or ONNX models (PyTorch, Keras via tf2onnx, Export-Network).</para>
/// <para type="description">Restores the architecture, weights, epochs trained, optimizer state and metadata bit for bit:
/// the imported network scores exactly as the saved one did and trains on exactly as it would have. A damaged, truncated
/// or foreign file, or one of a newer format version, is refused with an InvalidData error naming the file. A file
/// ending in .onnx (or any file with -Format Onnx) is read as an ONNX model whose graph is a chain MnistTools can
/// express; what it cannot express is refused with an error naming the node, its operator and the reason.</para>
/// </summary>
/// <example><code>Get-ChildItem ./models/*.safetensors | Import-Network</code></example>
/// <example><code>$net = Import-Network ./lenet5.onnx</code></example>
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

    /// <summary>How to read the files; by default .onnx files as ONNX and every other file as a network file.</summary>
    [Parameter]
    public NetworkImportFormat? Format { get; set; }

    protected override void ProcessRecord()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        foreach (string file in PathResolver.ResolveEach(this, literal ? LiteralPath! : Path!, literal))
        {
            try
            {
                bool onnx = Format is { } format ? format == NetworkImportFormat.Onnx
                    : string.Equals(System.IO.Path.GetExtension(file), ".onnx", StringComparison.OrdinalIgnoreCase);
                Network network = onnx ? OnnxImporter.Load(file, _stop.Token) : NetworkPersistence.Load(file, _stop.Token);
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
