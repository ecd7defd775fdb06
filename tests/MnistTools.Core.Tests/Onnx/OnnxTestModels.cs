using MnistTools.Onnx;

namespace MnistTools.Tests.Onnx;

/// <summary>
/// Small ONNX models written with the exporter's <see cref="ProtoWriter"/> (onnx.proto's field numbers), for the
/// importer's error paths and the fuzzers' seeds: a graph is a list of nodes, float initializers and one input.
/// </summary>
internal static class OnnxTestModels
{
    internal sealed record Node(string Op, string[] Inputs, string Output, params (string Name, object Value)[] Attributes);

    internal sealed record Tensor(string Name, long[] Dims, float[]? Floats = null, long[]? Int64s = null);

    /// <summary>A model: opset <paramref name="opset"/>, input "x" of <paramref name="inputDims"/> (null = N), output <paramref name="output"/>.</summary>
    public static byte[] Build(IEnumerable<Node> nodes, IEnumerable<Tensor> initializers, long?[] inputDims, string output, long opset = 13)
    {
        var graph = new ProtoWriter().String(2, "test");
        foreach (Node node in nodes)
        {
            var n = new ProtoWriter();
            foreach (string input in node.Inputs) n.String(1, input);
            n.String(2, node.Output).String(3, node.Op.ToLowerInvariant() + "_" + node.Output).String(4, node.Op);
            foreach ((string name, object value) in node.Attributes)
            {
                var a = new ProtoWriter().String(1, name);
                switch (value)
                {
                    case float f: a.Float(2, f).Int64(20, 1); break;
                    case long i: a.Int64(3, i).Int64(20, 2); break;
                    case int i: a.Int64(3, i).Int64(20, 2); break;
                    case string s: a.String(4, s).Int64(20, 3); break;
                    case long[] ints: foreach (long i in ints) a.Int64(8, i); a.Int64(20, 7); break;
                    case Tensor t: a.Message(5, TensorMessage(t)).Int64(20, 4); break;
                    default: throw new ArgumentException($"attribute {name}: {value.GetType()}");
                }
                n.Message(5, a);
            }
            graph.Message(1, n);
        }
        foreach (Tensor t in initializers) graph.Message(5, TensorMessage(t));
        graph.Message(11, ValueInfo("x", inputDims));
        graph.Message(12, ValueInfo(output, [null, null]));
        return new ProtoWriter().Int64(1, 7).String(2, "test").Message(7, graph).Message(8, new ProtoWriter().String(1, "").Int64(2, opset)).ToArray();
    }

    public static ProtoWriter TensorMessage(Tensor t)
    {
        var w = new ProtoWriter();
        foreach (long d in t.Dims) w.Int64(1, d);
        if (t.Int64s is { } ints)
        {
            w.Int64(2, 7);
            foreach (long v in ints) w.Int64(7, v);
        }
        else
        {
            w.Int64(2, 1);
            w.FloatsAsBytes(9, t.Floats ?? []);
        }
        return w.String(8, t.Name);
    }

    private static ProtoWriter ValueInfo(string name, long?[] dims)
    {
        var shape = new ProtoWriter();
        foreach (long? d in dims) shape.Message(1, d is { } v ? new ProtoWriter().Int64(1, v) : new ProtoWriter().String(2, "N"));
        var tensorType = new ProtoWriter().Int64(1, 1).Message(2, shape);
        return new ProtoWriter().String(1, name).Message(2, new ProtoWriter().Message(1, tensorType));
    }

    /// <summary>Floats 0.01 * (i % 7 - 3) for tensors whose values do not matter.</summary>
    public static float[] Values(int count) => Enumerable.Range(0, count).Select(i => 0.01f * (i % 7 - 3)).ToArray();

    /// <summary>A valid [N, 1, 6, 6] model: Conv 2x3x3 + Relu, MaxPool 2, Flatten, Gemm 8 -> 3, Softmax.</summary>
    public static byte[] SmallConv() => Build(
        [
            new Node("Conv", ["x", "w1", "b1"], "c", ("kernel_shape", new long[] { 3, 3 })),
            new Node("Relu", ["c"], "r"),
            new Node("MaxPool", ["r"], "p", ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 })),
            new Node("Flatten", ["p"], "f"),
            new Node("Gemm", ["f", "w2", "b2"], "g", ("transB", 1L)),
            new Node("Softmax", ["g"], "y"),
        ],
        [new Tensor("w1", [2, 1, 3, 3], Values(18)), new Tensor("b1", [2], Values(2)), new Tensor("w2", [3, 8], Values(24)), new Tensor("b2", [3], Values(3))],
        [null, 1, 6, 6], "y");
}
