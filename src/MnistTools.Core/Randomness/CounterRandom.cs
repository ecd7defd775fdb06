using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MnistTools.Numerics;

namespace MnistTools.Randomness;

/// <summary>
/// Random numbers addressed by a key instead of drawn in sequence: the value at (Seed, Epoch, Step, position) is a pure
/// function of those four, so any split of the positions between threads draws the same numbers (dropout masks that a
/// backward pass draws again instead of storing).
/// <list type="bullet">
/// <item>Generator: Philox4x32-10 (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC 2011;
///   the Random123 reference): a 128-bit counter and a 64-bit key through ten rounds of multiply-xor, four 32-bit words out.</item>
/// <item>Key: (Seed low 32 bits, Seed high 32 bits). Counter of block b: (b low 32 bits, b high 32 bits, Step, Epoch).</item>
/// <item>Positions go in chunks of 32: position p is word (p mod 32) / 8 of block 8·(p / 32) + p mod 8. The eight blocks
///   of a chunk give its 32 values in order, word 0 of each block first, so 8 blocks are computed side by side in vector
///   lanes (AVX-512) with the same bits as one at a time.</item>
/// <item><see cref="Uniform"/>: the word's top 24 bits times 2^-24, a float in [0, 1) (every value exact in a float).</item>
/// </list>
/// </summary>
/// <param name="Seed">The run's seed.</param>
/// <param name="Epoch">The epoch; its 32 bits are taken as they are (negative values are distinct keys too).</param>
/// <param name="Step">The step in the epoch (or any second index); its 32 bits are taken as they are.</param>
public readonly record struct CounterRandom(ulong Seed, int Epoch, int Step)
{
    /// <summary>Positions per chunk: 8 blocks of 4 words.</summary>
    internal const int ChunkSize = 32;

    private const uint MultiplierA = 0xD2511F53, MultiplierB = 0xCD9E8D57;
    private const uint WeylA = 0x9E3779B9, WeylB = 0xBB67AE85;

    /// <summary>Uniform in [0, 1) at <paramref name="position"/> (0 .. 2^63 − 1).</summary>
    public float Uniform(long position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        Block block = Philox4x32((position >> 5) * 8 + (position & 7));
        int word = (int)((position >> 3) & 3);
        return ToUniform(word switch { 0 => block.W0, 1 => block.W1, 2 => block.W2, _ => block.W3 });
    }

    /// <summary>destination[i] = <see cref="Uniform"/>(firstPosition + i).</summary>
    public unsafe void Fill(long firstPosition, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstPosition);
        float* chunk = stackalloc float[ChunkSize];
        long position = firstPosition;
        for (int i = 0; i < destination.Length;)
        {
            FillChunk(position >> 5, chunk);
            int lane = (int)(position & 31), count = Math.Min(ChunkSize - lane, destination.Length - i);
            new ReadOnlySpan<float>(chunk + lane, count).CopyTo(destination.Slice(i));
            i += count;
            position += count;
        }
    }

    /// <summary>The 32 uniforms of chunk <paramref name="chunk"/> (positions 32·chunk ..) into destination[0..32).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal unsafe void FillChunk(long chunk, float* destination)
    {
        if (ComputeSettings.InstructionSet == InstructionSet.Avx512 && Avx512F.IsSupported)
        {
            FillChunkAvx512(chunk, destination);
            return;
        }
        for (int j = 0; j < 8; j++)
        {
            Block block = Philox4x32(chunk * 8 + j);
            destination[j] = ToUniform(block.W0);
            destination[8 + j] = ToUniform(block.W1);
            destination[16 + j] = ToUniform(block.W2);
            destination[24 + j] = ToUniform(block.W3);
        }
    }

    /// <summary>The eight blocks of a chunk in the eight 64-bit lanes of AVX-512 registers (each lane holds a 32-bit word).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void FillChunkAvx512(long chunk, float* destination)
    {
        Vector512<ulong> low = Vector512.Create(0xFFFFFFFFUL);
        Vector512<ulong> blocks = Vector512.Create((ulong)chunk * 8) + Vector512.Create(0UL, 1, 2, 3, 4, 5, 6, 7);
        Vector512<ulong> c0 = blocks & low, c1 = blocks >>> 32;
        Vector512<ulong> c2 = Vector512.Create((ulong)(uint)Step), c3 = Vector512.Create((ulong)(uint)Epoch);
        Vector512<uint> multiplierA = Vector512.Create((ulong)MultiplierA).AsUInt32(), multiplierB = Vector512.Create((ulong)MultiplierB).AsUInt32();
        uint k0 = (uint)Seed, k1 = (uint)(Seed >> 32);
        for (int round = 0; round < 10; round++)
        {
            if (round > 0)
            {
                k0 += WeylA;
                k1 += WeylB;
            }
            Vector512<ulong> productA = Avx512F.Multiply(c0.AsUInt32(), multiplierA), productB = Avx512F.Multiply(c2.AsUInt32(), multiplierB);
            Vector512<ulong> next0 = (productB >>> 32) ^ c1 ^ Vector512.Create((ulong)k0);
            Vector512<ulong> next2 = (productA >>> 32) ^ c3 ^ Vector512.Create((ulong)k1);
            c1 = productB & low;
            c3 = productA & low;
            c0 = next0;
            c2 = next2;
        }
        Vector256<float> scale = Vector256.Create(1f / (1 << 24));
        Vector256.Store(Avx.ConvertToVector256Single(Avx512F.ConvertToVector256UInt32(c0 >>> 8).AsInt32()) * scale, destination);
        Vector256.Store(Avx.ConvertToVector256Single(Avx512F.ConvertToVector256UInt32(c1 >>> 8).AsInt32()) * scale, destination + 8);
        Vector256.Store(Avx.ConvertToVector256Single(Avx512F.ConvertToVector256UInt32(c2 >>> 8).AsInt32()) * scale, destination + 16);
        Vector256.Store(Avx.ConvertToVector256Single(Avx512F.ConvertToVector256UInt32(c3 >>> 8).AsInt32()) * scale, destination + 24);
    }

    /// <summary>The four words of counter block <paramref name="block"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal Block Philox4x32(long block) =>
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
    internal readonly record struct Block(uint W0, uint W1, uint W2, uint W3);
}
