namespace MnistTools.Numerics;

/// <summary>
/// The plain triple-loop matrix multiply: the oracle every fast kernel is tested against.
/// Row-major, contiguous. Same contract as <see cref="Gemm.Multiply"/>.
/// </summary>
public static class GemmReference
{
    /// <summary>C[m x n] = op(A)[m x k] . op(B)[k x n] (+ C when <paramref name="accumulate"/>).</summary>
    /// <param name="a">A stored [m x k], or [k x m] when <paramref name="transposeA"/>.</param>
    /// <param name="b">B stored [k x n], or [n x k] when <paramref name="transposeB"/>.</param>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
        int m, int n, int k, bool transposeA, bool transposeB, bool accumulate)
    {
        Gemm.CheckShapes(a, b, c, m, n, k);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    float av = transposeA ? a[p * m + i] : a[i * k + p];
                    float bv = transposeB ? b[j * k + p] : b[p * n + j];
                    sum += (double)av * bv;
                }
                c[i * n + j] = accumulate ? c[i * n + j] + (float)sum : (float)sum;
            }
        }
    }
}
