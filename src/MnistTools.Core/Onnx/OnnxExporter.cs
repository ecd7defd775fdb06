using System.Globalization;
using MnistTools.Errors;
using MnistTools.Files;
using MnistTools.Layers;
using MnistTools.Persistence;

namespace MnistTools.Onnx;

/// <summary>
/// Writes a network's inference graph as an ONNX model (IR version 7, default-domain opset 13), encoded by hand
/// with <see cref="ProtoWriter"/> so the module ships no protobuf or ONNX dependency.
/// <code>
/// input  "input"  float [N, InputSize]   grey levels / 255, exactly what Network.Predict takes;
///        Reshape to [N, C, H, W] first when the network's input is an image
/// per layer l of the list, the nodes its kind adds (<see cref="LayerSpec.AddInferenceNodes"/>), named layers.l.*, e.g.
///   Dense     Gemm(prev, layers.l.weight [out, in], layers.l.bias [out], transB = 1)
///   Conv2d    Conv(prev, layers.l.weight [F, C, K, K], layers.l.bias [F], kernel_shape, strides, pads)
///   MaxPool2d MaxPool(prev, kernel_shape, strides)          Flatten   Flatten(prev, axis = 1)
///   Dropout   nothing (the identity at inference)
///   then its activation: Sigmoid | Relu | Tanh | LeakyRelu(alpha = the layer's slope); the last layer Sigmoid | Softmax(axis = 1)
/// output "scores" float [N, classes]  the output layer's activations
/// </code>
/// </summary>
public static class OnnxExporter
{
    public const int OpsetVersion = 13;

    /// <summary>IR version 7 is the one released with opset 13 (ONNX 1.8).</summary>
    public const long IrVersion = 7;

    public const string InputName = "input";
    public const string OutputName = "scores";

    // onnx.proto field numbers (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto).
    private static class Model { public const int IrVersion = 1, ProducerName = 2, ProducerVersion = 3, Domain = 4, ModelVersion = 5, DocString = 6, Graph = 7, OpsetImport = 8, MetadataProps = 14; }
    private static class OperatorSet { public const int Domain = 1, Version = 2; }
    private static class StringEntry { public const int Key = 1, Value = 2; }
    private static class Graph { public const int Node = 1, Name = 2, Initializer = 5, DocString = 10, Input = 11, Output = 12; }
    private static class Node { public const int Input = 1, Output = 2, Name = 3, OpType = 4, Attribute = 5; }
    private static class Attribute { public const int Name = 1, F = 2, I = 3, Ints = 8, Type = 20; public const int TypeFloat = 1, TypeInt = 2, TypeInts = 7; }
    private static class Tensor { public const int Dims = 1, DataType = 2, Name = 8, RawData = 9; public const int Float = 1, Int64 = 7; }
    private static class ValueInfo { public const int Name = 1, Type = 2; }
    private static class TypeProto { public const int TensorType = 1, ElemType = 1, Shape = 2; }
    private static class Shape { public const int Dim = 1, DimValue = 1, DimParam = 2; }

    /// <summary>The ONNX model of <paramref name="network"/> as bytes.</summary>
    /// <exception cref="MnistToolsException">NetworkInUse (Busy) while another thread (runspace) trains the network.</exception>
    public static byte[] ToBytes(Network network)
    {
        ArgumentNullException.ThrowIfNull(network);
        network.CheckNotTrainedElsewhere("exported");
        return ToBytes(NetworkPersistence.ToSnapshot(network));
    }

    /// <summary>The ONNX model of the network in <paramref name="snapshot"/> as bytes.</summary>
    public static byte[] ToBytes(NetworkSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        NetworkArchitecture architecture = NetworkArchitecture.FromSnapshot(snapshot);
        if (snapshot.Parameters.Length != architecture.ParameterCount)
            throw new MnistToolsException(ErrorIds.NetworkSnapshotInvalid, FailureKind.InvalidArgument,
                $"The parameters hold {snapshot.Parameters.Length} values; the architecture has {architecture.ParameterCount}.", "Network");

        var graph = new ProtoWriter()
            .String(Graph.Name, "mnisttools")
            .String(Graph.DocString, Describe(architecture));
        string previous = InputName;
        if (architecture.InputShape.Length == 3)
        {
            long[] shape = { -1, architecture.InputShape[0], architecture.InputShape[1], architecture.InputShape[2] };
            graph.Message(Graph.Initializer, Int64TensorMessage("input.shape", shape));
            graph.Message(Graph.Node, NodeMessage("input.reshape", "Reshape", new[] { InputName, "input.shape" }, "input.image"));
            previous = "input.image";
        }
        var slots = architecture.Slots(NetworkFileFormat.ParametersBuffer).Concat(architecture.Slots(NetworkFileFormat.StateBuffer))
            .ToDictionary(slot => slot.Name);
        IReadOnlyList<ResolvedLayer> layers = architecture.Layers;
        for (int l = 0; l < layers.Count; l++)
        {
            ResolvedLayer layer = layers[l];
            LayerSpec spec = layer.Spec;
            var nodes = new LayerNodes(graph, layer, l, slots, snapshot.Parameters, snapshot.State ?? []);
            previous = spec.AddInferenceNodes(nodes, layer, previous);
            if (l == layers.Count - 1)
            {
                // The architecture's check leaves Softmax or Sigmoid here (a version 1 snapshot's output activation too).
                graph.Message(Graph.Node, OutputNode(LayerSequence.OutputActivationOf([spec]), previous, OutputName));
                previous = OutputName;
            }
            else if (spec.Activation is not Activation.None)
            {
                string activated = $"layers.{l}.activation";
                graph.Message(Graph.Node, HiddenNode(spec.Activation, spec.Slope, l, previous, activated));
                previous = activated;
            }
        }
        graph.Message(Graph.Input, ValueInfoMessage(InputName, layers[0].InputSize));
        graph.Message(Graph.Output, ValueInfoMessage(OutputName, layers[^1].OutputSize));

        var model = new ProtoWriter()
            .Int64(Model.IrVersion, IrVersion)
            .String(Model.ProducerName, "MnistTools")
            .String(Model.ProducerVersion, typeof(OnnxExporter).Assembly.GetName().Version?.ToString(3) ?? "0.0.0")
            .String(Model.Domain, "mnisttools")
            .Int64(Model.ModelVersion, 1)
            .String(Model.DocString, Describe(architecture))
            .Message(Model.OpsetImport, new ProtoWriter().String(OperatorSet.Domain, "").Int64(OperatorSet.Version, OpsetVersion))
            .Message(Model.Graph, graph);
        foreach ((string key, string value) in MetadataProps(snapshot, architecture))
            model.Message(Model.MetadataProps, new ProtoWriter().String(StringEntry.Key, key).String(StringEntry.Value, value));
        return model.ToArray();
    }

    /// <summary>Writes the ONNX model of <paramref name="network"/> to <paramref name="path"/> atomically (see <see cref="AtomicFile"/>).</summary>
    /// <exception cref="MnistToolsException">NetworkInUse (Busy) while another thread (runspace) trains the network (nothing is
    /// written); AtomicFile's errors for the file.</exception>
    public static void Write(string path, Network network, bool overwrite, CancellationToken cancellationToken = default)
    {
        byte[] bytes = ToBytes(network);
        AtomicFile.Write(path, overwrite, (stream, _) => stream.Write(bytes), cancellationToken);
    }

    private static string Describe(NetworkArchitecture a) =>
        $"{a.Description} network on {string.Join('x', a.InputShape)} inputs, exported by MnistTools. " +
        $"Input '{InputName}' [N, {a.Layers[0].InputSize}]: grey levels divided by 255. Output '{OutputName}' [N, {a.Layers[^1].OutputSize}]: class scores.";

    private static IEnumerable<(string, string)> MetadataProps(NetworkSnapshot s, NetworkArchitecture a)
    {
        yield return ("mnisttools.input_shape", NetworkArchitecture.FormatShape(a.InputShape));
        yield return ("mnisttools.layers", a.Description);
        if (LayerSequence.DenseLayerSizes(a.Layers) is { } sizes)
            yield return ("mnisttools.layer_sizes", string.Join(',', sizes.Select(v => v.ToString(CultureInfo.InvariantCulture))));
        yield return ("mnisttools.loss", s.Loss.ToString());
        yield return ("mnisttools.epochs_trained", s.EpochsTrained.ToString(CultureInfo.InvariantCulture));
        yield return ("mnisttools.input_scaling", "pixel / 255");
        foreach ((string key, string value) in s.Metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
            yield return (NetworkFileFormat.UserPrefix + key, value);
    }

    /// <summary>The graph as one layer's kind writes into it: tensors and nodes named after layer <c>l</c>.</summary>
    private sealed class LayerNodes(ProtoWriter graph, ResolvedLayer layer, int index, IReadOnlyDictionary<string, NetworkFileFormat.TensorSlot> slots,
        float[] parameters, float[] state) : IInferenceGraph
    {
        private int _nodes;

        public (string Weight, string? Bias) AddParameters()
        {
            NetworkFileFormat.TensorSlot weight = slots[NetworkFileFormat.WeightName(index)];
            graph.Message(Graph.Initializer, TensorMessage(weight.Name, weight.Shape, parameters.AsSpan(weight.Offset, weight.Count)));
            if (!slots.TryGetValue(NetworkFileFormat.BiasName(index), out NetworkFileFormat.TensorSlot bias)) return (weight.Name, null);
            graph.Message(Graph.Initializer, TensorMessage(bias.Name, bias.Shape, parameters.AsSpan(bias.Offset, bias.Count)));
            return (weight.Name, bias.Name);
        }

        public IReadOnlyList<string> AddState()
        {
            var names = new List<string>();
            foreach ((string suffix, _) in layer.Spec.StateTensors(layer))
            {
                NetworkFileFormat.TensorSlot slot = slots[$"layers.{index}.{suffix}"];
                graph.Message(Graph.Initializer, TensorMessage(slot.Name, slot.Shape, state.AsSpan(slot.Offset, slot.Count)));
                names.Add(slot.Name);
            }
            return names;
        }

        /// <summary>The first node of a layer is <c>layers.l.&lt;op&gt;</c> with output <c>layers.l.output</c>; later ones
        /// are numbered.</summary>
        public string AddNode(string opType, IReadOnlyList<string> inputs, params GraphAttribute[] attributes)
        {
            string suffix = _nodes == 0 ? "" : $".{_nodes}";
            _nodes++;
            string output = $"layers.{index}.output{suffix}";
            graph.Message(Graph.Node, NodeMessage($"layers.{index}.{opType.ToLowerInvariant()}{suffix}", opType, inputs, output,
                attributes.Select(AttributeMessage).ToArray()));
            return output;
        }
    }

    private static ProtoWriter AttributeMessage(GraphAttribute attribute)
    {
        var message = new ProtoWriter().String(Attribute.Name, attribute.Name);
        if (attribute.Int is { } value) return message.Int64(Attribute.I, value).Int64(Attribute.Type, Attribute.TypeInt);
        if (attribute.Float is { } number) return message.Float(Attribute.F, number).Int64(Attribute.Type, Attribute.TypeFloat);
        foreach (long item in attribute.Ints ?? []) message.Int64(Attribute.Ints, item);
        return message.Int64(Attribute.Type, Attribute.TypeInts);
    }

    private static ProtoWriter Int64TensorMessage(string name, long[] values)
    {
        var tensor = new ProtoWriter().Int64(Tensor.Dims, values.Length).Int64(Tensor.DataType, Tensor.Int64).String(Tensor.Name, name);
        byte[] raw = new byte[values.Length * sizeof(long)];
        for (int i = 0; i < values.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(i * sizeof(long)), values[i]);
        return tensor.Bytes(Tensor.RawData, raw);
    }

    private static ProtoWriter HiddenNode(Activation activation, float slope, int layer, string input, string output)
    {
        string name = $"layers.{layer}.{activation.ToString().ToLowerInvariant()}";
        return activation switch
        {
            Activation.Sigmoid => NodeMessage(name, "Sigmoid", new[] { input }, output),
            Activation.ReLU => NodeMessage(name, "Relu", new[] { input }, output),
            Activation.Tanh => NodeMessage(name, "Tanh", new[] { input }, output),
            Activation.LeakyReLU => NodeMessage(name, "LeakyRelu", new[] { input }, output,
                AttributeMessage(GraphAttribute.Of("alpha", slope))),
            _ => throw new MnistToolsException(ErrorIds.UnknownEnumValue, FailureKind.InvalidArgument, $"{activation} is not a valid Activation.", "Activation"),
        };
    }

    private static ProtoWriter OutputNode(Activation activation, string input, string output) => activation switch
    {
        Activation.Sigmoid => NodeMessage("output.sigmoid", "Sigmoid", new[] { input }, output),
        Activation.Softmax => NodeMessage("output.softmax", "Softmax", new[] { input }, output, AttributeMessage(GraphAttribute.Of("axis", 1))),
        _ => throw new MnistToolsException(ErrorIds.UnknownEnumValue, FailureKind.InvalidArgument, $"{activation} is not an output activation.", "OutputActivation"),
    };

    private static ProtoWriter NodeMessage(string name, string opType, IReadOnlyList<string> inputs, string output, params ProtoWriter[] attributes)
    {
        var node = new ProtoWriter();
        foreach (string input in inputs) node.String(Node.Input, input);
        node.String(Node.Output, output).String(Node.Name, name).String(Node.OpType, opType);
        foreach (ProtoWriter attribute in attributes) node.Message(Node.Attribute, attribute);
        return node;
    }

    private static ProtoWriter TensorMessage(string name, long[] dims, ReadOnlySpan<float> values)
    {
        var tensor = new ProtoWriter();
        foreach (long dim in dims) tensor.Int64(Tensor.Dims, dim);
        return tensor.Int64(Tensor.DataType, Tensor.Float).String(Tensor.Name, name).FloatsAsBytes(Tensor.RawData, values);
    }

    /// <summary>A float tensor value [N, <paramref name="width"/>] with a symbolic batch dimension.</summary>
    private static ProtoWriter ValueInfoMessage(string name, int width)
    {
        var shape = new ProtoWriter()
            .Message(Shape.Dim, new ProtoWriter().String(Shape.DimParam, "N"))
            .Message(Shape.Dim, new ProtoWriter().Int64(Shape.DimValue, width));
        var tensorType = new ProtoWriter().Int64(TypeProto.ElemType, Tensor.Float).Message(TypeProto.Shape, shape);
        return new ProtoWriter().String(ValueInfo.Name, name).Message(ValueInfo.Type, new ProtoWriter().Message(TypeProto.TensorType, tensorType));
    }
}
