using System.Management.Automation;
using MnistTools.Errors;
using MnistTools.Imaging;
using MnistTools.Infrastructure;

namespace MnistTools.Commands;

/// <summary>
/// <para type="synopsis">Writes MNIST images to a PNG: one image as a picture, many as a labelled contact sheet.</para>
/// <para type="description">Takes MnistImage or Classification objects from the pipeline. A single MnistImage becomes a
/// picture of exactly (28*Scale) x (28*Scale) pixels, dark ink on white. Several become one grid, -Columns wide, each
/// image captioned with its true label; for a Classification the caption is "true→predicted" when the prediction is
/// wrong, drawn in red with a red frame. The file is written atomically; an existing file needs -Force.</para>
/// </summary>
[Cmdlet(VerbsData.Export, "MnistImage", DefaultParameterSetName = PathSet, SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportMnistImageCommand : PictureExportCommand
{
    private readonly List<SheetItem> _items = new();
    private bool _sawClassification;

    /// <summary>An MnistImage or a Classification (its image, true label and prediction).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public PSObject? InputObject { get; set; }

    /// <summary>Each image pixel becomes a Scale x Scale square.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int Scale { get; set; } = 4;

    /// <summary>Images per row of the contact sheet.</summary>
    [Parameter]
    [ValidateRange(1, 1000)]
    public int Columns { get; set; } = 10;

    protected override void ProcessRecord()
    {
        switch (InputObject!.BaseObject)
        {
            case MnistImage image:
                _items.Add(new SheetItem(image, image.Label, null));
                break;
            case Classification classification when classification.GetImage() is MnistImage image:
                _sawClassification = true;
                _items.Add(new SheetItem(image, classification.Label ?? image.Label, classification.Predicted));
                break;
            case Classification classification:
                WriteError(ErrorRecords.From(new MnistToolsException(ErrorIds.ClassificationHasNoImage, FailureKind.InvalidArgument,
                    $"Classification #{classification.Index} carries no image (it was made from a bare pixel array), so it cannot be drawn.",
                    classification)));
                break;
            default:
                WriteError(ErrorRecords.From(new MnistToolsException(ErrorIds.UnsupportedInput, FailureKind.InvalidArgument,
                    $"Export-MnistImage draws MnistImage and Classification objects; got {InputObject.BaseObject.GetType().Name}.",
                    InputObject.BaseObject)));
                break;
        }
    }

    protected override void EndProcessing()
    {
        if (_items.Count == 0)
            ThrowTerminatingError(ErrorRecords.From(new MnistToolsException(ErrorIds.NoImages, FailureKind.InvalidArgument,
                "There are no images to draw.", OutputPath)));
        bool single = _items.Count == 1 && !_sawClassification;
        WritePicture(() => single ? ContactSheet.RenderSingle(_items[0].Image, Scale) : ContactSheet.Render(_items, Scale, Columns),
            single ? "an image" : $"a contact sheet of {_items.Count} images");
    }
}
