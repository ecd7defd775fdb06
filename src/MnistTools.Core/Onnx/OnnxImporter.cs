using MnistTools.Errors;
using MnistTools.Files;
using MnistTools.Layers;
using MnistTools.Persistence;

namespace MnistTools.Onnx;

/// <summary>
/// Reads an ONNX model whose graph is a chain MnistTools can express and builds the <see cref="Network"/> it computes.
/// <code>
/// input  one float tensor [N, values] or [N, C, H, W] (N symbolic or 1): grey level / 255, as MnistTools feeds it
/// chain  from the input, each value read by exactly one node of <see cref="OnnxOperators.All"/> (Shape nodes of the
///        view chain aside), each mapped to a layer, an activation of the layer before it, or nothing
/// output the last node's value is the graph's one output; the last layer is a Dense (Gemm, MatMul+Add) whose
///        activation is the output's: Softmax (Softmax, LogSoftmax, or none: a linear output becomes Softmax) or Sigmoid
/// </code>
/// The network trains with CrossEntropy; its parameters are the initializers in the flat buffer's order (per layer
/// weights then biases; Dense [units, inputs], Conv2d [F, C, K, K]) and BatchNorm's running statistics are its state.
/// </summary>
public static class OnnxImporter
{
    /// <summary>Opsets of the default domain read.</summary>
    public const int MinOpset = 11, MaxOpset = 17;

    /// <summary>Reads the ONNX model at <paramref name="path"/>.</summary>
    /// <exception cref="MnistToolsException">NetworkFileNotFound, PathIsDirectory, NetworkFileReadFailed for the file;
    /// OnnxModelInvalid, OnnxOpsetUnsupported, OnnxOperatorUnsupported, OnnxAttributeUnsupported, OnnxGraphNotAChain
    /// (InvalidData, target the path) for its content.</exception>
    public static Network Load(string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        string fullPath = Path.GetFullPath(path);
        if (RegularFile.CheckReadable(fullPath) == FileKind.Directory)
            throw new MnistToolsException(ErrorIds.PathIsDirectory, FailureKind.InvalidArgument, $"'{fullPath}' is a folder; an ONNX file was expected.", fullPath);
        if (!File.Exists(fullPath))
            throw new MnistToolsException(ErrorIds.NetworkFileNotFound, FailureKind.NotFound, $"Cannot find the ONNX file '{fullPath}'.", fullPath);
        byte[] bytes;
        try
        {
            using FileStream file = RegularFile.OpenRead(fullPath);
            if (file.Length > OnnxModelReader.MaxFileBytes)
                throw ProtoReader.Invalid(fullPath, $"it has {file.Length} bytes, more than the {OnnxModelReader.MaxFileBytes} read");
            bytes = new byte[file.Length];
            file.ReadExactly(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MnistToolsException(ErrorIds.NetworkFileReadFailed, FailureKind.ReadWrite, $"Cannot read '{fullPath}': {e.Message}", fullPath, e);
        }
        cancellationToken.ThrowIfCancellationRequested();
        return FromBytes(bytes, fullPath);
    }

    /// <summary>The network of the ONNX model in <paramref name="bytes"/>; <paramref name="source"/> names it in errors.</summary>
    public static Network FromBytes(ReadOnlyMemory<byte> bytes, string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        OnnxModel model = OnnxModelReader.Read(bytes, source);
        long opset = CheckOpset(model, source);
        OnnxChain chain = Walk(model.Graph, source, opset);
        return Build(chain, model);
    }

    private static long CheckOpset(OnnxModel model, string source)
    {
        long? opset = null;
        foreach ((string domain, long version) in model.Opsets)
            if (domain is "" or "ai.onnx") opset = version;
        if (opset is not { } v || v < MinOpset || v > MaxOpset)
            throw new MnistToolsException(ErrorIds.OnnxOpsetUnsupported, FailureKind.InvalidData,
                $"Cannot import '{MessageText.Quote(source)}': it imports {(opset is null ? "no default-domain opset" : $"opset {opset}")}; opsets {MinOpset} to {MaxOpset} are read.", source);
        return v;
    }

    private static OnnxChain Walk(OnnxGraph graph, string source, long opset)
    {
        OnnxValueInfo[] inputs = graph.Inputs.Where(i => !graph.Initializers.ContainsKey(i.Name)).ToArray();
        if (inputs.Length != 1)
            throw Fail(ErrorIds.OnnxGraphNotAChain, source, $"the graph has {inputs.Length} inputs besides its initializers; one image input is needed.");
        OnnxValueInfo input = inputs[0];
        (int[] shape, long[] onnxShape) = InputShape(input, source);
        if (graph.Outputs.Count != 1)
            throw Fail(ErrorIds.OnnxGraphNotAChain, source, $"the graph has {graph.Outputs.Count} outputs; one (the class scores) is needed.");

        var chain = new OnnxChain(graph, source, opset, input.Name, shape, onnxShape);
        var visited = new HashSet<OnnxNode>(ReferenceEqualityComparer.Instance);
        while (true)
        {
            string current = chain.Current;
            OnnxNode[] readers = graph.Nodes.Where(n => n.Inputs.Contains(current) && n.OpType != "Shape" && !chain.Used.Contains(n)).ToArray();
            if (readers.Length == 0) break;
            if (readers.Length > 1)
                throw chain.Fail(ErrorIds.OnnxGraphNotAChain, readers[1],
                    $"reads '{MessageText.Quote(current)}' as {readers[0]} does; the graph branches there, and a network is a chain.");
            OnnxNode node = readers[0];
            if (!visited.Add(node)) throw chain.Fail(ErrorIds.OnnxGraphNotAChain, node, "is reached twice: the graph has a cycle.");
            if (node.Domain is not ("" or "ai.onnx") || !OnnxOperators.All.ContainsKey(node.OpType))
                throw chain.Fail(ErrorIds.OnnxOperatorUnsupported, node, $"is not an operator MnistTools imports ({OnnxOperators.Names}).");
            if (chain.OutputDone && node.OpType is not ("Identity" or "Dropout"))
                throw chain.Fail(ErrorIds.OnnxGraphNotAChain, node, "follows the output's Softmax; the scores must be the graph's output.");
            OnnxOperators.All[node.OpType](chain, node);
        }
        if (chain.Current != graph.Outputs[0].Name)
            throw Fail(ErrorIds.OnnxGraphNotAChain, source, $"the chain from the input ends at '{MessageText.Quote(chain.Current)}', which is not the graph's output '{MessageText.Quote(graph.Outputs[0].Name)}'.");
        foreach (OnnxNode node in graph.Nodes)
            if (!visited.Contains(node) && !chain.Used.Contains(node) && node.OpType != "Constant")
                throw chain.Fail(ErrorIds.OnnxGraphNotAChain, node, "is not on the chain from the input to the output.");
        return chain;
    }

    private static (int[] Shape, long[] OnnxShape) InputShape(OnnxValueInfo input, string source)
    {
        string what = $"the input '{MessageText.Quote(input.Name)}'";
        if (input.ElemType != OnnxTensor.Float)
            throw Fail(ErrorIds.OnnxAttributeUnsupported, source, $"{what} has element type {input.ElemType}; float (1) is needed.");
        long?[] dims = input.Dims ?? throw Fail(ErrorIds.OnnxAttributeUnsupported, source, $"{what} has no shape.");
        string text = "[" + string.Join(",", dims.Select(d => d?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "N")) + "]";
        bool fits = dims.Length is 2 or 4 && dims[0] is null or 1 && dims.Skip(1).All(d => d is >= 1 and <= LayerSequence.MaxValuesPerImage)
            && dims.Skip(1).Aggregate(1L, (a, d) => a * d!.Value) <= LayerSequence.MaxValuesPerImage;
        if (!fits)
            throw Fail(ErrorIds.OnnxAttributeUnsupported, source, $"{what} has the shape {text}; [N, values] or [N, C, H, W] with N dynamic or 1 is needed.");
        int[] shape = dims.Skip(1).Select(d => (int)d!.Value).ToArray();
        return (shape, [dims[0] is null ? OnnxChain.BatchDim : 1, .. shape.Select(d => (long)d)]);
    }

    private static Network Build(OnnxChain chain, OnnxModel model)
    {
        if (chain.Layers.Count == 0 || chain.Layers[^1] is not { ReadsVector: true } last)
            throw Fail(ErrorIds.OnnxGraphNotAChain, chain.Source, "the graph does not end in a Gemm or MatMul (+ Add) giving the class scores.");
        if (chain.FlattenPending)
            throw Fail(ErrorIds.OnnxGraphNotAChain, chain.Source, "the graph ends in a Flatten after its last Gemm.");
        switch (last.Activation)
        {
            case Activation.None: last.Activation = Activation.Softmax; break; // linear scores: trained with CrossEntropy, given as probabilities
            case Activation.Softmax or Activation.Sigmoid: break;
            default:
                throw chain.Fail(ErrorIds.OnnxOperatorUnsupported, last.ActivationNode!,
                    "is applied to the class scores; the output of a MnistTools network is Softmax, LogSoftmax, Sigmoid or linear.");
        }
        var specs = new List<LayerSpec>(chain.Layers.Count);
        var parameters = new List<float>();
        var state = new List<float>();
        foreach (PendingLayer layer in chain.Layers)
        {
            string text = layer.Text;
            try
            {
                specs.Add(LayerSpec.Parse(text));
            }
            catch (MnistToolsException e)
            {
                throw Fail(ErrorIds.OnnxAttributeUnsupported, chain.Source, $"the layer '{MessageText.Quote(text)}' it reads is not one MnistTools can build: {e.Message}");
            }
            parameters.AddRange(layer.Weights);
            parameters.AddRange(layer.Biases);
            state.AddRange(layer.State);
        }
        Activation hidden = specs.Take(specs.Count - 1).Select(s => s.Activation).FirstOrDefault(ActivationRoles.IsHidden, Activation.ReLU);
        var snapshot = new NetworkSnapshot
        {
            InputShape = chain.InputShape,
            Layers = specs,
            Activation = hidden == Activation.None ? Activation.ReLU : hidden,
            Loss = Loss.CrossEntropy,
            Initializer = Initializer.Default,
            Seed = 0,
            EpochsTrained = 0,
            Parameters = parameters.ToArray(),
            State = state.Count > 0 ? state.ToArray() : null,
            Metadata = model.Producer.Length > 0
                ? new Dictionary<string, string> { ["ImportedFrom"] = Path.GetFileName(chain.Source), ["OnnxProducer"] = model.Producer }
                : new Dictionary<string, string> { ["ImportedFrom"] = Path.GetFileName(chain.Source) },
        };
        return NetworkPersistence.FromSnapshot(snapshot, chain.Source);
    }

    private static MnistToolsException Fail(string errorId, string source, string reason) =>
        new(errorId, FailureKind.InvalidData, $"Cannot import '{MessageText.Quote(source)}': {reason}", source);
}
