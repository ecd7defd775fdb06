using System.Management.Automation;
using MnistTools.Onnx;

namespace MnistTools.Commands;

/// <summary>File formats Export-Network writes.</summary>
public enum NetworkExportFormat
{
    /// <summary>ONNX (IR 7, opset 13): input "input" float [N, 784] (pixels / 255), output "scores" float [N, 10].</summary>
    Onnx,
}

/// <summary>
/// <para type="synopsis">Exports a network's inference graph for use outside MnistTools.</para>
/// <para type="description">-Format Onnx writes a standard ONNX model (opset 13): input "input" [N, 784] float holding grey
/// levels divided by 255, one Gemm and activation per layer, output "scores" [N, 10]. ONNX Runtime reproduces
/// Get-Classification's scores to within 1e-5. The write is atomic; an existing file is an error unless -Force is given.</para>
/// </summary>
/// <example><code>$net | Export-Network -Path ./digits.onnx -Format Onnx</code></example>
[Cmdlet(VerbsData.Export, "Network", SupportsShouldProcess = true, DefaultParameterSetName = PathSet)]
[OutputType(typeof(FileInfo))]
public sealed class ExportNetworkCommand : PSCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    /// <summary>Error id: the target exists and -Force was not given.</summary>
    public const string FileExistsId = OutputFile.ExistsId;

    private readonly CancellationTokenSource _stop = new();

    /// <summary>The network to export.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public Network? Network { get; set; }

    /// <summary>The file to write (conventionally *.onnx).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>The file to write, taken exactly as written (no wildcards).</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string? LiteralPath { get; set; }

    /// <summary>The file format (only Onnx for now).</summary>
    [Parameter]
    public NetworkExportFormat Format { get; set; } = NetworkExportFormat.Onnx;

    /// <summary>Overwrite an existing file.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Write the exported file's FileInfo.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        string target;
        try
        {
            target = OutputFile.Resolve(this, ParameterSetName == LiteralPathSet ? LiteralPath! : Path!, ParameterSetName == LiteralPathSet);
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
        if (!ShouldProcess(target, $"Export network {Network!.Description} as {Format} (opset {OnnxExporter.OpsetVersion})"))
            return;

        try
        {
            Network!.CheckNotTrainedElsewhere("exported");
            OnnxExporter.Write(target, Network!, overwrite: Force, _stop.Token);
            WriteVerbose($"Exported {Network!.Description} to '{target}' as ONNX opset {OnnxExporter.OpsetVersion} ({new FileInfo(target).Length:N0} bytes).");
            if (PassThru) WriteObject(InvokeProvider.Item.Get(new[] { target }, force: true, literalPath: true), enumerateCollection: true);
        }
        catch (MnistToolsException e)
        {
            WriteError(OutputFile.WriteFailure(e));
        }
        catch (OperationCanceledException)
        {
        }
    }

    protected override void StopProcessing() => _stop.Cancel();

    protected override void EndProcessing() => _stop.Dispose();
}
