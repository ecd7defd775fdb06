using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MnistTools.Numerics;

/// <summary>
/// The weight gradient of a narrow layer, dW[m x n] = dZᵀ · X with few outputs (m &lt;= <see cref="MaxRows"/>), without
/// packing: A = dZ is stored [k x m] and B = X [k x n], so for each p the row B[p, :] is contiguous and A[p, i] is one
/// value to broadcast. A 4 x 64 tile keeps 16 AVX-512 accumulators; each element of C is one fused multiply-add chain
/// over p = 0 .. k−1 in order, in the vector lanes and in the scalar column tail alike, so any split of the rows or
/// columns between threads gives the same bits. Packing X here would cost as much as the multiply, and an 8-row A
/// panel would be largely padding (20 outputs fill 2.5 of them).
/// </summary>
[SkipLocalsInit]
internal static unsafe class GemmBroadcast
{
    /// <summary>Most rows (m) routed here.</summary>
    internal const int MaxRows = 32;

    /// <summary>Narrower products (n below this) are faster packed.</summary>
    internal const int MinColumns = 64;

    /// <summary>Whether <see cref="Gemm"/> takes this route for a whole problem (decided once, before any split).</summary>
    internal static bool Applies(InstructionSet path, int m, int n, bool transposeA, bool transposeB) =>
        path == InstructionSet.Avx512 && transposeA && !transposeB && m <= MaxRows && n >= MinColumns;

    /// <summary>C[i, j] (+)= Σ_p A[p, i] · B[p, j] for i &lt; m, j &lt; n; A row stride lda, B row stride ldb, C row stride ldc.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Run(float* a, int lda, float* b, int ldb, float* c, int ldc, int m, int n, int k, bool accumulate)
    {
        // Column strips outside, row blocks inside: a strip of B (k x 64 floats) stays in L1 while every row block uses it.
        int j = 0;
        for (; j <= n - 64; j += 64)
            for (int i = 0; i < m; i += 4) Tile(a + i, lda, b + j, ldb, c + (long)i * ldc + j, ldc, Math.Min(4, m - i), 4, k, accumulate);
        for (; j <= n - 16; j += 16)
            for (int i = 0; i < m; i += 4) Tile(a + i, lda, b + j, ldb, c + (long)i * ldc + j, ldc, Math.Min(4, m - i), 1, k, accumulate);
        for (; j < n; j++)
            for (int i = 0; i < m; i++)
            {
                float sum = 0f;
                for (int p = 0; p < k; p++) sum = MathF.FusedMultiplyAdd(a[(long)p * lda + i], b[(long)p * ldb + j], sum);
                float* target = c + (long)i * ldc + j;
                *target = accumulate ? *target + sum : sum;
            }
    }

    /// <summary>Up to 4 rows x <paramref name="vectors"/> (1 or 4) vectors of 16 columns: whole 4 x 64 tiles, else one row at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(float* a, int lda, float* b, int ldb, float* c, int ldc, int rows, int vectors, int k, bool accumulate)
    {
        if (rows == 4 && vectors == 4) { Tile4x4(a, lda, b, ldb, c, ldc, k, accumulate); return; }
        for (int r = 0; r < rows; r++)
        {
            if (vectors == 4) Row4(a + r, lda, b, ldb, c + (long)r * ldc, k, accumulate);
            else Row1(a + r, lda, b, ldb, c + (long)r * ldc, k, accumulate);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x4(float* a, int lda, float* b, int ldb, float* c, int ldc, int k, bool accumulate)
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        for (int p = 0; p < k; p++)
        {
            float* bp = b + (long)p * ldb, ap = a + (long)p * lda;
            Vector512<float> b0 = Vector512.Load(bp), b1 = Vector512.Load(bp + 16), b2 = Vector512.Load(bp + 32), b3 = Vector512.Load(bp + 48);
            Vector512<float> x = Vector512.Create(ap[0]);
            c00 = Avx512F.FusedMultiplyAdd(x, b0, c00); c01 = Avx512F.FusedMultiplyAdd(x, b1, c01);
            c02 = Avx512F.FusedMultiplyAdd(x, b2, c02); c03 = Avx512F.FusedMultiplyAdd(x, b3, c03);
            x = Vector512.Create(ap[1]);
            c10 = Avx512F.FusedMultiplyAdd(x, b0, c10); c11 = Avx512F.FusedMultiplyAdd(x, b1, c11);
            c12 = Avx512F.FusedMultiplyAdd(x, b2, c12); c13 = Avx512F.FusedMultiplyAdd(x, b3, c13);
            x = Vector512.Create(ap[2]);
            c20 = Avx512F.FusedMultiplyAdd(x, b0, c20); c21 = Avx512F.FusedMultiplyAdd(x, b1, c21);
            c22 = Avx512F.FusedMultiplyAdd(x, b2, c22); c23 = Avx512F.FusedMultiplyAdd(x, b3, c23);
            x = Vector512.Create(ap[3]);
            c30 = Avx512F.FusedMultiplyAdd(x, b0, c30); c31 = Avx512F.FusedMultiplyAdd(x, b1, c31);
            c32 = Avx512F.FusedMultiplyAdd(x, b2, c32); c33 = Avx512F.FusedMultiplyAdd(x, b3, c33);
        }
        StoreRow(c, 4, accumulate, c00, c01, c02, c03);
        StoreRow(c + ldc, 4, accumulate, c10, c11, c12, c13);
        StoreRow(c + 2L * ldc, 4, accumulate, c20, c21, c22, c23);
        StoreRow(c + 3L * ldc, 4, accumulate, c30, c31, c32, c33);
    }

    /// <summary>One row x 4 vectors: four independent chains.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row4(float* a, int lda, float* b, int ldb, float* c, int k, bool accumulate)
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        for (int p = 0; p < k; p++)
        {
            float* bp = b + (long)p * ldb;
            Vector512<float> x = Vector512.Create(a[(long)p * lda]);
            c0 = Avx512F.FusedMultiplyAdd(x, Vector512.Load(bp), c0); c1 = Avx512F.FusedMultiplyAdd(x, Vector512.Load(bp + 16), c1);
            c2 = Avx512F.FusedMultiplyAdd(x, Vector512.Load(bp + 32), c2); c3 = Avx512F.FusedMultiplyAdd(x, Vector512.Load(bp + 48), c3);
        }
        StoreRow(c, 4, accumulate, c0, c1, c2, c3);
    }

    /// <summary>One row x 1 vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row1(float* a, int lda, float* b, int ldb, float* c, int k, bool accumulate)
    {
        Vector512<float> c0 = default;
        for (int p = 0; p < k; p++) c0 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[(long)p * lda]), Vector512.Load(b + (long)p * ldb), c0);
        Store(c, c0, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, int vectors, bool accumulate, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3)
    {
        Store(c, v0, accumulate);
        if (vectors == 1) return;
        Store(c + 16, v1, accumulate);
        Store(c + 32, v2, accumulate);
        Store(c + 48, v3, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector512<float> value, bool accumulate) =>
        (accumulate ? Vector512.Load(c) + value : value).Store(c);
}
