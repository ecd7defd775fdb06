using System.Buffers.Binary;
using System.Text;
using MnistTools.Errors;

namespace MnistTools.Onnx;

/// <summary>
/// A bounded reader of the protocol-buffers wire format over bytes in memory: varints (wire type 0), fixed64 (1),
/// length-delimited fields (2) and fixed32 (5). Every length is checked against the bytes that remain before it is used,
/// so nothing it returns is larger than the input; nested messages are read as sub-readers one level deeper, and more
/// than <see cref="MaxDepth"/> levels is refused. Every failure is <see cref="ErrorIds.OnnxModelInvalid"/> against the
/// source.
/// </summary>
internal sealed class ProtoReader
{
    public const int Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5;

    /// <summary>Deepest nesting of messages read (ONNX needs about 8: model, graph, node, attribute, tensor...).</summary>
    public const int MaxDepth = 32;

    private readonly ReadOnlyMemory<byte> _bytes;
    private readonly string _source;
    private readonly int _depth;
    private int _position;

    public ProtoReader(ReadOnlyMemory<byte> bytes, string source, int depth = 0)
    {
        if (depth > MaxDepth) throw Invalid(source, $"messages are nested more than {MaxDepth} deep");
        _bytes = bytes;
        _source = source;
        _depth = depth;
    }

    /// <summary>The file or stream the bytes come from (error target).</summary>
    public string Source => _source;

    /// <summary>Bytes not read yet.</summary>
    public int Remaining => _bytes.Length - _position;

    /// <summary>The next field's number and wire type; false at the end of the message.</summary>
    public bool Next(out int field, out int wireType)
    {
        field = wireType = 0;
        if (_position >= _bytes.Length) return false;
        ulong tag = ReadVarint();
        wireType = (int)(tag & 7);
        ulong number = tag >> 3;
        if (number is 0 or > 536_870_911) throw Invalid(_source, $"field number {number} at byte {_position} is not valid");
        field = (int)number;
        return true;
    }

    public ulong ReadVarint()
    {
        ulong value = 0;
        ReadOnlySpan<byte> span = _bytes.Span;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (_position >= span.Length) throw Invalid(_source, "a varint runs past the end of its message");
            byte b = span[_position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw Invalid(_source, $"a varint at byte {_position} is longer than 10 bytes");
    }

    /// <summary>An int64 (two's complement varint).</summary>
    public long ReadInt64() => unchecked((long)ReadVarint());

    public float ReadFloat() => BinaryPrimitives.ReadSingleLittleEndian(Take(4).Span);

    /// <summary>The payload of a length-delimited field, checked against the bytes that remain.</summary>
    public ReadOnlyMemory<byte> ReadBytes()
    {
        ulong length = ReadVarint();
        if (length > (ulong)Remaining) throw Invalid(_source, $"a field declares {length} bytes and only {Remaining} remain");
        return Take((int)length);
    }

    public string ReadString()
    {
        ReadOnlyMemory<byte> bytes = ReadBytes();
        try
        {
            return new UTF8Encoding(false, true).GetString(bytes.Span);
        }
        catch (DecoderFallbackException)
        {
            throw Invalid(_source, "a string is not valid UTF-8");
        }
    }

    /// <summary>A nested message, one level deeper.</summary>
    public ProtoReader ReadMessage() => new(ReadBytes(), _source, _depth + 1);

    /// <summary>Skips a field of <paramref name="wireType"/> (unknown fields are legal in protobuf).</summary>
    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case Varint: ReadVarint(); break;
            case Fixed64: Take(8); break;
            case LengthDelimited: ReadBytes(); break;
            case Fixed32: Take(4); break;
            default: throw Invalid(_source, $"wire type {wireType} is not supported (groups or garbage)");
        }
    }

    /// <summary>Appends a repeated int64 field, packed (wire type 2) or one value per field (0); at most one value per byte read.</summary>
    public void ReadInt64s(int wireType, List<long> values)
    {
        if (wireType == Varint) { values.Add(ReadInt64()); return; }
        if (wireType != LengthDelimited) throw WrongType(wireType);
        var packed = new ProtoReader(ReadBytes(), _source, _depth + 1);
        while (packed.Remaining > 0) values.Add(packed.ReadInt64());
    }

    /// <summary>Appends a repeated float field, packed (wire type 2) or one value per field (5).</summary>
    public void ReadFloats(int wireType, List<float> values)
    {
        if (wireType == Fixed32) { values.Add(ReadFloat()); return; }
        if (wireType != LengthDelimited) throw WrongType(wireType);
        ReadOnlyMemory<byte> bytes = ReadBytes();
        if (bytes.Length % 4 != 0) throw Invalid(_source, $"packed floats take {bytes.Length} bytes, not a multiple of 4");
        for (int i = 0; i < bytes.Length; i += 4) values.Add(BinaryPrimitives.ReadSingleLittleEndian(bytes.Span.Slice(i, 4)));
    }

    /// <summary>The error for a field of the wrong wire type.</summary>
    public MnistToolsException WrongType(int wireType) => Invalid(_source, $"a field has the unexpected wire type {wireType}");

    /// <summary><see cref="ErrorIds.OnnxModelInvalid"/> (InvalidData) against <paramref name="source"/>.</summary>
    public static MnistToolsException Invalid(string source, string reason) =>
        new(ErrorIds.OnnxModelInvalid, FailureKind.InvalidData, $"'{MessageText.Quote(source)}' is not a valid ONNX model: {reason}.", source);

    private ReadOnlyMemory<byte> Take(int count)
    {
        if (count > Remaining) throw Invalid(_source, $"a field needs {count} bytes and only {Remaining} remain");
        ReadOnlyMemory<byte> slice = _bytes.Slice(_position, count);
        _position += count;
        return slice;
    }
}
