using MnistTools.Randomness;

namespace MnistTools.Tests.Model;

/// <summary>Golden values of the documented generator (computed from the published C algorithms, independently in Python).</summary>
public class SeededRandomTests
{
    [Fact]
    public void SplitMix64MatchesThePublishedSequence()
    {
        ulong state = 0;
        Assert.Equal(0xE220A8397B1DCDAFUL, SeededRandom.SplitMix64(ref state));
        Assert.Equal(0x6E789E6AA1B965F4UL, SeededRandom.SplitMix64(ref state));
        Assert.Equal(0x06C45D188009454FUL, SeededRandom.SplitMix64(ref state));
    }

    [Fact]
    public void Xoshiro256StarStarMatchesThePublishedSequence()
    {
        var random = new SeededRandom(1, 2, 3, 4);
        Assert.Equal(new ulong[] { 11520, 0, 1509978240, 1215971899390074240, 1216172134540287360 },
            Enumerable.Range(0, 5).Select(_ => random.NextUInt64()).ToArray());
    }

    [Fact]
    public void SeedingUsesSplitMix64()
    {
        var random = new SeededRandom(12345);
        Assert.Equal(new ulong[] { 0xBE6A36374160D49BUL, 0x214AAA0637A688C6UL, 0xF69D16DE9954D388UL, 0x0C60048C4E96E033UL },
            Enumerable.Range(0, 4).Select(_ => random.NextUInt64()).ToArray());
    }

    [Fact]
    public void GaussiansFollowTheMarsagliaPolarMethod()
    {
        var random = new SeededRandom(12345);
        double[] expected = { 0.38264563425510895, -0.5806264204407383, 0.02769454206835323, -0.24557531478482358 };
        foreach (double e in expected) Assert.Equal(e, random.NextGaussian(), 14);
    }

    [Fact]
    public void GaussiansHaveUnitMomentsAndIntsAreUniform()
    {
        var random = new SeededRandom(7);
        double sum = 0, squares = 0;
        const int n = 200_000;
        for (int i = 0; i < n; i++) { double g = random.NextGaussian(); sum += g; squares += g * g; }
        Assert.InRange(sum / n, -0.01, 0.01);
        Assert.InRange(squares / n, 0.98, 1.02);
        int[] counts = new int[7];
        for (int i = 0; i < 70_000; i++) counts[random.NextInt(7)]++;
        Assert.All(counts, c => Assert.InRange(c, 9_500, 10_500));
    }

    [Fact]
    public void ShuffleIsAPermutationAndDependsOnTheSeed()
    {
        int[] a = Enumerable.Range(0, 100).ToArray(), b = Enumerable.Range(0, 100).ToArray(), c = Enumerable.Range(0, 100).ToArray();
        new SeededRandom(1).Shuffle(a);
        new SeededRandom(1).Shuffle(b);
        new SeededRandom(2).Shuffle(c);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal(Enumerable.Range(0, 100), a.OrderBy(x => x));
    }
}
