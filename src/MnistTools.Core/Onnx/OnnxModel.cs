namespace MnistTools.Onnx;

/// <summary>The parts of an ONNX ModelProto the importer reads: the opsets it imports and its main graph.</summary>
internal sealed record OnnxModel(long IrVersion, string Producer, IReadOnlyList<(string Domain, long Version)> Opsets, OnnxGraph Graph);

/// <summary>A GraphProto: nodes in file order, initializers by name, the graph's inputs and outputs.</summary>
internal sealed record OnnxGraph(IReadOnlyList<OnnxNode> Nodes, IReadOnlyDictionary<string, OnnxTensor> Initializers,
    IReadOnlyList<OnnxValueInfo> Inputs, IReadOnlyList<OnnxValueInfo> Outputs);

/// <summary>A NodeProto.</summary>
internal sealed record OnnxNode(string Name, string OpType, string Domain, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs,
    IReadOnlyDictionary<string, OnnxAttribute> Attributes)
{
    /// <summary>The node as messages name it: <c>'name' (Op)</c>.</summary>
    public override string ToString() => Name.Length > 0 ? $"node '{Errors.MessageText.Quote(Name)}' ({OpType})" : $"a nameless {OpType} node";
}

/// <summary>An AttributeProto of the kinds the importer reads (float, int, string, floats, ints, tensor); others keep their type only.</summary>
internal sealed record OnnxAttribute(string Name, int Type, float F, long I, string? S, IReadOnlyList<float> Floats, IReadOnlyList<long> Ints, OnnxTensor? Tensor)
{
    public const int TypeFloat = 1, TypeInt = 2, TypeString = 3, TypeTensor = 4, TypeFloats = 6, TypeInts = 7;
}

/// <summary>A TensorProto whose values were read: float (data type 1) into <see cref="Floats"/>, int64 (7) into
/// <see cref="Int64s"/>; the element count always equals the product of <see cref="Dims"/>.</summary>
internal sealed record OnnxTensor(string Name, long[] Dims, int DataType, float[]? Floats, long[]? Int64s)
{
    public const int Float = 1, Int64 = 7;

    public long Count => Floats?.LongLength ?? Int64s?.LongLength ?? 0;
}

/// <summary>A graph input or output: its element type and dims (a dim is null when it is symbolic or absent, e.g. the batch N).</summary>
internal sealed record OnnxValueInfo(string Name, int ElemType, long?[]? Dims);
