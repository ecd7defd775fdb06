using System.Management.Automation;

namespace MnistTools.Commands;

/// <summary>
/// The parameters of every cmdlet that writes one file (Save-Network, Export-Network, the Export-* picture cmdlets):
/// -Path (position 0) or -LiteralPath (aliases PSPath, LP), -Force and -PassThru, and the FileInfo -PassThru emits.
/// </summary>
public abstract class OutputFileCommand : PSCmdlet
{
    protected const string PathSet = "Path";
    protected const string LiteralPathSet = "LiteralPath";

    /// <summary>The file to write.</summary>
    [Parameter(ParameterSetName = PathSet, Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>Like -Path, taken exactly as written (no wildcards).</summary>
    [Parameter(ParameterSetName = LiteralPathSet, Mandatory = true)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string? LiteralPath { get; set; }

    /// <summary>Overwrite an existing file.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Emit the written file (FileInfo).</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>The path as given, and whether it is literal.</summary>
    protected (string Path, bool Literal) RequestedPath =>
        ParameterSetName == LiteralPathSet ? (LiteralPath!, true) : (Path!, false);

    /// <summary>With -PassThru, the written file as the FileSystem provider gives it (as Get-Item would).</summary>
    protected void WritePassThru(string target)
    {
        if (PassThru) WriteObject(InvokeProvider.Item.Get(new[] { target }, force: true, literalPath: true), enumerateCollection: true);
    }
}
