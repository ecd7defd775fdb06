using MnistTools.Errors;

namespace MnistTools.Layers;

/// <summary>
/// <c>Flatten</c>: [channels x height x width] read as one vector of the same row-major values, so no layer computes it.
/// The list implies one before a layer that reads a vector after an image shape. ONNX Flatten (axis 1).
/// </summary>
public sealed record FlattenSpec : LayerSpec
{
    internal static readonly LayerKind Definition = new("Flatten", "",
        "channels x height x width read as one vector (implied before a Dense after an image)", _ => new FlattenSpec());

    public override LayerKind Kind => Definition;

    public override bool IsInferenceIdentity => true;

    internal override int[] OutputShape(int[] input, Func<string, MnistToolsException> misfit, out long parameters)
    {
        parameters = 0;
        return [LayerSequence.Values(input)];
    }

    internal override Layer? CreateLayer(ResolvedLayer layer, bool isLast) => null;

    internal override string AddInferenceNodes(IInferenceGraph graph, ResolvedLayer layer, string input) =>
        graph.AddNode("Flatten", [input], GraphAttribute.Of("axis", 1));
}
