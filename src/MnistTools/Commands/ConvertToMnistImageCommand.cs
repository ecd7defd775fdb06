using System.Management.Automation;
using MnistTools.Errors;
using MnistTools.Imaging;
using MnistTools.Infrastructure;

namespace MnistTools.Commands;

/// <summary>
/// <para type="synopsis">Turns pictures of handwritten digits (PNG, JPEG) into 28x28 MNIST-style images.</para>
/// <para type="description">Preprocesses as MNIST was made: grey levels; inverted when the background is light;
/// cropped to the ink's bounding box; the longer side scaled to 20 pixels keeping the aspect ratio (antialiased);
/// placed in a 28x28 field with the ink's centre of mass at the centre. Any size, dark on light or light on dark.
/// Emits one MnistImage (Label null) per file; a file that is not a readable picture gives a non-terminating
/// InvalidData error with the path as target. The result is what Get-Classification -Path sees.</para>
/// </summary>
[Cmdlet(VerbsData.ConvertTo, "MnistImage", DefaultParameterSetName = PathSet)]
[OutputType(typeof(MnistImage))]
public sealed class ConvertToMnistImageCommand : PSCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    private int _index;

    /// <summary>Picture files; wildcards allowed.</summary>
    [Parameter(ParameterSetName = PathSet, Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    public string[]? Path { get; set; }

    /// <summary>Like -Path, without wildcard expansion; binds the PSPath of piped files.</summary>
    [Parameter(ParameterSetName = LiteralPathSet, Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[]? LiteralPath { get; set; }

    protected override void BeginProcessing()
    {
        try
        {
            GraphicsGuard.EnsureAvailable();
        }
        catch (MnistToolsException e)
        {
            ThrowTerminatingError(ErrorRecords.From(e));
        }
    }

    protected override void ProcessRecord()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        foreach (string file in PathResolver.ResolveEach(this, (literal ? LiteralPath : Path)!, literal))
        {
            if (Stopping) return;
            try
            {
                if (Directory.Exists(file))
                    throw new MnistToolsException(ErrorIds.PathIsDirectory, FailureKind.InvalidArgument, $"'{file}' is a folder, not a picture.", file);
                MnistImage image = HandwritingPreprocessor.LoadDigit(file);
                WriteObject(new MnistImage(_index++, null, image.Rows, image.Columns, image.Pixels, file));
            }
            catch (MnistToolsException e)
            {
                WriteError(ErrorRecords.From(e));
            }
            catch (Exception e) when (GraphicsGuard.IsNativeFailure(e))
            {
                ThrowTerminatingError(ErrorRecords.From(GraphicsGuard.FromNativeFailure(e)));
            }
        }
    }
}
