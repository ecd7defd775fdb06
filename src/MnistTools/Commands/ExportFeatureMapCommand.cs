using System.Globalization;
using System.Management.Automation;
using MnistTools.Errors;
using MnistTools.Imaging;
using MnistTools.Infrastructure;
using MnistTools.Layers;

namespace MnistTools.Commands;

/// <summary>How Export-FeatureMap scales the colours of a layer's maps.</summary>
public enum FeatureMapScaling
{
    /// <summary>Each map by its own largest |value|: every map at full contrast.</summary>
    Map,
    /// <summary>Every map of a layer by the layer's largest |value|: maps compare with each other.</summary>
    Layer,
}

/// <summary>
/// <para type="synopsis">Draws one image's feature maps through a network's layers as a PNG.</para>
/// <para type="description">Runs the image through the network (inference: dropout is the identity) and draws the input,
/// then for each chosen layer its output under a heading with the layer's index, spec and shape: a grid of one map per
/// channel for Conv2d, MaxPool2d (and Dropout or Flatten inputs of that shape), a strip of squares for a vector, and
/// one bar per class for the last layer's scores. By default every Conv2d and MaxPool2d layer and the scores are drawn;
/// -Layer picks layers by their Index in $net.Layers.</para>
/// </summary>
[Cmdlet(VerbsData.Export, "FeatureMap", DefaultParameterSetName = PathSet, SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportFeatureMapCommand : PictureExportCommand
{
    private MnistImage? _image;
    private int? _label;
    private bool _rejected;

    /// <summary>The network the image goes through.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNull]
    public Network Network { get; set; } = null!;

    /// <summary>An MnistImage or a Classification that carries one.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public PSObject? InputObject { get; set; }

    /// <summary>Layers to draw, by Index in $net.Layers (default: every Conv2d and MaxPool2d layer and the scores).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ValidateRange(0, int.MaxValue)]
    public int[]? Layer { get; set; }

    /// <summary>Each input pixel becomes a Scale x Scale square; maps are enlarged to about 0.6 of the input's height.</summary>
    [Parameter]
    [ValidateRange(1, 16)]
    public int Scale { get; set; } = 3;

    /// <summary>Maps per row at most.</summary>
    [Parameter]
    [ValidateRange(1, 1000)]
    public int Columns { get; set; } = 8;

    /// <summary>Colours scaled per map (default) or per layer.</summary>
    [Parameter]
    public FeatureMapScaling Normalize { get; set; } = FeatureMapScaling.Map;

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        int count = Network.Layers.Count;
        int bad = Layer?.FirstOrDefault(index => index >= count, -1) ?? -1;
        if (bad >= 0)
            ThrowTerminatingError(ErrorRecords.From(new MnistToolsException(ErrorIds.LayerIndexOutOfRange, FailureKind.InvalidArgument,
                $"-Layer {bad} is not a layer of the network: its layers are 0..{count - 1} ({Network.Architecture}).", nameof(Layer))));
    }

    protected override void ProcessRecord()
    {
        object input = InputObject!.BaseObject;
        (MnistImage? image, int? label) = input switch
        {
            MnistImage i => (i, i.Label),
            Classification c when c.GetImage() is MnistImage i => (i, c.Label ?? i.Label),
            _ => (null, null),
        };
        if (image is null)
        {
            _rejected = true;
            WriteError(ErrorRecords.From(input is Classification classification
                ? new MnistToolsException(ErrorIds.ClassificationHasNoImage, FailureKind.InvalidArgument,
                    $"Classification #{classification.Index} carries no image (it was made from a bare pixel array), so it cannot be drawn.", classification)
                : new MnistToolsException(ErrorIds.UnsupportedInput, FailureKind.InvalidArgument,
                    $"Export-FeatureMap draws an MnistImage or a Classification that carries one; got {input.GetType().Name}.", input)));
            return;
        }
        if (_image is not null)
        {
            _rejected = true;
            WriteError(ErrorRecords.From(new MnistToolsException(ErrorIds.OneImagePerPicture, FailureKind.InvalidArgument,
                $"One picture shows one image; image #{image.Index} is not drawn (only #{_image.Index} is).", image)));
            return;
        }
        if (image.Pixels.Length != Network.InputSize)
        {
            _rejected = true;
            WriteError(ErrorRecords.From(new MnistToolsException(ErrorIds.ClassificationPixelCountMismatch, FailureKind.InvalidArgument,
                $"Image #{image.Index} has {image.Rows}x{image.Columns} = {image.Pixels.Length} pixels; the network takes {Network.InputSize} inputs.", image)));
            return;
        }
        _image = image;
        _label = label;
    }

    protected override void EndProcessing()
    {
        if (_image is not MnistImage image)
        {
            if (!_rejected)
                ThrowTerminatingError(ErrorRecords.From(new MnistToolsException(ErrorIds.NoImages, FailureKind.InvalidArgument,
                    "No image arrived, so there is nothing to draw.", OutputPath)));
            return;
        }
        float[][] outputs;
        IReadOnlyList<ResolvedLayer> layers;
        try
        {
            outputs = Network.GetLayerOutputs(image.Pixels);
            layers = Network.ResolvedLayers;
        }
        catch (MnistToolsException e)
        {
            ThrowTerminatingError(ErrorRecords.From(e));
            return;
        }
        int[] chosen = Chosen(layers);
        foreach (int l in chosen)
        {
            if (outputs[l].Any(v => !float.IsFinite(v)))
                ThrowTerminatingError(ErrorRecords.From(new MnistToolsException(ErrorIds.NetworkOutputNotFinite, FailureKind.InvalidResult,
                    $"Layer {l} '{layers[l].Spec}' gives values that are not finite (NaN or infinity) for image #{image.Index}: the network's weights are broken.", Network)));
        }
        float[] scores = outputs[^1];
        int predicted = Classification.PredictedClass(scores);
        int? label = _label;
        string inputTitle = string.Create(CultureInfo.InvariantCulture,
            $"Input \u00b7 {ResolvedLayer.FormatShape(Network.InputShape).Replace("x", "\u00d7")} \u00b7 image #{image.Index}{(label is int l0 ? $", label {l0}" : "")}");
        WritePicture(() => FeatureMapSheet.Render(image, inputTitle, Sections(layers, outputs, chosen, predicted), Scale, Columns,
                Normalize == FeatureMapScaling.Map, predicted, label),
            $"the feature maps of image #{image.Index} through {chosen.Length} layers");
    }

    /// <summary>The -Layer indices in order without repeats, or the default: the layers that compute feature maps (an image
    /// output that is not their input's values, as Conv2d and MaxPool2d give), then the scores.</summary>
    private int[] Chosen(IReadOnlyList<ResolvedLayer> layers) =>
        Layer is { Length: > 0 } asked
            ? asked.Distinct().Order().ToArray()
            : Enumerable.Range(0, layers.Count)
                .Where(l => layers[l].OutputShape.Count == 3 && !layers[l].Spec.IsInferenceIdentity || l == layers.Count - 1).ToArray();

    private static List<FeatureMapSection> Sections(IReadOnlyList<ResolvedLayer> layers, float[][] outputs, int[] chosen, int predicted)
    {
        var sections = new List<FeatureMapSection>(chosen.Length);
        foreach (int l in chosen)
        {
            ResolvedLayer layer = layers[l];
            IReadOnlyList<int> shape = layer.OutputShape;
            bool scores = l == layers.Count - 1;
            string title = string.Create(CultureInfo.InvariantCulture, $"Layer {l} \u00b7 {layer.Spec} \u00b7 {ResolvedLayer.FormatShape(shape).Replace("x", "\u00d7")}");
            if (scores)
                title += string.Create(CultureInfo.InvariantCulture, $" \u00b7 predicted {predicted} ({outputs[l][predicted]:P1})");
            else
                title += Range(outputs[l]);
            sections.Add(shape.Count == 3
                ? new FeatureMapSection(title, FeatureMapKind.Maps, shape[0], shape[1], shape[2], outputs[l])
                : new FeatureMapSection(title, scores ? FeatureMapKind.Scores : FeatureMapKind.Vector, shape[0], 1, 1, outputs[l]));
        }
        return sections;
    }

    /// <summary>" · 0 to 3.21": the smallest and largest value, three significant digits.</summary>
    private static string Range(float[] values) =>
        string.Create(CultureInfo.InvariantCulture, $" \u00b7 {values.Min():G3} to {values.Max():G3}");
}
