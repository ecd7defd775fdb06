using System.Runtime.CompilerServices;

namespace MnistTools;

/// <summary>
/// Random numbers addressed by a key instead of drawn in sequence: the value at (Seed, Epoch, Step, position) is a pure
/// function of those four, so any split of the positions between threads draws the same numbers (dropout masks that a
/// backward pass recomputes instead of storing).
/// <list type="bullet">
/// <item>Generator: Philox4x32-10 (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC 2011;
///   the Random123 reference), a 128-bit counter and a 64-bit key through ten rounds of multiply-xor, four 32-bit words out.</item>
/// <item>Addressing: key = (Seed low 32 bits, Seed high 32 bits); counter = (block low, block high, Step, Epoch) with
///   block = position / 4; the value at a position is output word position mod 4 of its block.</item>
/// <item><see cref="Uniform"/>: the word's top 24 bits times 2^-24, a float in [0, 1) (every value exact in a float).</item>
/// </list>
/// </summary>
/// <param name="Seed">The run's seed.</param>
/// <param name="Epoch">The epoch; its 32 bits are taken as they are (negative values are distinct keys too).</param>
/// <param name="Step">The step in the epoch (or any second index); its 32 bits are taken as they are.</param>
public readonly record struct CounterRandom(ulong Seed, int Epoch, int Step)
{
    private const uint MultiplierA = 0xD2511F53, MultiplierB = 0xCD9E8D57;
    private const uint WeylA = 0x9E3779B9, WeylB = 0xBB67AE85;

    /// <summary>Uniform in [0, 1) at <paramref name="position"/> (0 .. 2^62 − 1 is 4 values per counter).</summary>
    public float Uniform(long position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        Block block = Draw(position >> 2);
        return ToUniform(block[(int)(position & 3)]);
    }

    /// <summary>destination[i] = <see cref="Uniform"/>(firstPosition + i).</summary>
    public void Fill(long firstPosition, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstPosition);
        long position = firstPosition;
        Block block = Draw(position >> 2);
        for (int i = 0; i < destination.Length; i++, position++)
        {
            if ((position & 3) == 0 && i > 0) block = Draw(position >> 2);
            destination[i] = ToUniform(block[(int)(position & 3)]);
        }
    }

    /// <summary>The four words of counter block <paramref name="block"/> (positions 4·block .. 4·block + 3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal Block Draw(long block) =>
        Philox4x32((uint)block, (uint)((ulong)block >> 32), (uint)Step, (uint)Epoch, (uint)Seed, (uint)(Seed >> 32));

    /// <summary>A word's top 24 bits as a float in [0, 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float ToUniform(uint word) => (word >> 8) * (1f / (1 << 24));

    /// <summary>Philox4x32-10 of counter (c0, c1, c2, c3) under key (k0, k1), as in Random123's philox4x32_R(10, ...).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static Block Philox4x32(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1)
    {
        for (int round = 0; round < 10; round++)
        {
            if (round > 0)
            {
                k0 += WeylA;
                k1 += WeylB;
            }
            ulong productA = (ulong)MultiplierA * c0, productB = (ulong)MultiplierB * c2;
            (c0, c1, c2, c3) = ((uint)(productB >> 32) ^ c1 ^ k0, (uint)productB, (uint)(productA >> 32) ^ c3 ^ k1, (uint)productA);
        }
        return new Block(c0, c1, c2, c3);
    }

    /// <summary>Four 32-bit output words.</summary>
    internal readonly record struct Block(uint W0, uint W1, uint W2, uint W3)
    {
        public uint this[int index] => index switch { 0 => W0, 1 => W1, 2 => W2, _ => W3 };
    }
}
