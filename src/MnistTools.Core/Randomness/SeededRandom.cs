using System.Runtime.CompilerServices;

namespace MnistTools.Randomness;

/// <summary>
/// The module's own seeded generator, so that every number a network or a training run draws depends only
/// on the seed, never on the .NET version (System.Random's algorithm is an implementation detail).
/// <list type="bullet">
/// <item>State: xoshiro256** (Blackman and Vigna, 2018; https://prng.di.unimi.it/xoshiro256starstar.c),
///   256 bits, period 2^256 - 1.</item>
/// <item>Seeding: the four state words are the first four outputs of SplitMix64 started at the 64-bit seed
///   (the seeding the xoshiro authors recommend; https://prng.di.unimi.it/splitmix64.c).</item>
/// <item><see cref="NextDouble"/>: the top 53 bits of the next output times 2^-53, in [0, 1).</item>
/// <item><see cref="NextInt"/>: Lemire's multiply-shift with rejection (unbiased) over the next output.</item>
/// <item><see cref="NextGaussian"/>: Marsaglia's polar method in double precision; each accepted pair
///   (u, v) gives two deviates, u·f first, v·f on the next call, f = sqrt(-2 ln s / s), s = u² + v².</item>
/// </list>
/// </summary>
public sealed class SeededRandom
{
    private ulong _s0, _s1, _s2, _s3;
    private double _spareGaussian;
    private bool _hasSpare;

    /// <summary>A generator whose state is SplitMix64(seed) x 4.</summary>
    public SeededRandom(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>A generator with an explicit state (not all zero); for tests against the published algorithm.</summary>
    internal SeededRandom(ulong s0, ulong s1, ulong s2, ulong s3)
    {
        if ((s0 | s1 | s2 | s3) == 0) throw new ArgumentException("The xoshiro state must not be all zero.");
        (_s0, _s1, _s2, _s3) = (s0, s1, s2, s3);
    }

    /// <summary>A seed for one purpose derived from a base seed, e.g. (training seed, epoch) -> shuffle seed.</summary>
    public static ulong Derive(ulong seed, ulong stream)
    {
        // Two SplitMix64 steps over a mix of both words: distinct (seed, stream) pairs give unrelated seeds.
        ulong x = seed ^ (stream * 0xD1B54A32D192ED03UL);
        SplitMix64(ref x);
        return SplitMix64(ref x);
    }

    /// <summary>One SplitMix64 step: advances <paramref name="state"/> by the golden gamma and returns the mixed value.</summary>
    public static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits (xoshiro256**).</summary>
    public ulong NextUInt64()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1), 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, <paramref name="exclusiveBound"/>), unbiased.</summary>
    public int NextInt(int exclusiveBound)
    {
        if (exclusiveBound <= 0) throw new ArgumentOutOfRangeException(nameof(exclusiveBound));
        ulong bound = (ulong)exclusiveBound;
        UInt128 product = (UInt128)NextUInt64() * bound;
        ulong low = (ulong)product;
        if (low < bound)
        {
            ulong threshold = (0UL - bound) % bound;
            while (low < threshold)
            {
                product = (UInt128)NextUInt64() * bound;
                low = (ulong)product;
            }
        }
        return (int)(product >> 64);
    }

    /// <summary>Standard normal deviate N(0, 1) by Marsaglia's polar method.</summary>
    public double NextGaussian()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spareGaussian;
        }
        double u, v, s;
        do
        {
            u = 2 * NextDouble() - 1;
            v = 2 * NextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double factor = Math.Sqrt(-2 * Math.Log(s) / s);
        _spareGaussian = v * factor;
        _hasSpare = true;
        return u * factor;
    }

    /// <summary>Fisher-Yates shuffle, last element first: for i = n-1..1 swap [i] with [NextInt(i + 1)].</summary>
    public void Shuffle(Span<int> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
