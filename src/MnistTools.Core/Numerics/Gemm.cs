using System.Numerics.Tensors;

namespace MnistTools.Numerics;

/// <summary>
/// Single-precision matrix multiply for the dense layers. Row-major, contiguous buffers.
/// The three products training needs:
///   forward          Z[batch x out]  = X[batch x in] . W^T        (transposeB)
///   backward inputs  dX[batch x in]  = dZ[batch x out] . W[out x in]
///   backward weights dW[out x in]    = dZ^T . X                    (transposeA)
/// Results are deterministic: the same inputs give the same bits, whatever the thread count.
/// </summary>
public static class Gemm
{
    /// <summary>C[m x n] = op(A)[m x k] . op(B)[k x n] (+ C when <paramref name="accumulate"/>).</summary>
    /// <param name="a">A stored [m x k], or [k x m] when <paramref name="transposeA"/>.</param>
    /// <param name="b">B stored [k x n], or [n x k] when <paramref name="transposeB"/>.</param>
    /// <param name="c">C, [m x n].</param>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
        int m, int n, int k, bool transposeA, bool transposeB, bool accumulate)
    {
        CheckShapes(a, b, c, m, n, k);
        if (!accumulate) c[..(m * n)].Clear();
        if (m == 0 || n == 0 || k == 0) return;

        if (transposeB && !transposeA)
        {
            // C[i,j] += dot(A[i,:], B[j,:])
            for (int i = 0; i < m; i++)
            {
                ReadOnlySpan<float> aRow = a.Slice(i * k, k);
                Span<float> cRow = c.Slice(i * n, n);
                for (int j = 0; j < n; j++) cRow[j] += TensorPrimitives.Dot(aRow, b.Slice(j * k, k));
            }
            return;
        }

        // C[i,:] += op(A)[i,p] * op(B)[p,:]; for transposed B, gather one column first.
        Span<float> column = transposeB ? new float[n] : default;
        for (int i = 0; i < m; i++)
        {
            Span<float> cRow = c.Slice(i * n, n);
            for (int p = 0; p < k; p++)
            {
                float av = transposeA ? a[p * m + i] : a[i * k + p];
                ReadOnlySpan<float> bRow;
                if (transposeB)
                {
                    for (int j = 0; j < n; j++) column[j] = b[j * k + p];
                    bRow = column;
                }
                else bRow = b.Slice(p * n, n);
                TensorPrimitives.MultiplyAdd(bRow, av, cRow, cRow);
            }
        }
    }

    internal static void CheckShapes(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentOutOfRangeException(nameof(m), "Matrix dimensions must be non-negative.");
        if (a.Length < (long)m * k) throw new ArgumentException($"A has {a.Length} elements; needs {(long)m * k}.", nameof(a));
        if (b.Length < (long)k * n) throw new ArgumentException($"B has {b.Length} elements; needs {(long)k * n}.", nameof(b));
        if (c.Length < (long)m * n) throw new ArgumentException($"C has {c.Length} elements; needs {(long)m * n}.", nameof(c));
    }
}
