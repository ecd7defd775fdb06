using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace MnistTools.Onnx;

/// <summary>
/// The few pieces of the protocol-buffers wire format that an ONNX model needs: varints (wire type 0),
/// length-delimited fields (2: strings, bytes, nested messages, packed repeated scalars) and fixed32 floats (5).
/// A nested message is built in its own writer and then copied in with its length prefix.
/// </summary>
internal sealed class ProtoWriter
{
    private const int Varint = 0, LengthDelimited = 2, Fixed32 = 5;

    private readonly MemoryStream _buffer = new();

    public long Length => _buffer.Length;

    public byte[] ToArray() => _buffer.ToArray();

    /// <summary>An int32/int64/enum field: two's complement as a (possibly 10-byte) varint, as protobuf specifies.</summary>
    public ProtoWriter Int64(int field, long value)
    {
        Tag(field, Varint);
        WriteVarint(unchecked((ulong)value));
        return this;
    }

    public ProtoWriter Float(int field, float value)
    {
        Tag(field, Fixed32);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        _buffer.Write(bytes);
        return this;
    }

    public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, LengthDelimited);
        WriteVarint((ulong)value.Length);
        _buffer.Write(value);
        return this;
    }

    /// <summary>Floats as little-endian bytes in a length-delimited field (TensorProto.raw_data).</summary>
    public ProtoWriter FloatsAsBytes(int field, ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian) return Bytes(field, MemoryMarshal.AsBytes(values));
        byte[] bytes = new byte[values.Length * sizeof(float)];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        return Bytes(field, bytes);
    }

    public ProtoWriter Message(int field, ProtoWriter message)
    {
        Tag(field, LengthDelimited);
        WriteVarint((ulong)message._buffer.Length);
        message._buffer.Position = 0;
        message._buffer.CopyTo(_buffer);
        return this;
    }

    private void Tag(int field, int wireType) => WriteVarint((ulong)field << 3 | (uint)wireType);

    private void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _buffer.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        _buffer.WriteByte((byte)value);
    }
}
