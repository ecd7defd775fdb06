using System.Runtime.CompilerServices;

namespace MnistTools.Numerics;

/// <summary>
/// Single-precision matrix multiply for the layers (dense products, convolutions through im2col). Row-major, contiguous buffers.
/// The three products training needs:
///   forward          Z[batch x out]  = X[batch x in] . W^T        (transposeB)
///   backward inputs  dX[batch x in]  = dZ[batch x out] . W[out x in]
///   backward weights dW[out x in]    = dZ^T . X                    (transposeA)
/// Packed panels, register-blocked FMA micro-kernels (AVX-512, AVX2, portable Vector&lt;T&gt;; see
/// <see cref="ComputeSettings"/>), two unpacked AVX-512 routes for narrow layers (<see cref="GemmRoute"/>), and a second
/// thread for large products. Results are deterministic: the same inputs
/// give the same bits whatever the thread count (each element of C is summed by one thread in a fixed k order).
/// No managed allocation per call once a thread's packing buffers have grown to the sizes in use.
/// </summary>
public static class Gemm
{
    /// <summary>Below this many multiply-adds a second thread costs more than it saves.</summary>
    internal const long ParallelThreshold = 1L << 20;

    /// <summary>Threads the last call on this thread offered work to (1 or 2); for tests.</summary>
    [ThreadStatic] internal static int LastThreadCount;

    /// <summary>C[m x n] = op(A)[m x k] . op(B)[k x n] (+ C when <paramref name="accumulate"/>).</summary>
    /// <param name="a">A stored [m x k], or [k x m] when <paramref name="transposeA"/>.</param>
    /// <param name="b">B stored [k x n], or [n x k] when <paramref name="transposeB"/>.</param>
    /// <param name="c">C, [m x n].</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
        int m, int n, int k, bool transposeA, bool transposeB, bool accumulate)
    {
        CheckShapes(a, b, c, m, n, k);
        LastThreadCount = 1;
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate) c[..(m * n)].Clear();
            return;
        }

        InstructionSet path = ComputeSettings.InstructionSet;
        int lda = transposeA ? m : k, ldb = transposeB ? k : n;
        GemmRoute route = ChooseRoute(path, m, n, k, lda, ldb, transposeA, transposeB);
        fixed (float* pa = a, pb = b, pc = c)
        {
            // Cut C along its longer side into 2-4 chunks of whole vectors (16 columns) or A panels (24 rows).
            bool splitColumns = n >= m;
            int extent = splitColumns ? n : m, unit = splitColumns ? 16 : 24;
            int chunks = Math.Clamp(extent / 192, 2, 4);
            int chunkSize = Math.Max(unit, (extent / chunks + unit - 1) / unit * unit);
            chunks = (extent + chunkSize - 1) / chunkSize;
            if (chunks >= 2 && ParallelWorker.ShouldTry(large: (long)m * n * k >= ParallelThreshold))
            {
                GemmJob job = GemmJob.ForCurrentThread();
                job.Path = path; job.A = pa; job.B = pb; job.C = pc; job.Lda = lda; job.Ldb = ldb; job.M = m; job.N = n; job.K = k;
                job.TransposeA = transposeA; job.TransposeB = transposeB; job.Accumulate = accumulate;
                job.SplitColumns = splitColumns; job.ChunkSize = chunkSize; job.Route = route;
                job.Chunks = chunks;
                if (ParallelWorker.Run(job, useWorker: true)) LastThreadCount = 2;
                job.A = job.B = job.C = null;
                return;
            }
            RunRoute(route, path, pa, lda, transposeA, pb, ldb, transposeB, pc, n, m, n, k, accumulate);
        }
    }

    /// <summary>
    /// C[m x n] (+)= op(A) . op(B) on sub-matrices with explicit row strides (lda, ldb, ldc &gt;= their row lengths), on the
    /// calling thread only: for work that is already one chunk of a parallel job. Same kernels, routes and bits as
    /// <see cref="Multiply"/> for the same shape when the strides are the contiguous ones.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void MultiplyStrided(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc,
        int m, int n, int k, bool transposeA, bool transposeB, bool accumulate)
    {
        if (m <= 0 || n <= 0) return;
        if (k == 0)
        {
            if (!accumulate) for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
            return;
        }
        (int aRows, int aColumns) = transposeA ? (k, m) : (m, k);
        (int bRows, int bColumns) = transposeB ? (n, k) : (k, n);
        if (lda < aColumns || ldb < bColumns || ldc < n) throw new ArgumentOutOfRangeException(nameof(lda), "A row stride is shorter than its row.");
        if (a.Length < (long)(aRows - 1) * lda + aColumns) throw new ArgumentException("A is too short for its shape and stride.", nameof(a));
        if (b.Length < (long)(bRows - 1) * ldb + bColumns) throw new ArgumentException("B is too short for its shape and stride.", nameof(b));
        if (c.Length < (long)(m - 1) * ldc + n) throw new ArgumentException("C is too short for its shape and stride.", nameof(c));

        InstructionSet path = ComputeSettings.InstructionSet;
        fixed (float* pa = a, pb = b, pc = c)
            RunRoute(ChooseRoute(path, m, n, k, lda, ldb, transposeA, transposeB), path, pa, lda, transposeA, pb, ldb, transposeB, pc, ldc,
                m, n, k, accumulate);
    }

    /// <summary>The kernel family for a whole product, decided before any split so every chunk sums the same way. The
    /// direct route reads rows of A and B as they are, so it needs both strides equal to k.</summary>
    internal static GemmRoute ChooseRoute(InstructionSet path, int m, int n, int k, int lda, int ldb, bool transposeA, bool transposeB) =>
        lda == k && ldb == k && GemmDirect.Applies(path, n, k, transposeA, transposeB) ? GemmRoute.Direct
        : GemmBroadcast.Applies(path, m, n, transposeA, transposeB) ? GemmRoute.Broadcast
        : GemmRoute.Blocked;

    /// <summary>C[m x n] (+)= op(A) . op(B) on the calling thread through <paramref name="route"/>'s kernels (strides as in <see cref="MultiplyStrided"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void RunRoute(GemmRoute route, InstructionSet path, float* a, int lda, bool transposeA, float* b, int ldb, bool transposeB,
        float* c, int ldc, int m, int n, int k, bool accumulate)
    {
        switch (route)
        {
            case GemmRoute.Direct: GemmDirect.Run(a, b, c, ldc, m, n, k, accumulate); break;
            case GemmRoute.Broadcast: GemmBroadcast.Run(a, lda, b, ldb, c, ldc, m, n, k, accumulate); break;
            default: GemmBlocked.Run(path, a, lda, transposeA, b, ldb, transposeB, c, ldc, m, n, k, accumulate); break;
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

/// <summary>The kernel family of one product.</summary>
internal enum GemmRoute
{
    /// <summary>Packed panels and register-blocked micro-kernels (<see cref="GemmBlocked"/>): the general case.</summary>
    Blocked,
    /// <summary>Unpacked dot-product tiles for narrow forward products (<see cref="GemmDirect"/>).</summary>
    Direct,
    /// <summary>Unpacked broadcast tiles for the weight gradient of narrow layers (<see cref="GemmBroadcast"/>).</summary>
    Broadcast,
}
