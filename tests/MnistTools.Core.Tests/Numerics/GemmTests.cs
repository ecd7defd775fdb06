using MnistTools.Numerics;

namespace MnistTools.Tests.Numerics;

/// <summary>
/// Every forced GEMM path against <see cref="GemmReference"/> (double-precision sums): full 1..70 sweeps along each
/// dimension with the other two at tile-tail values, a seeded random sample of the 1..70 cube, shapes that cross the
/// cache-block boundaries, all four transpose combinations, accumulate on and off.
/// </summary>
public class GemmTests
{
    // (other, other) pairs for the 1..70 sweeps: 1 (degenerate), 7/17 (row tails of MR 8, 6, 4), 33/49 (column
    // tails of the 16-, 32- and 48-wide panels).
    private static readonly (int, int)[] s_others = [(1, 1), (7, 33), (17, 49), (49, 17)];

    public static TheoryData<InstructionSet, bool, bool> PathsAndTransposes()
    {
        var data = new TheoryData<InstructionSet, bool, bool>();
        foreach (InstructionSet path in Enum.GetValues<InstructionSet>())
            for (int t = 0; t < 4; t++) data.Add(path, (t & 1) != 0, (t & 2) != 0);
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(PathsAndTransposes))]
    public void SweepsEveryDimensionFrom1To70(InstructionSet path, bool transposeA, bool transposeB)
    {
        Skip.IfNot(ComputeSettings.IsSupported(path), $"This CPU does not run {path}.");
        using var scope = ComputeSettings.Override(path, threads: 1);
        var random = new Random(17);
        for (int dimension = 0; dimension < 3; dimension++)
            foreach ((int x, int y) in s_others)
                for (int size = 1; size <= 70; size++)
                {
                    (int m, int n, int k) = dimension switch { 0 => (size, x, y), 1 => (x, size, y), _ => (x, y, size) };
                    CheckAgainstReference(random, m, n, k, transposeA, transposeB, accumulate: size % 2 == 0);
                }
    }

    [SkippableTheory]
    [MemberData(nameof(PathsAndTransposes))]
    public void MatchesTheReferenceOnARandomSampleOfTheCube(InstructionSet path, bool transposeA, bool transposeB)
    {
        Skip.IfNot(ComputeSettings.IsSupported(path), $"This CPU does not run {path}.");
        using var scope = ComputeSettings.Override(path, threads: 1);
        var random = new Random(4242 + (int)path * 4 + (transposeA ? 1 : 0) + (transposeB ? 2 : 0));
        for (int sample = 0; sample < 150; sample++)
            CheckAgainstReference(random, random.Next(1, 71), random.Next(1, 71), random.Next(1, 71),
                transposeA, transposeB, accumulate: random.Next(2) == 0);
    }

    [SkippableTheory]
    [MemberData(nameof(PathsAndTransposes))]
    public void MatchesTheReferenceAcrossCacheBlocksAndOnTwoThreads(InstructionSet path, bool transposeA, bool transposeB)
    {
        Skip.IfNot(ComputeSettings.IsSupported(path), $"This CPU does not run {path}.");
        // KC = 128 (k slices), MC = 192 (row blocks), NC = 1536 (column blocks): cross each, with tails.
        Assert.Equal((128, 192, 1536), (GemmBlocked.KC, GemmBlocked.MC, GemmBlocked.NC));
        foreach (int threads in new[] { 1, 2 })
        {
            using var scope = ComputeSettings.Override(path, threads);
            var random = new Random(99);
            foreach ((int m, int n, int k) in new[] { (3, 5, 600), (200, 37, 270), (5, 1601, 3), (64, 130, 257), (130, 64, 90) })
                foreach (bool accumulate in new[] { false, true })
                    CheckAgainstReference(random, m, n, k, transposeA, transposeB, accumulate);
        }
    }

    [SkippableFact]
    public void TheUnpackedNarrowForwardRouteMatchesTheReference()
    {
        Skip.IfNot(ComputeSettings.IsSupported(InstructionSet.Avx512), "This CPU does not run Avx512.");
        // Z = X . W^T with n <= 32 outputs and k >= 64 goes through GemmDirect on AVX-512: every n, row and k tails.
        using var scope = ComputeSettings.Override(InstructionSet.Avx512, threads: 1);
        var random = new Random(31);
        foreach (int k in new[] { 64, 65, 79, 784 })
            for (int n = 1; n <= 33; n++)
                foreach (int m in new[] { 1, 3, 4, 6, 37 })
                {
                    Assert.Equal(ComputeSettings.InstructionSet == InstructionSet.Avx512 && n <= 32, GemmDirect.Applies(ComputeSettings.InstructionSet, n, k, false, true));
                    CheckAgainstReference(random, m, n, k, transposeA: false, transposeB: true, accumulate: (m + n) % 2 == 0);
                }

        // The rows below the last whole 4-row tile (m % 4 != 0) use two- and one-row tiles, the columns right of the last
        // whole 4-column tile (n % 4 != 0) four-row column tiles, and a single row its dot products: the same chains, so
        // splitting rows changes nothing.
        foreach (int m in new[] { 5, 6, 7, 50, 51 })
            foreach (int n in new[] { 20, 22, 23 })
            {
                float[] inputs = RandomValues(random, m * 784), weights = RandomValues(random, n * 784), whole = new float[m * n], split = new float[m * n];
                Gemm.Multiply(inputs, weights, whole, m, n, 784, false, true, false);
                for (int r = 0; r < m; r++) Gemm.Multiply(inputs.AsSpan(r * 784, 784), weights, split.AsSpan(r * n, n), 1, n, 784, false, true, false);
                AssertSameBits(whole, split, $"row split {m}x{n}x784");
            }

        // Special values through the lane sums: NaN in a row of X, +Inf in a row of W, stale NaN output overwritten.
        const int rows = 8, outputs = 20, depth = 100;
        float[] x = Enumerable.Repeat(0.5f, rows * depth).ToArray(), w = Enumerable.Repeat(0.25f, outputs * depth).ToArray();
        x[2 * depth + 70] = float.NaN;
        w[5 * depth + 99] = float.PositiveInfinity; // in the k % 16 tail
        float[] z = Enumerable.Repeat(float.NaN, rows * outputs).ToArray();
        Gemm.Multiply(x, w, z, rows, outputs, depth, false, true, accumulate: false);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < outputs; j++)
            {
                float value = z[i * outputs + j];
                if (i == 2) Assert.True(float.IsNaN(value));
                else if (j == 5) Assert.True(float.IsPositiveInfinity(value));
                else Assert.Equal(depth * 0.125f, value);
            }
    }

    [SkippableFact]
    public void TheUnpackedNarrowWeightGradientRouteMatchesTheReference()
    {
        Skip.IfNot(ComputeSettings.IsSupported(InstructionSet.Avx512), "This CPU does not run Avx512.");
        // dW = dZ^T . X with m <= 32 outputs and n >= 64 goes through GemmBroadcast on AVX-512: every m, column and k tails.
        using var scope = ComputeSettings.Override(InstructionSet.Avx512, threads: 1);
        var random = new Random(37);
        foreach (int n in new[] { 63, 64, 65, 79, 130, 784 })
            foreach (int k in new[] { 1, 3, 50, 200 })
                for (int m = 1; m <= 33; m += k == 50 ? 1 : 4)
                {
                    Assert.Equal(ComputeSettings.InstructionSet == InstructionSet.Avx512 && m <= 32 && n >= 64, GemmBroadcast.Applies(ComputeSettings.InstructionSet, m, n, true, false));
                    CheckAgainstReference(random, m, n, k, transposeA: true, transposeB: false, accumulate: (m + k) % 2 == 0);
                }

        // Each element is one chain over k: splitting the columns or rows gives the same bits.
        float[] a = RandomValues(random, 50 * 20), b = RandomValues(random, 50 * 784), whole = new float[20 * 784], parts = new float[20 * 784];
        Gemm.Multiply(a, b, whole, 20, 784, 50, true, false, false);
        for (int i = 0; i < 20; i++)
        {
            float[] column = Enumerable.Range(0, 50).Select(p => a[p * 20 + i]).ToArray(); // row i of A^T, as a 50 x 1 A
            Gemm.Multiply(column, b, parts.AsSpan(i * 784, 784), 1, 784, 50, true, false, false);
        }
        AssertSameBits(whole, parts, "row split 20x784x50");

        // Special values: NaN in dZ, +Inf in X, stale NaN output overwritten.
        float[] dz = Enumerable.Repeat(0.5f, 10 * 8).ToArray(), x = Enumerable.Repeat(0.25f, 10 * 100).ToArray();
        dz[3 * 8 + 2] = float.NaN;      // p = 3, output 2
        x[7 * 100 + 99] = float.PositiveInfinity; // p = 7, column 99 (in the scalar column tail)
        float[] dw = Enumerable.Repeat(float.NaN, 8 * 100).ToArray();
        Gemm.Multiply(dz, x, dw, 8, 100, 10, true, false, false);
        for (int i = 0; i < 8; i++)
            for (int j = 0; j < 100; j++)
            {
                float value = dw[i * 100 + j];
                if (i == 2) Assert.True(float.IsNaN(value));
                else if (j == 99) Assert.True(float.IsPositiveInfinity(value));
                else Assert.Equal(10 * 0.125f, value);
            }
    }

    [SkippableTheory]
    [InlineData(InstructionSet.Portable)]
    [InlineData(InstructionSet.Avx2)]
    [InlineData(InstructionSet.Avx512)]
    public void OneAndTwoThreadsGiveTheSameBits(InstructionSet path)
    {
        Skip.IfNot(ComputeSettings.IsSupported(path), $"This CPU does not run {path}.");
        var random = new Random(5);
        foreach ((int m, int n, int k, bool tA, bool tB) in new[]
        {
            (64, 128, 784, false, true), (128, 784, 64, true, false), (64, 784, 128, false, false),
            (300, 40, 200, true, true), (100, 20, 784, false, true),
        })
        {
            float[] a = RandomValues(random, m * k), b = RandomValues(random, k * n), start = RandomValues(random, m * n);
            foreach (bool accumulate in new[] { false, true })
            {
                float[] one = (float[])start.Clone(), two = (float[])start.Clone();
                using (ComputeSettings.Override(path, threads: 1)) Gemm.Multiply(a, b, one, m, n, k, tA, tB, accumulate);
                using (ComputeSettings.Override(path, threads: 2))
                {
                    Gemm.Multiply(a, b, two, m, n, k, tA, tB, accumulate);
                    Assert.Equal(2, Gemm.LastThreadCount);
                }
                AssertSameBits(one, two, $"{path} {m}x{n}x{k} tA={tA} tB={tB} acc={accumulate}");
            }
        }
    }

    [Fact]
    public void BackToBackTwoThreadCallsOfChangingShapesStayExact()
    {
        // Jobs of 2, 3 and 4 chunks posted back to back: a worker claim that leaked into the next job would show here.
        var random = new Random(77);
        var shapes = new[] { (40, 400, 30, false, true), (500, 24, 20, true, false), (30, 700, 10, false, false), (90, 90, 90, true, true) };
        var cases = shapes.Select(s => (s, a: RandomValues(random, s.Item1 * s.Item3), b: RandomValues(random, s.Item3 * s.Item2))).ToArray();
        var expected = cases.Select(x =>
        {
            var c = new float[x.s.Item1 * x.s.Item2];
            using (ComputeSettings.Override(threads: 1)) Gemm.Multiply(x.a, x.b, c, x.s.Item1, x.s.Item2, x.s.Item3, x.s.Item4, x.s.Item5, false);
            return c;
        }).ToArray();
        using var scope = ComputeSettings.Override(threads: 2);
        for (int round = 0; round < 100; round++)
        {
            int i = round % cases.Length;
            var ((m, n, k, tA, tB), a, b) = cases[i];
            var c = new float[m * n];
            Gemm.Multiply(a, b, c, m, n, k, tA, tB, false);
            Assert.Equal(2, Gemm.LastThreadCount);
            AssertSameBits(expected[i], c, $"round {round} {m}x{n}x{k}");
        }
    }

    [SkippableFact]
    public void TheFusedMultiplyAddPathsGiveTheSameBits()
    {
        Skip.IfNot(ComputeSettings.IsSupported(InstructionSet.Avx512) && ComputeSettings.IsSupported(InstructionSet.Avx2), "This CPU does not run Avx512 and Avx2.");
        // AVX-512 and AVX2 both sum each element as one FMA chain in k order per KC-deep slice, so their tiles differ
        // but their bits must not. (Skipped where the CPU lacks either.)
        var random = new Random(8);
        foreach ((int m, int n, int k, bool tA, bool tB) in new[] { (64, 128, 784, false, true), (37, 91, 300, true, false), (70, 70, 70, true, true) })
        {
            float[] a = RandomValues(random, m * k), b = RandomValues(random, k * n);
            float[] wide = new float[m * n], narrow = new float[m * n];
            using (ComputeSettings.Override(InstructionSet.Avx512, threads: 1)) Gemm.Multiply(a, b, wide, m, n, k, tA, tB, false);
            using (ComputeSettings.Override(InstructionSet.Avx2, threads: 1)) Gemm.Multiply(a, b, narrow, m, n, k, tA, tB, false);
            AssertSameBits(wide, narrow, $"{m}x{n}x{k} tA={tA} tB={tB}");
        }
    }

    [Fact]
    public void NaNAndInfinityPropagateAndAreNotInventedFromStaleOutput()
    {
        foreach (InstructionSet path in ComputeSettings.Supported)
            foreach (int threads in new[] { 1, 2 })
            {
                using var scope = ComputeSettings.Override(path, threads);
                const int m = 40, n = 100, k = 300;
                float[] a = Enumerable.Repeat(0.5f, m * k).ToArray(), b = Enumerable.Repeat(0.25f, k * n).ToArray();
                a[3 * k + 10] = float.NaN;                 // row 3 of A
                b[20 * n + 7] = float.PositiveInfinity;    // column 7 of B
                b[21 * n + 8] = float.NegativeInfinity;    // column 8 of B
                float[] c = Enumerable.Repeat(float.NaN, m * n).ToArray(); // stale output must be overwritten
                Gemm.Multiply(a, b, c, m, n, k, false, false, accumulate: false);
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                    {
                        float value = c[i * n + j];
                        string where = $"{path}/{threads} C[{i},{j}] = {value}";
                        if (i == 3) Assert.True(float.IsNaN(value), where);
                        else if (j == 7) Assert.True(float.IsPositiveInfinity(value), where);
                        else if (j == 8) Assert.True(float.IsNegativeInfinity(value), where);
                        else Assert.True(value == k * 0.125f, where);
                    }

                // Zeros times anything finite is exactly zero, and a NaN start is replaced when not accumulating.
                float[] zeros = new float[m * k], cz = Enumerable.Repeat(float.NaN, m * n).ToArray();
                Gemm.Multiply(zeros, Enumerable.Repeat(3f, k * n).ToArray(), cz, m, n, k, false, false, accumulate: false);
                Assert.All(cz, value => Assert.Equal(0f, value));
                // Accumulating onto NaN keeps NaN.
                Gemm.Multiply(zeros, Enumerable.Repeat(3f, k * n).ToArray(), c, m, n, k, false, false, accumulate: true);
                Assert.True(float.IsNaN(c[3 * n]));
            }
    }

    [Fact]
    public void EmptyDimensionsClearOrKeepTheOutput()
    {
        float[] c = [1, 2, 3, 4];
        Gemm.Multiply([], [], c, 2, 2, 0, false, false, accumulate: true);
        Assert.Equal([1f, 2f, 3f, 4f], c);
        Gemm.Multiply([], [], c, 2, 2, 0, false, false, accumulate: false);
        Assert.Equal([0f, 0f, 0f, 0f], c);
        Gemm.Multiply([], new float[15], [], 0, 5, 3, false, false, accumulate: false); // nothing to write
    }

    [Fact]
    public void ShortBuffersAndNegativeSizesAreRejected()
    {
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(new float[5], new float[6], new float[4], 2, 2, 3, false, false, false));
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(new float[6], new float[5], new float[4], 2, 2, 3, false, false, false));
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(new float[6], new float[6], new float[3], 2, 2, 3, false, false, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply(new float[6], new float[6], new float[4], -1, 2, 3, false, false, false));
    }

    [SkippableTheory]
    [InlineData(InstructionSet.Portable, 1)]
    [InlineData(InstructionSet.Avx2, 1)]
    [InlineData(InstructionSet.Avx512, 1)]
    [InlineData(InstructionSet.Avx512, 2)]
    [InlineData(InstructionSet.Avx2, 2)]
    public void SteadyStateCallsAllocateNothing(InstructionSet path, int threads)
    {
        Skip.IfNot(ComputeSettings.IsSupported(path), $"This CPU does not run {path}.");
        using var scope = ComputeSettings.Override(path, threads);
        var random = new Random(3);
        var shapes = new[] { (64, 128, 784, false, true), (128, 784, 64, true, false), (64, 784, 128, false, false), (100, 10, 16, false, true) };
        var operands = shapes.Select(s => (a: RandomValues(random, s.Item1 * s.Item3), b: RandomValues(random, s.Item3 * s.Item2), c: new float[s.Item1 * s.Item2])).ToArray();
        void RunAll()
        {
            for (int i = 0; i < shapes.Length; i++)
            {
                (int m, int n, int k, bool tA, bool tB) = shapes[i];
                Gemm.Multiply(operands[i].a, operands[i].b, operands[i].c, m, n, k, tA, tB, accumulate: i % 2 == 0);
            }
        }
        // Warm-up: grows this thread's packing buffers, starts the worker, lets the JIT finish tiering up.
        for (int repeat = 0; repeat < 60; repeat++) RunAll();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int repeat = 0; repeat < 20; repeat++) RunAll();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void OverridesAreScopedToTheCallingThread()
    {
        InstructionSet before = ComputeSettings.InstructionSet;
        using (ComputeSettings.Override(InstructionSet.Portable, threads: 2))
        {
            Assert.Equal(InstructionSet.Portable, ComputeSettings.InstructionSet);
            Assert.Equal(2, ComputeSettings.ForcedThreads);
            InstructionSet? other = null;
            var thread = new Thread(() => other = ComputeSettings.InstructionSet);
            thread.Start();
            thread.Join();
            Assert.Equal(before, other);
        }
        Assert.Equal(before, ComputeSettings.InstructionSet);
        Assert.Throws<ArgumentOutOfRangeException>(() => ComputeSettings.Override(threads: 3));
    }

    private static void CheckAgainstReference(Random random, int m, int n, int k, bool transposeA, bool transposeB, bool accumulate)
    {
        float[] a = RandomValues(random, m * k), b = RandomValues(random, k * n), start = RandomValues(random, m * n);
        float[] expected = (float[])start.Clone(), actual = (float[])start.Clone();
        GemmReference.Multiply(a, b, expected, m, n, k, transposeA, transposeB, accumulate);
        Gemm.Multiply(a, b, actual, m, n, k, transposeA, transposeB, accumulate);
        for (int i = 0; i < expected.Length; i++)
        {
            // float32 sums of k products of values in [-1, 1]: relative 1e-5 plus an absolute floor growing with k.
            float tolerance = 1e-5f * Math.Abs(expected[i]) + 2e-7f * k + 1e-7f;
            if (!(Math.Abs(expected[i] - actual[i]) <= tolerance))
                Assert.Fail($"C[{i / n},{i % n}] = {actual[i]}, reference {expected[i]} ({ComputeSettings.InstructionSet} m={m} n={n} k={k} tA={transposeA} tB={transposeB} acc={accumulate})");
        }
    }

    internal static float[] RandomValues(Random random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }

    private static void AssertSameBits(float[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: element {i} differs: {expected[i]:R} vs {actual[i]:R}");
    }
}
