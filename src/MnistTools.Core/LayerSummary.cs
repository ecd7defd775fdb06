namespace MnistTools;

/// <summary>One row of a network's layer list (<see cref="Network.Layers"/>): flat, so it exports with Export-Csv.</summary>
public sealed class LayerSummary
{
    internal LayerSummary(int index, string kind, string outputShape, int parameters, string spec)
    {
        Index = index;
        Kind = kind;
        OutputShape = outputShape;
        Parameters = parameters;
        Spec = spec;
    }

    /// <summary>Position in the network, 0 first.</summary>
    public int Index { get; }

    /// <summary>Dense, Conv2d, MaxPool2d, Dropout...</summary>
    public string Kind { get; }

    /// <summary>One image's output: <c>128</c> for a vector, <c>32x26x26</c> for channels x height x width.</summary>
    public string OutputShape { get; }

    /// <summary>Weights and biases of this layer.</summary>
    public int Parameters { get; }

    /// <summary>The layer spec that recreates it (New-Network -Layers).</summary>
    public string Spec { get; }

    public override string ToString() => Spec;
}
