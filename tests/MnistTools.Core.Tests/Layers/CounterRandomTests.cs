using MnistTools.Numerics;
using MnistTools.Randomness;

namespace MnistTools.Tests.Layers;

/// <summary>
/// <see cref="CounterRandom"/>: Random123's published Philox4x32-10 answers, the position layout, the vector path against
/// the scalar one, the same value for the same key, any split of the positions drawing the same values, distinct keys
/// drawing unrelated values, and rough uniformity.
/// </summary>
public class CounterRandomTests
{
    public static TheoryData<InstructionSet> InstructionSets() => new(Enum.GetValues<InstructionSet>());

    [Theory]
    // Random123 tests/kat_vectors: philox4x32 10 (counter words, key words, expected words).
    [InlineData(0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)]
    [InlineData(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)]
    [InlineData(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u, 0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)]
    public void PhiloxMatchesTheRandom123KnownAnswers(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1, uint e0, uint e1, uint e2, uint e3) =>
        Assert.Equal(new CounterRandom.Block(e0, e1, e2, e3), CounterRandom.Philox4x32(c0, c1, c2, c3, k0, k1));

    [Fact]
    public void APositionIsAWordOfItsBlockUnderTheSeedAsKey()
    {
        // Key words (Seed low, Seed high); counter (block low, block high, Step, Epoch); block 8·chunk + p mod 8,
        // word (p mod 32) / 8.
        var random = new CounterRandom(0x299f31d0_a4093822UL, Epoch: 0x03707344, Step: 0x13198a2e);
        CounterRandom.Block block = CounterRandom.Philox4x32(0x243f6a88, 0x01234567, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0);
        const long blockIndex = 0x01234567_243f6a88L;
        long chunk = blockIndex / 8, lane = blockIndex % 8;
        Assert.Equal(CounterRandom.ToUniform(block.W0), random.Uniform(chunk * 32 + lane));
        Assert.Equal(CounterRandom.ToUniform(block.W1), random.Uniform(chunk * 32 + 8 + lane));
        Assert.Equal(CounterRandom.ToUniform(block.W2), random.Uniform(chunk * 32 + 16 + lane));
        Assert.Equal(CounterRandom.ToUniform(block.W3), random.Uniform(chunk * 32 + 24 + lane));
        Assert.Equal(block.W0 >> 8, (uint)(random.Uniform(chunk * 32 + lane) * (1 << 24)));
        // The top 24 bits: the largest word stays below 1.
        Assert.Equal(1f - 1f / (1 << 24), CounterRandom.ToUniform(uint.MaxValue));
        Assert.Equal(0f, CounterRandom.ToUniform(255));
    }

    [SkippableTheory]
    [MemberData(nameof(InstructionSets))]
    public void EverySplitOfThePositionsDrawsTheSameValues(InstructionSet path)
    {
        Skip.IfNot(ComputeSettings.IsSupported(path), $"This CPU does not run {path}.");
        using var scope = ComputeSettings.Override(path);
        var random = new CounterRandom(12345, 7, 3);
        const long start = (1L << 40) - 37; // crosses a chunk boundary, and bit 32 of the block index
        float[] whole = new float[200];
        random.Fill(start, whole);
        for (int i = 0; i < whole.Length; i++) Assert.Equal(random.Uniform(start + i), whole[i]);
        for (int split = 0; split <= whole.Length; split++)
        {
            float[] parts = new float[whole.Length];
            random.Fill(start, parts.AsSpan(0, split));
            random.Fill(start + split, parts.AsSpan(split));
            Assert.Equal(whole, parts);
        }
    }

    [SkippableFact]
    public void TheVectorPathHasTheScalarBits()
    {
        Skip.IfNot(ComputeSettings.IsSupported(InstructionSet.Avx512), "This CPU does not run Avx512.");
        foreach (var random in new[] { new CounterRandom(0, 0, 0), new CounterRandom(ulong.MaxValue, -1, int.MinValue), new CounterRandom(99, 12, 468) })
            foreach (long first in new[] { 0L, 5, (1L << 35) + 3, long.MaxValue - 300 })
            {
                float[] scalar = new float[300], vector = new float[300];
                using (ComputeSettings.Override(InstructionSet.Portable)) random.Fill(first, scalar);
                using (ComputeSettings.Override(InstructionSet.Avx512)) random.Fill(first, vector);
                Assert.Equal(scalar, vector);
            }
    }

    [Fact]
    public void TheSameKeyGivesTheSameValueAndOtherKeysOthers()
    {
        var key = new CounterRandom(42, 3, 17);
        Assert.Equal(key.Uniform(1000), new CounterRandom(42, 3, 17).Uniform(1000));
        float[] reference = new float[4096];
        key.Fill(0, reference);
        // Changing any one part of the key (or shifting the positions) gives values unrelated to these: about 1 in 2^24 equal,
        // and no correlation.
        foreach (var other in new[] { key with { Seed = 43 }, key with { Seed = 42 + (1UL << 32) }, key with { Epoch = 4 }, key with { Step = 18 }, key with { Step = -17 } })
        {
            float[] values = new float[4096];
            other.Fill(0, values);
            AssertUnrelated(reference, values, other.ToString());
        }
        float[] shifted = new float[4096];
        key.Fill(1, shifted);
        AssertUnrelated(reference, shifted, "positions + 1");
        key.Fill(32, shifted);
        AssertUnrelated(reference, shifted, "positions + 32");
    }

    [Fact]
    public void ValuesAreRoughlyUniform()
    {
        // 2^20 values in 64 bins: chi-square with 63 degrees of freedom stays below 120 (p < 1e-5 by chance); mean and
        // variance within 5 standard errors of 1/2 and 1/12.
        var random = new CounterRandom(2024, 1, 0);
        float[] values = new float[1 << 20];
        random.Fill(0, values);
        int[] bins = new int[64];
        double sum = 0, squares = 0;
        foreach (float u in values)
        {
            Assert.InRange(u, 0f, 1f - 1f / (1 << 24));
            bins[(int)(u * 64)]++;
            sum += u;
            squares += (u - 0.5) * (u - 0.5);
        }
        double expected = values.Length / 64.0;
        double chiSquare = bins.Sum(b => (b - expected) * (b - expected) / expected);
        Assert.True(chiSquare < 120, $"chi-square {chiSquare:F1}");
        double mean = sum / values.Length, variance = squares / values.Length;
        Assert.True(Math.Abs(mean - 0.5) < 5 * Math.Sqrt(1.0 / 12 / values.Length), $"mean {mean}");
        Assert.True(Math.Abs(variance - 1.0 / 12) < 5 * Math.Sqrt(1.0 / 180 / values.Length), $"variance {variance}");
    }

    [Fact]
    public void NegativePositionsAreRefused()
    {
        var random = new CounterRandom(1, 1, 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => random.Uniform(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => random.Fill(-1, new float[3]));
    }

    private static void AssertUnrelated(float[] a, float[] b, string what)
    {
        int equal = a.Zip(b).Count(p => p.First == p.Second);
        Assert.True(equal <= 2, $"{what}: {equal} equal values");
        double meanA = a.Average(v => (double)v), meanB = b.Average(v => (double)v);
        double covariance = a.Zip(b).Sum(p => (p.First - meanA) * (p.Second - meanB)) / a.Length;
        double correlation = covariance / (1.0 / 12);
        Assert.True(Math.Abs(correlation) < 5 / Math.Sqrt(a.Length), $"{what}: correlation {correlation:F4}");
    }
}
