using System.Runtime.InteropServices;
using System.Buffers.Binary;
using MnistTools.Errors;

namespace MnistTools.Onnx;

/// <summary>
/// Reads an ONNX ModelProto into an <see cref="OnnxModel"/> with <see cref="ProtoReader"/>: every count and tensor size
/// is checked against the bytes that hold it, so a model never takes more memory than a few times its file's size.
/// Field numbers are onnx.proto's; unknown fields are skipped. Failures are <see cref="ErrorIds.OnnxModelInvalid"/>.
/// </summary>
internal static class OnnxModelReader
{
    /// <summary>Largest ONNX file read (the flat parameter buffer's bound is far below it).</summary>
    public const long MaxFileBytes = 1L << 30;

    public static OnnxModel Read(ReadOnlyMemory<byte> bytes, string source)
    {
        var model = new ProtoReader(bytes, source);
        long ir = 0;
        string producer = "";
        var opsets = new List<(string, long)>();
        OnnxGraph? graph = null;
        while (model.Next(out int field, out int wire))
        {
            switch (field)
            {
                case 1 when wire == ProtoReader.Varint: ir = model.ReadInt64(); break;
                case 2 when wire == ProtoReader.LengthDelimited: producer = model.ReadString(); break;
                case 7 when wire == ProtoReader.LengthDelimited: graph = ReadGraph(model.ReadMessage()); break;
                case 8 when wire == ProtoReader.LengthDelimited: opsets.Add(ReadOpset(model.ReadMessage())); break;
                default: model.Skip(wire); break;
            }
        }
        if (graph is null) throw ProtoReader.Invalid(source, "it has no graph");
        return new OnnxModel(ir, producer, opsets, graph);
    }

    private static (string, long) ReadOpset(ProtoReader reader)
    {
        string domain = "";
        long version = 0;
        while (reader.Next(out int field, out int wire))
        {
            if (field == 1 && wire == ProtoReader.LengthDelimited) domain = reader.ReadString();
            else if (field == 2 && wire == ProtoReader.Varint) version = reader.ReadInt64();
            else reader.Skip(wire);
        }
        return (domain, version);
    }

    private static OnnxGraph ReadGraph(ProtoReader reader)
    {
        var nodes = new List<OnnxNode>();
        var initializers = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        var inputs = new List<OnnxValueInfo>();
        var outputs = new List<OnnxValueInfo>();
        while (reader.Next(out int field, out int wire))
        {
            if (wire != ProtoReader.LengthDelimited) { reader.Skip(wire); continue; }
            switch (field)
            {
                case 1: nodes.Add(ReadNode(reader.ReadMessage())); break;
                case 5:
                    OnnxTensor tensor = ReadTensor(reader.ReadMessage());
                    if (!initializers.TryAdd(tensor.Name, tensor))
                        throw ProtoReader.Invalid(reader.Source, $"two initializers are named '{MessageText.Quote(tensor.Name)}'");
                    break;
                case 11: inputs.Add(ReadValueInfo(reader.ReadMessage())); break;
                case 12: outputs.Add(ReadValueInfo(reader.ReadMessage())); break;
                default: reader.Skip(wire); break;
            }
        }
        return new OnnxGraph(nodes, initializers, inputs, outputs);
    }

    private static OnnxNode ReadNode(ProtoReader reader)
    {
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new Dictionary<string, OnnxAttribute>(StringComparer.Ordinal);
        string name = "", op = "", domain = "";
        while (reader.Next(out int field, out int wire))
        {
            if (wire != ProtoReader.LengthDelimited) { reader.Skip(wire); continue; }
            switch (field)
            {
                case 1: inputs.Add(reader.ReadString()); break;
                case 2: outputs.Add(reader.ReadString()); break;
                case 3: name = reader.ReadString(); break;
                case 4: op = reader.ReadString(); break;
                case 5:
                    OnnxAttribute attribute = ReadAttribute(reader.ReadMessage());
                    if (!attributes.TryAdd(attribute.Name, attribute))
                        throw ProtoReader.Invalid(reader.Source, $"node '{MessageText.Quote(name)}' has two attributes named '{MessageText.Quote(attribute.Name)}'");
                    break;
                case 7: domain = reader.ReadString(); break;
                default: reader.Skip(wire); break;
            }
        }
        return new OnnxNode(name, op, domain, inputs, outputs, attributes);
    }

    private static OnnxAttribute ReadAttribute(ProtoReader reader)
    {
        string name = "";
        int type = 0;
        float f = 0;
        long i = 0;
        string? s = null;
        var floats = new List<float>();
        var ints = new List<long>();
        OnnxTensor? tensor = null;
        while (reader.Next(out int field, out int wire))
        {
            switch (field)
            {
                case 1 when wire == ProtoReader.LengthDelimited: name = reader.ReadString(); break;
                case 2 when wire == ProtoReader.Fixed32: f = reader.ReadFloat(); break;
                case 3 when wire == ProtoReader.Varint: i = reader.ReadInt64(); break;
                case 4 when wire == ProtoReader.LengthDelimited: s = reader.ReadString(); break;
                case 5 when wire == ProtoReader.LengthDelimited: tensor = ReadTensor(reader.ReadMessage()); break;
                case 7: reader.ReadFloats(wire, floats); break;
                case 8: reader.ReadInt64s(wire, ints); break;
                case 20 when wire == ProtoReader.Varint: type = (int)Math.Clamp(reader.ReadInt64(), 0, int.MaxValue); break;
                default: reader.Skip(wire); break;
            }
        }
        return new OnnxAttribute(name, type, f, i, s, floats, ints, tensor);
    }

    private static OnnxTensor ReadTensor(ProtoReader reader)
    {
        var dims = new List<long>();
        var floatData = new List<float>();
        var int64Data = new List<long>();
        ReadOnlyMemory<byte>? raw = null;
        string name = "";
        int dataType = 0;
        bool external = false;
        while (reader.Next(out int field, out int wire))
        {
            switch (field)
            {
                case 1: reader.ReadInt64s(wire, dims); break;
                case 2 when wire == ProtoReader.Varint: dataType = (int)Math.Clamp(reader.ReadInt64(), 0, int.MaxValue); break;
                case 4: reader.ReadFloats(wire, floatData); break;
                case 7: reader.ReadInt64s(wire, int64Data); break;
                case 8 when wire == ProtoReader.LengthDelimited: name = reader.ReadString(); break;
                case 9 when wire == ProtoReader.LengthDelimited: raw = reader.ReadBytes(); break;
                case 13: external = true; reader.Skip(wire); break;
                case 14 when wire == ProtoReader.Varint: external |= reader.ReadInt64() == 1; break;
                default: reader.Skip(wire); break;
            }
        }
        string what = $"tensor '{MessageText.Quote(name)}'";
        if (external) throw ProtoReader.Invalid(reader.Source, $"{what} keeps its data in an external file, which is not read");
        long count = 1;
        foreach (long dim in dims)
        {
            if (dim < 0) throw ProtoReader.Invalid(reader.Source, $"{what} has the negative dimension {dim}");
            // A count beyond the input's bytes can never be backed by data; stop before the product overflows.
            count = dim == 0 ? 0 : count > MaxFileBytes / dim ? MaxFileBytes + 1 : count * dim;
        }
        float[]? floats = null;
        long[]? int64s = null;
        if (dataType == OnnxTensor.Float)
        {
            if (raw is { } bytes)
            {
                if (bytes.Length != count * 4)
                    throw ProtoReader.Invalid(reader.Source, $"{what} has shape [{string.Join(",", dims)}] ({count} floats) but {bytes.Length} bytes of raw data");
                floats = new float[count];
                if (BitConverter.IsLittleEndian) bytes.Span.CopyTo(MemoryMarshal.AsBytes(floats.AsSpan()));
                else for (int k = 0; k < floats.Length; k++) floats[k] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Span.Slice(4 * k, 4));
            }
            else if (floatData.Count != count)
                throw ProtoReader.Invalid(reader.Source, $"{what} has shape [{string.Join(",", dims)}] ({count} floats) but {floatData.Count} values");
            else floats = floatData.ToArray();
        }
        else if (dataType == OnnxTensor.Int64)
        {
            if (raw is { } bytes)
            {
                if (bytes.Length != count * 8)
                    throw ProtoReader.Invalid(reader.Source, $"{what} has shape [{string.Join(",", dims)}] ({count} int64s) but {bytes.Length} bytes of raw data");
                int64s = new long[count];
                for (int k = 0; k < int64s.Length; k++) int64s[k] = BinaryPrimitives.ReadInt64LittleEndian(bytes.Span.Slice(8 * k, 8));
            }
            else if (int64Data.Count != count)
                throw ProtoReader.Invalid(reader.Source, $"{what} has shape [{string.Join(",", dims)}] ({count} int64s) but {int64Data.Count} values");
            else int64s = int64Data.ToArray();
        }
        return new OnnxTensor(name, dims.ToArray(), dataType, floats, int64s);
    }

    private static OnnxValueInfo ReadValueInfo(ProtoReader reader)
    {
        string name = "";
        int elemType = 0;
        long?[]? dims = null;
        while (reader.Next(out int field, out int wire))
        {
            if (field == 1 && wire == ProtoReader.LengthDelimited) name = reader.ReadString();
            else if (field == 2 && wire == ProtoReader.LengthDelimited)
            {
                ProtoReader type = reader.ReadMessage();
                while (type.Next(out int typeField, out int typeWire))
                {
                    if (typeField != 1 || typeWire != ProtoReader.LengthDelimited) { type.Skip(typeWire); continue; }
                    ProtoReader tensorType = type.ReadMessage();
                    while (tensorType.Next(out int tf, out int tw))
                    {
                        if (tf == 1 && tw == ProtoReader.Varint) elemType = (int)Math.Clamp(tensorType.ReadInt64(), 0, int.MaxValue);
                        else if (tf == 2 && tw == ProtoReader.LengthDelimited) dims = ReadShape(tensorType.ReadMessage());
                        else tensorType.Skip(tw);
                    }
                }
            }
            else reader.Skip(wire);
        }
        return new OnnxValueInfo(name, elemType, dims);
    }

    private static long?[] ReadShape(ProtoReader reader)
    {
        var dims = new List<long?>();
        while (reader.Next(out int field, out int wire))
        {
            if (field != 1 || wire != ProtoReader.LengthDelimited) { reader.Skip(wire); continue; }
            ProtoReader dim = reader.ReadMessage();
            long? value = null;
            while (dim.Next(out int df, out int dw))
            {
                if (df == 1 && dw == ProtoReader.Varint) value = dim.ReadInt64();
                else dim.Skip(dw);
            }
            dims.Add(value);
        }
        return dims.ToArray();
    }
}
