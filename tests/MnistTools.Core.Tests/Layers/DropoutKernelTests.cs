using MnistTools.Layers;
using MnistTools.Numerics;
using MnistTools.Randomness;

namespace MnistTools.Tests.Layers;

/// <summary>
/// <see cref="DropoutKernels"/>: the mask is u &gt;= rate at position (firstRow + r)·N + j for every N 0..40 and lane
/// offset (every tail of the 8-wide select and the 32-value chunks); two lanes splitting a batch draw one lane's masks;
/// the backward pass uses the forward mask; rate 0, special values, argument checks; the kept fraction; a
/// central-difference check with the mask fixed.
/// </summary>
public class DropoutKernelTests
{
    public static TheoryData<InstructionSet> InstructionSets() => new(Enum.GetValues<InstructionSet>());

    [SkippableTheory]
    [MemberData(nameof(InstructionSets))]
    public void TheMaskIsTheCounterGeneratorAtEachPosition(InstructionSet path)
    {
        Skip.IfNot(ComputeSettings.IsSupported(path), $"This CPU does not run {path}.");
        using var scope = ComputeSettings.Override(path);
        var random = new CounterRandom(77, 2, 5);
        var values = new Random(4);
        foreach (float rate in new[] { 0.5f, 0.1f, 0.9f })
            for (int features = 0; features <= 40; features++)
                foreach (long firstRow in new long[] { 0, 1, 3, 1000 })
                {
                    const int rows = 3;
                    float[] x = Enumerable.Range(0, rows * features).Select(_ => (float)(values.NextDouble() * 2 - 1)).ToArray();
                    float[] y = Enumerable.Repeat(float.NaN, x.Length + 1).ToArray();
                    DropoutKernels.DropoutForward(x, random, rate, firstRow, features, y, rows);
                    float scale = 1f / (1f - rate);
                    for (int i = 0; i < x.Length; i++)
                    {
                        bool keep = random.Uniform(firstRow * features + i) >= rate;
                        Assert.Equal(keep ? x[i] * scale : 0f, y[i]);
                    }
                    Assert.True(float.IsNaN(y[^1]), "wrote past the lane");
                }
    }

    [Fact]
    public void TwoLanesDrawTheMasksOfOneAndTheBackwardPassUsesThem()
    {
        var random = new CounterRandom(9, 1, 400);
        const int rows = 7, features = 61;
        var values = new Random(12);
        float[] x = Enumerable.Range(0, rows * features).Select(_ => (float)values.NextDouble() + 0.5f).ToArray();
        float[] whole = new float[x.Length], lanes = new float[x.Length];
        DropoutKernels.DropoutForward(x, random, 0.3f, 0, features, whole, rows);
        DropoutKernels.DropoutForward(x, random, 0.3f, 0, features, lanes, 3);
        DropoutKernels.DropoutForward(x.AsSpan(3 * features), random, 0.3f, 3, features, lanes.AsSpan(3 * features), 4);
        Assert.Equal(whole, lanes);

        // dX is dY · scale exactly where Y kept X (X > 0 here, so a kept Y is nonzero), 0 elsewhere.
        float[] dy = Enumerable.Range(0, x.Length).Select(i => i % 5 - 2f + 0.25f).ToArray(), dx = new float[x.Length];
        DropoutKernels.DropoutBackward(dy, random, 0.3f, 0, features, dx, rows);
        for (int i = 0; i < x.Length; i++) Assert.Equal(whole[i] != 0 ? dy[i] * DropoutKernels.Scale(0.3f) : 0f, dx[i]);
        Assert.Contains(whole, v => v == 0);
        Assert.Contains(whole, v => v != 0);

        // Another step draws another mask.
        float[] next = new float[x.Length];
        DropoutKernels.DropoutForward(x, random with { Step = 401 }, 0.3f, 0, features, next, rows);
        Assert.NotEqual(whole, next);
    }

    [Fact]
    public void RateZeroCopiesAndDroppedValuesAreZeroWhateverTheyHeld()
    {
        var random = new CounterRandom(5, 0, 0);
        float[] x = [1, float.NaN, float.PositiveInfinity, -0f, float.NegativeInfinity, 3, float.NaN, 7, 8, 9];
        float[] y = new float[x.Length];
        DropoutKernels.DropoutForward(x, random, 0f, 0, 10, y, 1);
        Assert.Equal(x.Select(BitConverter.SingleToInt32Bits), y.Select(BitConverter.SingleToInt32Bits));

        DropoutKernels.DropoutForward(x, random, 0.5f, 0, 10, y, 1);
        for (int i = 0; i < x.Length; i++)
        {
            if (random.Uniform(i) < 0.5f) Assert.Equal(0, BitConverter.SingleToInt32Bits(y[i])); // +0 exactly
            else Assert.Equal(x[i] * 2f, y[i]);
        }
        // In place.
        float[] inPlace = (float[])x.Clone();
        DropoutKernels.DropoutForward(inPlace, random, 0.5f, 0, 10, inPlace, 1);
        Assert.Equal(y, inPlace);
    }

    [Fact]
    public void TheKeptFractionIsOneLessTheRate()
    {
        const int features = 1 << 16;
        float[] x = Enumerable.Repeat(1f, features).ToArray(), y = new float[features];
        foreach (float rate in new[] { 0.1f, 0.5f, 0.75f })
        {
            DropoutKernels.DropoutForward(x, new CounterRandom(3, 1, 1), rate, 0, features, y, 1);
            double kept = y.Count(v => v != 0) / (double)features;
            Assert.True(Math.Abs(kept - (1 - rate)) < 5 * Math.Sqrt(rate * (1 - rate) / features), $"rate {rate}: kept {kept}");
            // The expectation is kept: E[Y] = X.
            Assert.True(Math.Abs(y.Average() - 1) < 5 * Math.Sqrt(rate / (1 - rate) / features), $"rate {rate}: mean {y.Average()}");
        }
    }

    [Fact]
    public void TheGradientMatchesCentralDifferencesWithTheMaskFixed()
    {
        // L = Σ R ⊙ dropout(X) in double with the kernel's mask; dL/dX by central differences against the backward kernel.
        var random = new CounterRandom(31, 4, 9);
        const int rows = 3, features = 13;
        const float rate = 0.4f;
        var values = new Random(6);
        double[] x = Enumerable.Range(0, rows * features).Select(_ => values.NextDouble() * 2 - 1).ToArray();
        double[] r = Enumerable.Range(0, x.Length).Select(_ => values.NextDouble() * 2 - 1).ToArray();
        bool[] keep = Enumerable.Range(0, x.Length).Select(i => random.Uniform(features + i) >= rate).ToArray(); // rows from 1
        double scale = 1 / (1.0 - rate);
        double Loss() => x.Select((v, i) => keep[i] ? v * scale * r[i] : 0).Sum();
        float[] dx = new float[x.Length];
        DropoutKernels.DropoutBackward(r.Select(v => (float)v).ToArray(), random, rate, 1, features, dx, rows);
        Conv2dKernelTests.CheckCentral(x, dx.Select(v => (double)v).ToArray(), Loss, "dX");
    }

    [Fact]
    public void BadArgumentsAreRefused()
    {
        var random = new CounterRandom(1, 1, 1);
        float[] x = new float[6], y = new float[6];
        foreach (float rate in new[] { -0.1f, 1f, 1.5f, float.NaN })
            Assert.Throws<ArgumentOutOfRangeException>(() => DropoutKernels.DropoutForward(x, random, rate, 0, 3, y, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => DropoutKernels.DropoutForward(x, random, 0.5f, -1, 3, y, 2));
        Assert.Throws<ArgumentException>(() => DropoutKernels.DropoutForward(x, random, 0.5f, 0, 4, y, 2));
        Assert.Throws<ArgumentException>(() => DropoutKernels.DropoutBackward(x, random, 0.5f, 0, 3, y.AsSpan(1).ToArray(), 2));
        DropoutKernels.DropoutForward([], random, 0.5f, 0, 3, [], 0);
    }
}
