namespace MnistTools.Numerics;

/// <summary>
/// One product C[m x n] (+)= op(A) . op(B) cut along columns (or rows) of C into <see cref="ParallelJob.Chunks"/>
/// pieces of <see cref="ChunkSize"/>, for <see cref="ParallelWorker"/>. Chunk boundaries never depend on who runs a
/// chunk, and each element of C is computed entirely inside one chunk, so the bits are the same for any interleaving.
/// One instance per thread, reused (no allocation per call).
/// </summary>
internal sealed unsafe class GemmJob : ParallelJob
{
    [ThreadStatic] private static GemmJob? t_instance;

    internal static GemmJob ForCurrentThread() => t_instance ??= new GemmJob();

    public InstructionSet Path;
    public float* A, B, C;
    public int Lda, Ldb, M, N, K;
    public bool TransposeA, TransposeB, Accumulate, SplitColumns;
    /// <summary>Which kernel family (decided for the whole product, so every chunk sums the same way).</summary>
    public GemmRoute Route;
    public int ChunkSize;

    public override void RunChunk(int chunk, int thread)
    {
        int start = chunk * ChunkSize;
        int size = Math.Min(ChunkSize, (SplitColumns ? N : M) - start);
        float* a = A, b = B, c = C;
        int m = M, n = N;
        if (SplitColumns)
        {
            b += TransposeB ? (long)start * Ldb : start;
            c += start;
            n = size;
        }
        else
        {
            a += TransposeA ? start : (long)start * Lda;
            c += (long)start * N;
            m = size;
        }
        Gemm.RunRoute(Route, Path, a, Lda, TransposeA, b, Ldb, TransposeB, c, N, m, n, K, Accumulate);
    }
}
