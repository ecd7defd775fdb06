using System.Globalization;
using MnistTools.Errors;
using MnistTools.Layers;

namespace MnistTools.Onnx;

/// <summary>
/// The state of an import while the graph is walked from its input: the value the chain has reached, its shape (one
/// image's, as MnistTools counts it, and the ONNX shape with the batch dim), the layers found so far with their tensors,
/// and the constant int64 values that Reshape's shape may come from. The operator mappings (<see cref="OnnxOperators"/>)
/// read and extend it.
/// </summary>
internal sealed class OnnxChain
{
    /// <summary>The symbolic batch size N in an ONNX shape.</summary>
    public const long BatchDim = long.MinValue;

    private readonly Dictionary<string, OnnxNode> _producers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long[]> _constants = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long[]> _shapes = new(StringComparer.Ordinal);
    private readonly HashSet<OnnxNode> _evaluating = new(ReferenceEqualityComparer.Instance);

    public OnnxChain(OnnxGraph graph, string source, long opset, string input, int[] shape, long[] onnxShape)
    {
        Graph = graph;
        Source = source;
        Opset = opset;
        foreach (OnnxNode node in graph.Nodes)
            foreach (string output in node.Outputs)
                if (output.Length > 0 && !_producers.TryAdd(output, node))
                    throw Fail(ErrorIds.OnnxModelInvalid, node, $"writes '{MessageText.Quote(output)}', which another node writes too.");
        foreach (OnnxTensor tensor in graph.Initializers.Values)
            if (tensor.Int64s is { } values) _constants[tensor.Name] = values;
        InputShape = shape;
        MoveTo(input, shape, onnxShape);
    }

    public OnnxGraph Graph { get; }
    public string Source { get; }
    public long Opset { get; }

    /// <summary>The network's input shape (one image); a leading Reshape of a vector to an image changes it.</summary>
    public int[] InputShape { get; set; }

    /// <summary>The value the chain has reached.</summary>
    public string Current { get; private set; } = "";

    /// <summary>One image's shape at <see cref="Current"/>: [values] or [C, H, W].</summary>
    public int[] Shape { get; private set; } = [];

    /// <summary>The layers found so far, in order.</summary>
    public List<PendingLayer> Layers { get; } = [];

    /// <summary>Whether the chain reached a Softmax or LogSoftmax: nothing but no-ops may follow.</summary>
    public bool OutputDone { get; set; }

    /// <summary>Whether a Flatten of an image was read and no layer has consumed it yet.</summary>
    public bool FlattenPending { get; set; }

    /// <summary>Nodes helper computations (Shape, Gather...) used, so the walk does not count them as off the chain.</summary>
    public HashSet<OnnxNode> Used { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>Moves the chain to <paramref name="value"/>, whose shape is <paramref name="shape"/> per image.</summary>
    public void MoveTo(string value, int[] shape, long[] onnxShape)
    {
        Current = value;
        Shape = shape;
        _shapes[value] = onnxShape;
    }

    /// <summary>Moves to <paramref name="node"/>'s first output without changing the shape (activations, no-ops).</summary>
    public void PassThrough(OnnxNode node) => MoveTo(Output(node), Shape, _shapes[Current]);

    /// <summary>The ONNX shape of the value the chain has reached, [N, ...].</summary>
    public long[] OnnxShape => _shapes[Current];

    /// <summary>The node's first output; any other output (a Dropout's mask) must be unused.</summary>
    public string Output(OnnxNode node)
    {
        if (node.Outputs.Count == 0 || node.Outputs[0].Length == 0) throw Fail(ErrorIds.OnnxModelInvalid, node, "has no output.");
        foreach (string extra in node.Outputs.Skip(1))
            if (extra.Length > 0 && Graph.Nodes.Any(n => n.Inputs.Contains(extra)))
                throw Fail(ErrorIds.OnnxGraphNotAChain, node, $"has its second output '{MessageText.Quote(extra)}' read by another node; only the first one can be.");
        return node.Outputs[0];
    }

    /// <summary>Adds a layer; a pending Flatten goes before it unless the layer reads a vector anyway (Dense: implied).</summary>
    public PendingLayer Add(PendingLayer layer, bool readsVector)
    {
        if (FlattenPending && !readsVector) Layers.Add(new PendingLayer("Flatten", TakesActivation: false));
        FlattenPending = false;
        Layers.Add(layer);
        return layer;
    }

    /// <summary>Input <paramref name="index"/> of <paramref name="node"/> when it is given (optional inputs may be "" or absent).</summary>
    public static string? OptionalInput(OnnxNode node, int index) =>
        index < node.Inputs.Count && node.Inputs[index].Length > 0 ? node.Inputs[index] : null;

    /// <summary>The float initializer that input <paramref name="index"/> of <paramref name="node"/> names.</summary>
    public OnnxTensor Weights(OnnxNode node, int index, string what)
    {
        string name = OptionalInput(node, index) ?? throw Fail(ErrorIds.OnnxModelInvalid, node, $"has no {what} input.");
        OnnxTensor? tensor = Graph.Initializers.GetValueOrDefault(name) ?? ConstantNodeTensor(name);
        if (tensor is not null)
        {
            if (tensor.Floats is not { } values)
                throw Fail(ErrorIds.OnnxAttributeUnsupported, node, $"has its {what} '{MessageText.Quote(name)}' of data type {tensor.DataType}; only float (1) is read.");
            int bad = Array.FindIndex(values, v => !float.IsFinite(v));
            if (bad >= 0) // a network with NaN or infinite weights cannot classify
                throw Fail(ErrorIds.NetworkNotFinite, node, $"has its {what} '{MessageText.Quote(name)}' holding {values[bad]} at index {bad}.");
            return tensor;
        }
        throw Fail(ErrorIds.OnnxGraphNotAChain, node, $"takes its {what} from '{MessageText.Quote(name)}', which is computed; weights must be initializers.");
    }

    private OnnxTensor? ConstantNodeTensor(string name)
    {
        if (!_producers.TryGetValue(name, out OnnxNode? node) || node.OpType != "Constant") return null;
        Used.Add(node);
        return node.Attributes.TryGetValue("value", out OnnxAttribute? value) && value.Tensor is { } tensor ? tensor : null;
    }

    /// <summary>The int64 values of <paramref name="name"/>, folding the Constant, Shape, Gather, Unsqueeze, Squeeze,
    /// Concat and Cast nodes that compute it (the shape chain of <c>x.view(x.size(0), -1)</c>). <see cref="BatchDim"/>
    /// stands for N.</summary>
    public long[] Int64s(string name, OnnxNode user)
    {
        if (_constants.TryGetValue(name, out long[]? known)) return known;
        if (!_producers.TryGetValue(name, out OnnxNode? node))
            throw Fail(ErrorIds.OnnxGraphNotAChain, user, $"reads '{MessageText.Quote(name)}', which no node computes and no initializer holds.");
        if (!_evaluating.Add(node)) throw Fail(ErrorIds.OnnxGraphNotAChain, node, "is part of a cycle.");
        Used.Add(node);
        long[] values = node.OpType switch
        {
            "Constant" => node.Attributes.TryGetValue("value", out OnnxAttribute? v) && v.Tensor?.Int64s is { } ints ? ints
                : throw Fail(ErrorIds.OnnxAttributeUnsupported, node, "holds no int64 tensor."),
            "Shape" => ShapeOf(node),
            "Gather" => Gather(node),
            "Unsqueeze" or "Squeeze" or "Cast" => Int64s(Input(node, 0), node),
            "Concat" => node.Inputs.Where(i => i.Length > 0).SelectMany(i => Int64s(i, node)).ToArray(),
            _ => throw Fail(ErrorIds.OnnxOperatorUnsupported, node, "computes a shape in a way the importer does not fold (Constant, Shape, Gather, Unsqueeze, Concat)."),
        };
        _evaluating.Remove(node);
        _constants[name] = values;
        return values;
    }

    private long[] ShapeOf(OnnxNode node)
    {
        string input = Input(node, 0);
        if (!_shapes.TryGetValue(input, out long[]? shape))
            throw Fail(ErrorIds.OnnxGraphNotAChain, node, $"takes the shape of '{MessageText.Quote(input)}', which is not on the chain before it.");
        if (node.Attributes.ContainsKey("start") || node.Attributes.ContainsKey("end"))
            throw Fail(ErrorIds.OnnxAttributeUnsupported, node, "has start or end, which the importer does not read.");
        return shape;
    }

    private long[] Gather(OnnxNode node)
    {
        long[] data = Int64s(Input(node, 0), node), indices = Int64s(Input(node, 1), node);
        if (node.Attributes.TryGetValue("axis", out OnnxAttribute? axis) && axis.I != 0)
            throw Fail(ErrorIds.OnnxAttributeUnsupported, node, $"has axis {axis.I}; only 0 is folded.");
        return indices.Select(i => i >= -data.Length && i < data.Length ? data[i < 0 ? i + data.Length : i]
            : throw Fail(ErrorIds.OnnxModelInvalid, node, $"gathers index {i} of {data.Length} values.")).ToArray();
    }

    private string Input(OnnxNode node, int index) => OptionalInput(node, index) ?? throw Fail(ErrorIds.OnnxModelInvalid, node, $"has no input {index + 1}.");

    /// <summary>An attribute's int (its default when absent).</summary>
    public static long Int(OnnxNode node, string name, long fallback) => node.Attributes.TryGetValue(name, out OnnxAttribute? a) ? a.I : fallback;

    /// <summary>An attribute's float (its default when absent).</summary>
    public static float Float(OnnxNode node, string name, float fallback) => node.Attributes.TryGetValue(name, out OnnxAttribute? a) ? a.F : fallback;

    /// <summary>An attribute's ints, or null when absent.</summary>
    public static IReadOnlyList<long>? Ints(OnnxNode node, string name) => node.Attributes.TryGetValue(name, out OnnxAttribute? a) ? a.Ints : null;

    /// <summary>An attribute's string (its default when absent).</summary>
    public static string String(OnnxNode node, string name, string fallback) => node.Attributes.TryGetValue(name, out OnnxAttribute? a) ? a.S ?? fallback : fallback;

    /// <summary>An error naming the file, the node and its operator; InvalidData against the file.</summary>
    public MnistToolsException Fail(string errorId, OnnxNode node, string reason) =>
        new(errorId, FailureKind.InvalidData, $"Cannot import '{MessageText.Quote(Source)}': {node} {reason}", Source);

    /// <summary>An error about the graph as a whole.</summary>
    public MnistToolsException Fail(string errorId, string reason) =>
        new(errorId, FailureKind.InvalidData, $"Cannot import '{MessageText.Quote(Source)}': {reason}", Source);

    /// <summary>A number as messages and specs write it.</summary>
    public static string Text(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>A layer found in the graph: its spec without the activation, the activation when one was attached, and its
/// tensors in the network's order (weights then biases; state).</summary>
internal sealed class PendingLayer(string spec, bool TakesActivation)
{
    public string Spec { get; } = spec;
    public bool TakesActivation { get; } = TakesActivation;
    public bool ReadsVector { get; init; }
    public Activation Activation { get; set; } = Activation.None;
    public OnnxNode? ActivationNode { get; set; }

    /// <summary>LeakyReLU's slope (the LeakyRelu node's alpha).</summary>
    public float Slope { get; set; } = LayerSpec.DefaultSlope;

    /// <summary>The layer's spec text with its activation and, when it differs from the default, its slope.</summary>
    public string Text => Activation == Activation.None ? Spec
        : Slope == LayerSpec.DefaultSlope ? $"{Spec} {Activation}"
        : $"{Spec} {Activation} slope={LayerSpec.SlopeText(Slope)}";
    public float[] Weights { get; init; } = [];
    public float[] Biases { get; init; } = [];
    public float[] State { get; init; } = [];
}
