using MnistTools.Errors;

namespace MnistTools.Layers;

/// <summary>
/// <c>MaxPool2d &lt;size&gt; [stride=&lt;s&gt;]</c>: the largest value of each window, per channel (<see cref="MaxPool2dLayer"/>).
/// ONNX MaxPool.
/// </summary>
public sealed record MaxPool2dSpec : Pool2dSpec
{
    internal static readonly LayerKind Definition = new("MaxPool2d", "<size> [stride=<s>]", "2-D max pooling, per channel",
        Read);

    /// <summary>Max pooling over <paramref name="size"/> x <paramref name="size"/> windows, moved by <paramref name="stride"/>
    /// (default <paramref name="size"/>).</summary>
    /// <exception cref="MnistToolsException">LayerSpecInvalid for a size outside 1..<see cref="LayerSpec.MaxSize"/>.</exception>
    public MaxPool2dSpec(int size, int? stride = null) : base("MaxPool2d", size, stride) { }

    public override LayerKind Kind => Definition;

    private static LayerSpec Read(LayerSpecReader reader)
    {
        (int size, int? stride) = ReadWindow(reader, "MaxPool2d");
        return new MaxPool2dSpec(size, stride);
    }

    internal override Layer CreateLayer(ResolvedLayer layer, bool isLast) =>
        new MaxPool2dLayer(TensorShape.Of(layer.InputShape), ShapeOn(layer.InputShape));

    internal override string AddInferenceNodes(IInferenceGraph graph, ResolvedLayer layer, string input) => AddPoolNode(graph, "MaxPool", input);
}
