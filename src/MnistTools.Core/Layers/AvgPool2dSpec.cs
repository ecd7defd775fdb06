using System.Globalization;
using System.Text;
using MnistTools.Errors;

namespace MnistTools.Layers;

/// <summary>
/// <c>AvgPool2d &lt;size&gt; [stride=&lt;s&gt;]</c>: average pooling per channel over size x size windows moved by the
/// stride (default the size), valid windows only, each the mean of its K² values (<see cref="AvgPool2dLayer"/>). No
/// parameters; ONNX AveragePool.
/// </summary>
public sealed record AvgPool2dSpec : LayerSpec
{
    internal static readonly LayerKind Definition = new("AvgPool2d", "<size> [stride=<s>]", "2-D average pooling, per channel", Read);

    /// <summary>Average pooling over <paramref name="size"/> x <paramref name="size"/> windows, moved by
    /// <paramref name="stride"/> (default <paramref name="size"/>).</summary>
    /// <exception cref="MnistToolsException">LayerSpecInvalid for a size outside 1..<see cref="LayerSpec.MaxSize"/>.</exception>
    public AvgPool2dSpec(int size, int? stride = null)
    {
        Size = CheckSize(size, "size", "AvgPool2d");
        Stride = CheckSize(stride ?? size, "stride", "AvgPool2d");
    }

    public override LayerKind Kind => Definition;

    /// <summary>The window's side.</summary>
    public int Size { get; }

    /// <summary>The step between windows.</summary>
    public int Stride { get; }

    protected override void WriteArguments(StringBuilder text)
    {
        text.Append(' ').Append(Size.ToString(CultureInfo.InvariantCulture));
        if (Stride != Size) text.Append(" stride=").Append(Stride.ToString(CultureInfo.InvariantCulture));
    }

    internal override int[] OutputShape(int[] input, Func<string, MnistToolsException> misfit, out long parameters)
    {
        LayerSequence.RequireImage(Kind, input, misfit);
        int height = MaxPool2dShape.OutputExtent(input[1], Size, Stride);
        int width = MaxPool2dShape.OutputExtent(input[2], Size, Stride);
        if (height < 1 || width < 1)
            throw misfit($"a {Size}x{Size} window is larger than the {input[1]}x{input[2]} input and leaves nothing.");
        parameters = 0;
        return [input[0], height, width];
    }

    internal override Layer CreateLayer(ResolvedLayer layer, bool isLast) =>
        new AvgPool2dLayer(TensorShape.Of(layer.InputShape),
            MaxPool2dShape.Create(layer.InputShape[0], layer.InputShape[1], layer.InputShape[2], Size, Stride));

    internal override string AddInferenceNodes(IInferenceGraph graph, ResolvedLayer layer, string input) =>
        graph.AddNode("AveragePool", [input], GraphAttribute.Of("kernel_shape", Size, Size), GraphAttribute.Of("strides", Stride, Stride));

    private static LayerSpec Read(LayerSpecReader reader)
    {
        int size = reader.Size("size");
        int? stride = null;
        while (reader.Next() is { } word)
        {
            if (reader.Option(word, "stride") is not { } strideText) throw reader.Wrong(word, "is not an option of AvgPool2d (stride=<s>).");
            stride = reader.SizeValue(word, strideText, "stride");
        }
        return new AvgPool2dSpec(size, stride);
    }
}
