using MnistTools.Numerics;

namespace MnistTools.Tests.Numerics;

public class GemmTests
{
    public static IEnumerable<object[]> Shapes()
    {
        int[] sizes = { 0, 1, 2, 3, 5, 8, 15, 16, 17, 33, 64, 70 };
        foreach (int m in new[] { 0, 1, 3, 17 })
            foreach (int n in sizes)
                foreach (int k in new[] { 0, 1, 7, 31 })
                    for (int t = 0; t < 4; t++)
                        yield return new object[] { m, n, k, (t & 1) != 0, (t & 2) != 0 };
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesTheReferenceKernel(int m, int n, int k, bool transposeA, bool transposeB)
    {
        var random = new Random(1234 + m * 7 + n * 13 + k);
        float[] a = Enumerable.Range(0, m * k).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        float[] b = Enumerable.Range(0, k * n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        float[] start = Enumerable.Range(0, m * n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        foreach (bool accumulate in new[] { false, true })
        {
            float[] expected = (float[])start.Clone(), actual = (float[])start.Clone();
            GemmReference.Multiply(a, b, expected, m, n, k, transposeA, transposeB, accumulate);
            Gemm.Multiply(a, b, actual, m, n, k, transposeA, transposeB, accumulate);
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f * Math.Max(1f, Math.Abs(expected[i])) + 1e-5f * k,
                    $"C[{i}] = {actual[i]}, reference {expected[i]} (m={m} n={n} k={k} tA={transposeA} tB={transposeB} acc={accumulate})");
        }
    }
}
