using MnistTools.Errors;

namespace MnistTools.Layers;

/// <summary>
/// <c>AvgPool2d &lt;size&gt; [stride=&lt;s&gt;]</c>: the mean of each window's K² values, per channel
/// (<see cref="AvgPool2dLayer"/>). ONNX AveragePool.
/// </summary>
public sealed record AvgPool2dSpec : Pool2dSpec
{
    internal static readonly LayerKind Definition = new("AvgPool2d", "<size> [stride=<s>]", "2-D average pooling, per channel",
        Read);

    /// <summary>Average pooling over <paramref name="size"/> x <paramref name="size"/> windows, moved by
    /// <paramref name="stride"/> (default <paramref name="size"/>).</summary>
    /// <exception cref="MnistToolsException">LayerSpecInvalid for a size outside 1..<see cref="LayerSpec.MaxSize"/>.</exception>
    public AvgPool2dSpec(int size, int? stride = null) : base("AvgPool2d", size, stride) { }

    public override LayerKind Kind => Definition;

    private static LayerSpec Read(LayerSpecReader reader)
    {
        (int size, int? stride) = ReadWindow(reader, "AvgPool2d");
        return new AvgPool2dSpec(size, stride);
    }

    internal override Layer CreateLayer(ResolvedLayer layer, bool isLast) =>
        new AvgPool2dLayer(TensorShape.Of(layer.InputShape), ShapeOn(layer.InputShape));

    internal override string AddInferenceNodes(IInferenceGraph graph, ResolvedLayer layer, string input) => AddPoolNode(graph, "AveragePool", input);
}
