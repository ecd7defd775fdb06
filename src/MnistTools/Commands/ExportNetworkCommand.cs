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
public sealed class ExportNetworkCommand : NetworkFileCommand
{
    /// <summary>The file format; Onnx is the one there is.</summary>
    [Parameter]
    public NetworkExportFormat Format { get; set; } = NetworkExportFormat.Onnx;

    protected override string Action => $"Export network {Network!.Description} as {Format} (opset {OnnxExporter.OpsetVersion})";

    protected override string Done => "exported";

    protected override string Detail => $" as ONNX opset {OnnxExporter.OpsetVersion}";

    protected override void Write(string target, bool overwrite, CancellationToken cancellationToken) =>
        OnnxExporter.Write(target, Network!, overwrite, cancellationToken);
}
