namespace MnistTools.Layers;

/// <summary>
/// What a layer kind writes into an exported inference graph (ONNX) for one layer of the list: its parameters as
/// initializers and its nodes. The exporter implements it per layer, so it names the layer's tensors and nodes.
/// </summary>
internal interface IInferenceGraph
{
    /// <summary>Adds the layer's weight and bias tensors (shapes as <see cref="LayerSpec.WeightShape"/> says) and
    /// returns their names; the bias's is null for a layer without biases.</summary>
    (string Weight, string? Bias) AddParameters();

    /// <summary>Adds the layer's state tensors (<see cref="LayerSpec.StateTensors"/>) and returns their names, in order.</summary>
    IReadOnlyList<string> AddState();

    /// <summary>Adds one node of operator <paramref name="opType"/> (ONNX's default domain) reading <paramref name="inputs"/>;
    /// returns the name of the value it outputs.</summary>
    /// <param name="opType">The operator: Gemm, Conv, MaxPool, Flatten...</param>
    string AddNode(string opType, IReadOnlyList<string> inputs, params GraphAttribute[] attributes);
}

/// <summary>One attribute of an inference-graph node: an integer, a list of integers or a float.</summary>
internal readonly record struct GraphAttribute(string Name, long? Int, long[]? Ints, float? Float)
{
    public static GraphAttribute Of(string name, long value) => new(name, value, null, null);

    public static GraphAttribute Of(string name, params long[] values) => new(name, null, values, null);

    public static GraphAttribute Of(string name, float value) => new(name, null, null, value);
}
