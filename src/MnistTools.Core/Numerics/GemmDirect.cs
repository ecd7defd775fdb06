using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MnistTools.Numerics;

/// <summary>
/// The forward product of a narrow layer, Z[m x n] = X[m x k] . W[n x k]^T with few outputs (n &lt;= <see cref="MaxColumns"/>),
/// without packing: rows of X and W are both contiguous along k, so each C element is a dot product. A 4 x 4 tile keeps
/// 16 AVX-512 accumulators (one per element, 16 lanes of partial sums over p mod 16); the lanes are then summed and the
/// k % 16 remainder added in order. The edges take 2 x 4, 1 x 4 and 4 x 1 tiles (LeNet-5's first-layer weight gradient,
/// 6 filters x 25 taps: 224-226 µs per lane of 64 images against about 250 with one-row tiles and single dot products),
/// the same chains. Packing X would cost as much as the multiply here, and a 16-wide output panel
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
    internal static bool Applies(InstructionSet path, int n, int k, bool transposeA, bool transposeB) =>
        path == InstructionSet.Avx512 && !transposeA && transposeB && n <= MaxColumns && k >= MinDepth;

    /// <summary>C[i, j] (+)= dot(X[i, :], W[j, :]) for i &lt; m, j &lt; n; X row stride k, W row stride k, C row stride ldc.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Run(float* x, float* w, float* c, int ldc, int m, int n, int k, bool accumulate)
    {
        float** rows = stackalloc float*[n];
        for (int j = 0; j < n; j++) rows[j] = w + (long)j * k;
        RunRows(x, rows, c, ldc, m, n, k, accumulate);
    }

    /// <summary>C[i, j] (+)= dot(X[i, :], W_j[0 .. k)) for i &lt; m, j &lt; n &lt;= <see cref="MaxColumns"/>, W_j = <paramref name="rows"/>[j]
    /// anywhere in memory (the rows of a convolution's column matrix taken from shifted copies of the image): the same
    /// sums, bit for bit, as <see cref="Run"/> on a matrix holding those rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void RunRows(float* x, float** rows, float* c, int ldc, int m, int n, int k, bool accumulate)
    {
        int m4 = m & ~3, n4 = n & ~3;
        for (int i = 0; i < m; i += 4)
        {
            for (int j = 0; j < n; j += 4)
            {
                if (i < m4 && j < n4) Tile4x4(x + (long)i * k, rows + j, c + (long)i * ldc + j, ldc, k, accumulate);
                else if (j < n4)
                {
                    int r = i;
                    for (; r + 1 < m; r += 2) Tile2x4(x + (long)r * k, rows + j, c + (long)r * ldc + j, ldc, k, accumulate);
                    if (r < m) Tile1x4(x + (long)r * k, rows + j, c + (long)r * ldc + j, k, accumulate);
                }
                else if (i < m4)
                    for (int q = j; q < n; q++) Tile4x1(x + (long)i * k, rows[q], c + (long)i * ldc + q, ldc, k, accumulate);
                else
                    for (int r = i; r < Math.Min(i + 4, m); r++)
                        for (int q = j; q < Math.Min(j + 4, n); q++)
                        {
                            float sum = Dot(x + (long)r * k, rows[q], k);
                            c[(long)r * ldc + q] = accumulate ? c[(long)r * ldc + q] + sum : sum;
                        }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x4(float* x, float** rows, float* c, int ldc, int k, bool accumulate)
    {
        float* x1 = x + k, x2 = x + 2 * k, x3 = x + 3 * k;
        float* w = rows[0], w1 = rows[1], w2 = rows[2], w3 = rows[3];
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
        if (p == k)
        {
            // No k tail: reduce all 16 accumulators together (the same additions as Finish, far fewer instructions).
            FinishTile(c00, c10, c20, c30, c01, c11, c21, c31, c02, c12, c22, c32, c03, c13, c23, c33, c, ldc, accumulate);
            return;
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
    private static void Tile1x4(float* x, float** rows, float* c, int k, bool accumulate)
    {
        float* w = rows[0], w1 = rows[1], w2 = rows[2], w3 = rows[3];
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

    /// <summary>Two rows of a tile (the rows below the last whole 4-row tile): the same eight chains as in <see cref="Tile4x4"/>,
    /// six loads per eight multiply-adds instead of ten for two <see cref="Tile1x4"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile2x4(float* x, float** rows, float* c, int ldc, int k, bool accumulate)
    {
        float* x1 = x + k;
        float* w = rows[0], w1 = rows[1], w2 = rows[2], w3 = rows[3];
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
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
        }
        Store(c, 0, Finish(c00, x, w, p, k), accumulate); Store(c, 1, Finish(c01, x, w1, p, k), accumulate);
        Store(c, 2, Finish(c02, x, w2, p, k), accumulate); Store(c, 3, Finish(c03, x, w3, p, k), accumulate);
        c += ldc;
        Store(c, 0, Finish(c10, x1, w, p, k), accumulate); Store(c, 1, Finish(c11, x1, w1, p, k), accumulate);
        Store(c, 2, Finish(c12, x1, w2, p, k), accumulate); Store(c, 3, Finish(c13, x1, w3, p, k), accumulate);
    }

    /// <summary>One column of four rows (the columns right of the last whole 4-column tile): four chains sharing each load
    /// of the column's row, each the same sum as <see cref="Dot"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x1(float* x, float* w, float* c, int ldc, int k, bool accumulate)
    {
        float* x1 = x + k, x2 = x + 2 * k, x3 = x + 3 * k;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        int p = 0;
        for (; p <= k - 16; p += 16)
        {
            Vector512<float> b = Vector512.Load(w + p);
            c0 = Avx512F.FusedMultiplyAdd(Vector512.Load(x + p), b, c0); c1 = Avx512F.FusedMultiplyAdd(Vector512.Load(x1 + p), b, c1);
            c2 = Avx512F.FusedMultiplyAdd(Vector512.Load(x2 + p), b, c2); c3 = Avx512F.FusedMultiplyAdd(Vector512.Load(x3 + p), b, c3);
        }
        Store(c, 0, Finish(c0, x, w, p, k), accumulate);
        Store(c + ldc, 0, Finish(c1, x1, w, p, k), accumulate);
        Store(c + 2L * ldc, 0, Finish(c2, x2, w, p, k), accumulate);
        Store(c + 3L * ldc, 0, Finish(c3, x3, w, p, k), accumulate);
    }

    /// <summary>The same sum as a tile element, for edge elements: 16 lanes over whole vectors, then the remainder.</summary>
    private static float Dot(float* x, float* w, int k)
    {
        Vector512<float> sum = default;
        int p = 0;
        for (; p <= k - 16; p += 16) sum = Avx512F.FusedMultiplyAdd(Vector512.Load(x + p), Vector512.Load(w + p), sum);
        return Finish(sum, x, w, p, k);
    }

    /// <summary>
    /// The lane sums of a whole 4 x 4 tile at once, given column by column (a[q·4 + r] holds C[r, q]): exactly the pairs
    /// <see cref="Finish"/> adds — 512 → 256 bits (x_i + x_(i+8)), 256 → 128 (h_i + h_(i+4)), then (q0 + q2) + (q1 + q3) —
    /// but with 4-8 accumulators per instruction; the last step leaves row r's four sums in 128-bit lane r.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FinishTile(Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3,
        Vector512<float> a4, Vector512<float> a5, Vector512<float> a6, Vector512<float> a7,
        Vector512<float> a8, Vector512<float> a9, Vector512<float> a10, Vector512<float> a11,
        Vector512<float> a12, Vector512<float> a13, Vector512<float> a14, Vector512<float> a15, float* c, int ldc, bool accumulate)
    {
        // 512 → 256: pair i holds accumulator 2i in its lower half and 2i + 1 in its upper half.
        Vector512<float> t0 = Halves(a0, a1), t1 = Halves(a2, a3), t2 = Halves(a4, a5), t3 = Halves(a6, a7);
        Vector512<float> t4 = Halves(a8, a9), t5 = Halves(a10, a11), t6 = Halves(a12, a13), t7 = Halves(a14, a15);
        // 256 → 128: u_j's 128-bit lane L holds accumulator 4j + L.
        Vector512<float> u0 = Quarters(t0, t1), u1 = Quarters(t2, t3), u2 = Quarters(t4, t5), u3 = Quarters(t6, t7);
        // (q0 + q2), (q1 + q3): v_k's lane L holds accumulators 8k + L and 8k + 4 + L, two values each.
        Vector512<float> v0 = Avx512F.Shuffle(u0, u1, 0x44) + Avx512F.Shuffle(u0, u1, 0xEE);
        Vector512<float> v1 = Avx512F.Shuffle(u2, u3, 0x44) + Avx512F.Shuffle(u2, u3, 0xEE);
        // The final pair: lane L = accumulators L, 4 + L, 8 + L, 12 + L = row L, columns 0..3.
        Vector512<float> sums = Avx512F.Shuffle(v0, v1, 0x88) + Avx512F.Shuffle(v0, v1, 0xDD);
        StoreRow(c, sums.GetLower().GetLower(), accumulate);
        StoreRow(c + ldc, sums.GetLower().GetUpper(), accumulate);
        StoreRow(c + 2L * ldc, sums.GetUpper().GetLower(), accumulate);
        StoreRow(c + 3L * ldc, sums.GetUpper().GetUpper(), accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Halves(Vector512<float> first, Vector512<float> second) =>
        Vector512.Create(first.GetLower(), second.GetLower()) + Vector512.Create(first.GetUpper(), second.GetUpper());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Quarters(Vector512<float> first, Vector512<float> second) =>
        Avx512F.Shuffle4x128(first, second, 0x88) + Avx512F.Shuffle4x128(first, second, 0xDD);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, Vector128<float> sums, bool accumulate) =>
        (accumulate ? Vector128.Load(c) + sums : sums).Store(c);

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
