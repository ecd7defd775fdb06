using System.Buffers.Binary;
using CsCheck;

namespace MnistTools.Tests.Fuzz;

/// <summary>One byte-level edit of a valid file. Positions are fractions of the current length so they stay in range.</summary>
internal readonly record struct Mutation(MutationKind Kind, double Where, int Value, int Length)
{
    public override string ToString() => $"{Kind}@{Where:0.####} v={Value} n={Length}";
}

internal enum MutationKind { BitFlip, SetByte, Truncate, Insert, Delete, HeaderInt32, Duplicate }

/// <summary>Mutation generators (CsCheck) and their application to a byte array.</summary>
internal static class Mutations
{
    /// <summary>Values that break length arithmetic: zero, one, sign edges, powers of two and off-by-ones.</summary>
    private static readonly int[] InterestingInts =
        { 0, 1, -1, 2, 3, 27, 28, 255, 256, 4095, 4096, 4097, 65535, 65536, 1 << 20, (1 << 20) + 1, int.MaxValue, int.MinValue, int.MaxValue / 4, 0x7FFFFFF0 };

    private static readonly Gen<Mutation> One =
        Gen.Select(Gen.Int[0, 6], Gen.Int[0, 1_000_000], Gen.Int, Gen.Int[1, 64],
            (kind, where, value, length) => new Mutation((MutationKind)kind, where / 1_000_001.0, value, length));

    /// <summary>One to four mutations applied in order.</summary>
    public static readonly Gen<Mutation[]> Some = One.Array[1, 4];

    public static byte[] Apply(byte[] original, IReadOnlyList<Mutation> mutations, int headerLength)
    {
        var bytes = new List<byte>(original);
        byte[] field = new byte[4];
        foreach (Mutation m in mutations)
        {
            int at = (int)(m.Where * bytes.Count);
            switch (m.Kind)
            {
                case MutationKind.BitFlip when bytes.Count > 0:
                    at = Math.Min(at, bytes.Count - 1);
                    bytes[at] ^= (byte)(1 << (m.Value & 7));
                    break;
                case MutationKind.SetByte when bytes.Count > 0:
                    at = Math.Min(at, bytes.Count - 1);
                    bytes[at] = (m.Value & 3) switch { 0 => 0, 1 => 0xFF, 2 => 0x7F, _ => (byte)(m.Value >> 8) };
                    break;
                case MutationKind.Truncate:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case MutationKind.Insert:
                    for (int i = 0; i < m.Length; i++) bytes.Insert(at, (byte)(m.Value >> (i & 24)));
                    break;
                case MutationKind.Delete:
                    bytes.RemoveRange(at, Math.Min(m.Length, bytes.Count - at));
                    break;
                case MutationKind.Duplicate:
                    bytes.InsertRange(at, bytes.GetRange(at, Math.Min(m.Length, bytes.Count - at)));
                    break;
                case MutationKind.HeaderInt32:
                    // Rewrite one 4-byte field of the header (big-endian for IDX, little-endian works as well for the
                    // network file's length prefix: both orders are tried through the value's sign bit).
                    int fields = Math.Max(1, headerLength / 4);
                    int offset = (int)(m.Where * fields) * 4;
                    if (offset + 4 > bytes.Count) break;
                    int value = InterestingInts[(uint)m.Value % InterestingInts.Length] + (m.Length % 3 - 1);
                    if ((m.Value & 0x100) == 0) BinaryPrimitives.WriteInt32BigEndian(field, value);
                    else BinaryPrimitives.WriteInt32LittleEndian(field, value);
                    for (int i = 0; i < 4; i++) bytes[offset + i] = field[i];
                    break;
            }
        }
        return bytes.ToArray();
    }
}
