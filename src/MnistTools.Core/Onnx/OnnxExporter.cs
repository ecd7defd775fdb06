using System.Globalization;
using MnistTools.Persistence;

namespace MnistTools.Onnx;

/// <summary>
/// Writes a network's inference graph as an ONNX model (IR version 7, default-domain opset 13), encoded by hand
/// with <see cref="ProtoWriter"/> so the module ships no protobuf or ONNX dependency.
/// <code>
/// input  "input"  float [N, LayerSizes[0]]   grey levels / 255, exactly what Network.Predict takes
/// per layer l:  Gemm(prev, layers.l.weight [out, in], layers.l.bias [out], transB = 1) -> "layers.l.linear"
///               hidden: Sigmoid | Relu | Tanh | LeakyRelu(alpha = 0.01);  last: Sigmoid | Softmax(axis = 1)
/// output "scores" float [N, LayerSizes[^1]]  the output layer's activations
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
    private static class Attribute { public const int Name = 1, F = 2, I = 3, Type = 20; public const int TypeFloat = 1, TypeInt = 2; }
    private static class Tensor { public const int Dims = 1, DataType = 2, Name = 8, RawData = 9; public const int Float = 1; }
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

    /// <summary>The ONNX model of the network in <paramref name="snapshot"/> as bytes (parameters in <see cref="ParameterLayout"/> order).</summary>
    public static byte[] ToBytes(NetworkSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var layout = new ParameterLayout(snapshot.LayerSizes);
        if (snapshot.Parameters.Length != layout.ParameterCount)
            throw new MnistToolsException("NetworkSnapshotInvalid", FailureKind.InvalidArgument,
                $"The parameters hold {snapshot.Parameters.Length} values; the architecture has {layout.ParameterCount}.", "Network");

        var graph = new ProtoWriter()
            .String(Graph.Name, "mnisttools")
            .String(Graph.DocString, Describe(snapshot));
        string previous = InputName;
        for (int l = 0; l < layout.LayerCount; l++)
        {
            string weight = NetworkFileFormat.WeightName(l), bias = NetworkFileFormat.BiasName(l), linear = $"layers.{l}.linear";
            int inputs = layout.LayerSizes[l], outputs = layout.LayerSizes[l + 1];
            graph.Message(Graph.Initializer, TensorMessage(weight, new long[] { outputs, inputs }, layout.Weights(snapshot.Parameters.AsSpan(), l)));
            graph.Message(Graph.Initializer, TensorMessage(bias, new long[] { outputs }, layout.Biases(snapshot.Parameters.AsSpan(), l)));
            graph.Message(Graph.Node, NodeMessage($"layers.{l}.gemm", "Gemm", new[] { previous, weight, bias }, linear,
                new ProtoWriter().String(Attribute.Name, "transB").Int64(Attribute.I, 1).Int64(Attribute.Type, Attribute.TypeInt)));

            bool last = l == layout.LayerCount - 1;
            string activated = last ? OutputName : $"layers.{l}.activation";
            graph.Message(Graph.Node, last ? OutputNode(snapshot.OutputActivation, linear, activated) : HiddenNode(snapshot.Activation, l, linear, activated));
            previous = activated;
        }
        graph.Message(Graph.Input, ValueInfoMessage(InputName, layout.InputSize));
        graph.Message(Graph.Output, ValueInfoMessage(OutputName, layout.OutputSize));

        var model = new ProtoWriter()
            .Int64(Model.IrVersion, IrVersion)
            .String(Model.ProducerName, "MnistTools")
            .String(Model.ProducerVersion, typeof(OnnxExporter).Assembly.GetName().Version?.ToString(3) ?? "0.0.0")
            .String(Model.Domain, "mnisttools")
            .Int64(Model.ModelVersion, 1)
            .String(Model.DocString, Describe(snapshot))
            .Message(Model.OpsetImport, new ProtoWriter().String(OperatorSet.Domain, "").Int64(OperatorSet.Version, OpsetVersion))
            .Message(Model.Graph, graph);
        foreach ((string key, string value) in MetadataProps(snapshot))
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

    private static string Describe(NetworkSnapshot s) =>
        $"{string.Join('-', s.LayerSizes)} {s.Activation}/{s.OutputActivation} network exported by MnistTools. " +
        $"Input '{InputName}' [N, {s.LayerSizes[0]}]: grey levels divided by 255. Output '{OutputName}' [N, {s.LayerSizes[^1]}]: class scores.";

    private static IEnumerable<(string, string)> MetadataProps(NetworkSnapshot s)
    {
        yield return ("mnisttools.layer_sizes", string.Join(',', s.LayerSizes.Select(v => v.ToString(CultureInfo.InvariantCulture))));
        yield return ("mnisttools.activation", s.Activation.ToString());
        yield return ("mnisttools.output_activation", s.OutputActivation.ToString());
        yield return ("mnisttools.loss", s.Loss.ToString());
        yield return ("mnisttools.epochs_trained", s.EpochsTrained.ToString(CultureInfo.InvariantCulture));
        yield return ("mnisttools.input_scaling", "pixel / 255");
        foreach ((string key, string value) in s.Metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
            yield return (NetworkFileFormat.UserPrefix + key, value);
    }

    private static ProtoWriter HiddenNode(Activation activation, int layer, string input, string output)
    {
        string name = $"layers.{layer}.{activation.ToString().ToLowerInvariant()}";
        return activation switch
        {
            Activation.Sigmoid => NodeMessage(name, "Sigmoid", new[] { input }, output),
            Activation.ReLU => NodeMessage(name, "Relu", new[] { input }, output),
            Activation.Tanh => NodeMessage(name, "Tanh", new[] { input }, output),
            Activation.LeakyReLU => NodeMessage(name, "LeakyRelu", new[] { input }, output,
                new ProtoWriter().String(Attribute.Name, "alpha").Float(Attribute.F, ParameterLayout.LeakyReLUSlope).Int64(Attribute.Type, Attribute.TypeFloat)),
            _ => throw new MnistToolsException("UnknownEnumValue", FailureKind.InvalidArgument, $"{activation} is not a valid Activation.", "Activation"),
        };
    }

    private static ProtoWriter OutputNode(OutputActivation activation, string input, string output) => activation switch
    {
        OutputActivation.Sigmoid => NodeMessage("output.sigmoid", "Sigmoid", new[] { input }, output),
        OutputActivation.Softmax => NodeMessage("output.softmax", "Softmax", new[] { input }, output,
            new ProtoWriter().String(Attribute.Name, "axis").Int64(Attribute.I, 1).Int64(Attribute.Type, Attribute.TypeInt)),
        _ => throw new MnistToolsException("UnknownEnumValue", FailureKind.InvalidArgument, $"{activation} is not a valid OutputActivation.", "OutputActivation"),
    };

    private static ProtoWriter NodeMessage(string name, string opType, string[] inputs, string output, params ProtoWriter[] attributes)
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
