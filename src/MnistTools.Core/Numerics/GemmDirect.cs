using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MnistTools.Numerics;

/// <summary>
/// The forward product of a narrow layer, Z[m x n] = X[m x k] . W[n x k]^T with few outputs (n &lt;= <see cref="MaxColumns"/>),
/// without packing: rows of X and W are both contiguous along k, so each C element is a dot product. A 4 x 4 tile keeps
/// 16 AVX-512 accumulators (one per element, 16 lanes of partial sums over p mod 16); the lanes are then summed and the
/// k % 16 remainder added in order. Packing X would cost as much as the multiply here, and a 16-wide output panel
/// would be mostly padding. The summation order differs from the packed kernels (lanes, then tail) but depends only on
/// k, so any split of the rows or columns between threads gives the same bits.
/// </summary>
[SkipLocalsInit]
internal static unsafe class GemmDirect
{
    /// <summary>Widest output (n) routed here.</summary>
    internal const int MaxColumns = 32;

    /// <summary>Shallower products (k below this) are faster packed: the lane sums and tails dominate.</summary>
    internal const int MinDepth = 64;

    /// <summary>Whether <see cref="Gemm"/> takes this route for a whole problem (decided once, before any split).</summary>
    internal static bool Applies(GemmPath path, int n, int k, bool transposeA, bool transposeB) =>
        path == GemmPath.Avx512 && !transposeA && transposeB && n <= MaxColumns && k >= MinDepth;

    /// <summary>C[i, j] (+)= dot(X[i, :], W[j, :]) for i &lt; m, j &lt; n; X row stride k, W row stride k, C row stride ldc.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Run(float* x, float* w, float* c, int ldc, int m, int n, int k, bool accumulate)
    {
        int m4 = m & ~3, n4 = n & ~3;
        for (int i = 0; i < m; i += 4)
        {
            for (int j = 0; j < n; j += 4)
            {
                if (i < m4 && j < n4) Tile4x4(x + (long)i * k, w + (long)j * k, c + (long)i * ldc + j, ldc, k, accumulate);
                else if (j < n4)
                    for (int r = i; r < m; r++) Tile1x4(x + (long)r * k, w + (long)j * k, c + (long)r * ldc + j, k, accumulate);
                else
                    for (int r = i; r < Math.Min(i + 4, m); r++)
                        for (int q = j; q < Math.Min(j + 4, n); q++)
                        {
                            float sum = Dot(x + (long)r * k, w + (long)q * k, k);
                            c[(long)r * ldc + q] = accumulate ? c[(long)r * ldc + q] + sum : sum;
                        }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x4(float* x, float* w, float* c, int ldc, int k, bool accumulate)
    {
        float* x1 = x + k, x2 = x + 2 * k, x3 = x + 3 * k;
        float* w1 = w + k, w2 = w + 2 * k, w3 = w + 3 * k;
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        int p = 0;
        for (; p <= k - 16; p += 16)
        {
            Vector512<float> b0 = Vector512.Load(w + p), b1 = Vector512.Load(w1 + p), b2 = Vector512.Load(w2 + p), b3 = Vector512.Load(w3 + p);
            Vector512<float> a = Vector512.Load(x + p);
            c00 = Avx512F.FusedMultiplyAdd(a, b0, c00); c01 = Avx512F.FusedMultiplyAdd(a, b1, c01);
            c02 = Avx512F.FusedMultiplyAdd(a, b2, c02); c03 = Avx512F.FusedMultiplyAdd(a, b3, c03);
            a = Vector512.Load(x1 + p);
            c10 = Avx512F.FusedMultiplyAdd(a, b0, c10); c11 = Avx512F.FusedMultiplyAdd(a, b1, c11);
            c12 = Avx512F.FusedMultiplyAdd(a, b2, c12); c13 = Avx512F.FusedMultiplyAdd(a, b3, c13);
            a = Vector512.Load(x2 + p);
            c20 = Avx512F.FusedMultiplyAdd(a, b0, c20); c21 = Avx512F.FusedMultiplyAdd(a, b1, c21);
            c22 = Avx512F.FusedMultiplyAdd(a, b2, c22); c23 = Avx512F.FusedMultiplyAdd(a, b3, c23);
            a = Vector512.Load(x3 + p);
            c30 = Avx512F.FusedMultiplyAdd(a, b0, c30); c31 = Avx512F.FusedMultiplyAdd(a, b1, c31);
            c32 = Avx512F.FusedMultiplyAdd(a, b2, c32); c33 = Avx512F.FusedMultiplyAdd(a, b3, c33);
        }
        Store(c, 0, Finish(c00, x, w, p, k), accumulate); Store(c, 1, Finish(c01, x, w1, p, k), accumulate);
        Store(c, 2, Finish(c02, x, w2, p, k), accumulate); Store(c, 3, Finish(c03, x, w3, p, k), accumulate);
        c += ldc;
        Store(c, 0, Finish(c10, x1, w, p, k), accumulate); Store(c, 1, Finish(c11, x1, w1, p, k), accumulate);
        Store(c, 2, Finish(c12, x1, w2, p, k), accumulate); Store(c, 3, Finish(c13, x1, w3, p, k), accumulate);
        c += ldc;
        Store(c, 0, Finish(c20, x2, w, p, k), accumulate); Store(c, 1, Finish(c21, x2, w1, p, k), accumulate);
        Store(c, 2, Finish(c22, x2, w2, p, k), accumulate); Store(c, 3, Finish(c23, x2, w3, p, k), accumulate);
        c += ldc;
        Store(c, 0, Finish(c30, x3, w, p, k), accumulate); Store(c, 1, Finish(c31, x3, w1, p, k), accumulate);
        Store(c, 2, Finish(c32, x3, w2, p, k), accumulate); Store(c, 3, Finish(c33, x3, w3, p, k), accumulate);
    }

    /// <summary>One row of a tile (the rows below the last whole 4-row tile): the same four chains as in <see cref="Tile4x4"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile1x4(float* x, float* w, float* c, int k, bool accumulate)
    {
        float* w1 = w + k, w2 = w + 2 * k, w3 = w + 3 * k;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        int p = 0;
        for (; p <= k - 16; p += 16)
        {
            Vector512<float> a = Vector512.Load(x + p);
            c0 = Avx512F.FusedMultiplyAdd(a, Vector512.Load(w + p), c0); c1 = Avx512F.FusedMultiplyAdd(a, Vector512.Load(w1 + p), c1);
            c2 = Avx512F.FusedMultiplyAdd(a, Vector512.Load(w2 + p), c2); c3 = Avx512F.FusedMultiplyAdd(a, Vector512.Load(w3 + p), c3);
        }
        Store(c, 0, Finish(c0, x, w, p, k), accumulate); Store(c, 1, Finish(c1, x, w1, p, k), accumulate);
        Store(c, 2, Finish(c2, x, w2, p, k), accumulate); Store(c, 3, Finish(c3, x, w3, p, k), accumulate);
    }

    /// <summary>The same sum as a tile element, for edge elements: 16 lanes over whole vectors, then the remainder.</summary>
    private static float Dot(float* x, float* w, int k)
    {
        Vector512<float> sum = default;
        int p = 0;
        for (; p <= k - 16; p += 16) sum = Avx512F.FusedMultiplyAdd(Vector512.Load(x + p), Vector512.Load(w + p), sum);
        return Finish(sum, x, w, p, k);
    }

    /// <summary>Lane sum in a fixed order, then the k % 16 tail one product at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Finish(Vector512<float> lanes, float* x, float* w, int p, int k)
    {
        Vector256<float> half = lanes.GetLower() + lanes.GetUpper();
        Vector128<float> quarter = half.GetLower() + half.GetUpper();
        float sum = (quarter.GetElement(0) + quarter.GetElement(2)) + (quarter.GetElement(1) + quarter.GetElement(3));
        for (; p < k; p++) sum = MathF.FusedMultiplyAdd(x[p], w[p], sum);
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, int j, float value, bool accumulate) => c[j] = accumulate ? c[j] + value : value;
}
