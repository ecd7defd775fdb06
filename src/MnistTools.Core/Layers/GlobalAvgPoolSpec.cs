using MnistTools.Errors;

namespace MnistTools.Layers;

/// <summary>
/// <c>GlobalAvgPool</c>: the mean of each channel over all its positions (<see cref="GlobalAvgPoolLayer"/>): an image
/// [C x H x W] becomes a vector of C values, so a Dense may follow without a Flatten. No parameters; ONNX
/// GlobalAveragePool then Flatten (axis 1).
/// </summary>
public sealed record GlobalAvgPoolSpec : LayerSpec
{
    internal static readonly LayerKind Definition = new("GlobalAvgPool", "",
        "the mean of each channel: an image becomes a vector of its channels", _ => new GlobalAvgPoolSpec());

    public override LayerKind Kind => Definition;

    internal override int[] OutputShape(int[] input, Func<string, MnistToolsException> misfit, out long parameters)
    {
        LayerSequence.RequireImage(Kind, input, misfit);
        parameters = 0;
        return [input[0]];
    }

    internal override Layer CreateLayer(ResolvedLayer layer, bool isLast) => new GlobalAvgPoolLayer(TensorShape.Of(layer.InputShape));

    internal override string AddInferenceNodes(IInferenceGraph graph, ResolvedLayer layer, string input) =>
        graph.AddNode("Flatten", [graph.AddNode("GlobalAveragePool", [input])], GraphAttribute.Of("axis", 1));
}
