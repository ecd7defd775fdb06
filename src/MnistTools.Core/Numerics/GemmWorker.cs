using System.Diagnostics;

namespace MnistTools.Numerics;

/// <summary>
/// The second core. A product is cut into a few fixed chunks (rectangles of C); the caller and one background
/// thread claim chunks until none are left, so a worker that is slow to wake (or descheduled on a busy machine) only
/// means the caller does more of them. Chunk boundaries never depend on who runs a chunk, and each element of C is
/// computed entirely inside one chunk, so the bits are the same for any interleaving.
/// The worker spins briefly after each job (training posts GEMMs back to back), then sleeps on a semaphore.
/// One caller at a time owns it (<see cref="TryAcquire"/>). Posting and running allocate nothing.
/// If the caller has to wait for the worker longer than its own chunks took (the other core is busy with another
/// process), unforced calls skip the worker for the next 64 calls, then 128, ... up to 8192 while it stays late.
/// </summary>
internal static unsafe class GemmWorker
{
    /// <summary>How long the worker keeps polling for the next job before it sleeps.</summary>
    private static readonly long s_spinTicks = Stopwatch.Frequency / 5000; // 200 microseconds

    private static readonly object s_owner = new();
    private static readonly SemaphoreSlim s_wake = new(0);
    private static Thread? s_thread;
    private static int s_posted, s_sleeping, s_completed;
    /// <summary>
    /// (job number &lt;&lt; 32) | (chunk count &lt;&lt; 16) | next chunk to claim. A claim succeeds only for the current job
    /// and only while a chunk is left, judged from this word alone: the job fields may already belong to the next job
    /// once the last chunk is claimed, but then no claim on the old word can succeed.
    /// </summary>
    private static long s_claim;
    private static Job s_job;
    private static Exception? s_failure;
    /// <summary>Calls left to run single-threaded after the worker came late (busy machine); see <see cref="Run"/>.</summary>
    private static int s_backoff;
    /// <summary>Current back-off length: doubles each time the worker is late again, back to the minimum when on time.</summary>
    private static int s_backoffLength = MinBackoffCalls;

    /// <summary>Calls that skip the worker after it was late, at first; at most <see cref="MaxBackoffCalls"/>.</summary>
    private const int MinBackoffCalls = 64, MaxBackoffCalls = 8192;

    /// <summary>False while backing off from a worker that recently came late (the second core is busy elsewhere).</summary>
    internal static bool IsWorthTrying()
    {
        if (Volatile.Read(ref s_backoff) <= 0) return true;
        Interlocked.Decrement(ref s_backoff);
        return false;
    }

    /// <summary>C[m x n] (+)= op(A) . op(B), cut along columns (or rows) into <see cref="Chunks"/> pieces of <see cref="ChunkSize"/>.</summary>
    internal struct Job
    {
        public GemmPath Path;
        public float* A, B, C;
        public int Lda, Ldb, M, N, K;
        public bool TransposeA, TransposeB, Accumulate, SplitColumns;
        /// <summary>Use <see cref="GemmDirect"/> (decided for the whole product, so every chunk sums the same way).</summary>
        public bool Direct;
        public int ChunkSize, Chunks;
    }

    /// <summary>Takes ownership of the worker; waits for it when <paramref name="wait"/>, else fails fast if busy.</summary>
    internal static bool TryAcquire(bool wait)
    {
        if (wait) { Monitor.Enter(s_owner); return true; }
        return Monitor.TryEnter(s_owner);
    }

    internal static void Release() => Monitor.Exit(s_owner);

    /// <summary>Runs <paramref name="job"/> on the calling thread and the worker; returns when every chunk is done.</summary>
    internal static void Run(in Job job)
    {
        if (s_thread is null)
        {
            s_thread = new Thread(Loop) { IsBackground = true, Name = "MnistTools GEMM worker" };
            s_thread.Start();
        }
        s_job = job;
        Volatile.Write(ref s_completed, 0);
        int number = Interlocked.Increment(ref s_posted);
        Interlocked.Exchange(ref s_claim, ((long)number << 32) | ((long)job.Chunks << 16)); // full fence: job visible first
        if (Volatile.Read(ref s_sleeping) != 0) s_wake.Release();

        long started = Stopwatch.GetTimestamp();
        Work(number);
        long worked = Stopwatch.GetTimestamp();
        var spinner = new SpinWait();
        while (Volatile.Read(ref s_completed) != job.Chunks) spinner.SpinOnce(sleep1Threshold: -1);
        // Waiting longer than our own share took means the worker was descheduled: the other core is busy, so run
        // the next calls alone (same bits either way) and try again later.
        if (Stopwatch.GetTimestamp() - worked > worked - started)
        {
            Volatile.Write(ref s_backoff, s_backoffLength);
            s_backoffLength = Math.Min(2 * s_backoffLength, MaxBackoffCalls);
        }
        else s_backoffLength = MinBackoffCalls;
        if (s_failure is { } failure) { s_failure = null; throw new InvalidOperationException("A GEMM chunk failed.", failure); }
    }

    /// <summary>Claims and runs chunks of job <paramref name="number"/> until none are left.</summary>
    private static void Work(int number)
    {
        while (true)
        {
            long claim = Volatile.Read(ref s_claim);
            if ((int)(claim >> 32) != number) return;
            int chunk = (int)(claim & 0xFFFF), chunks = (int)((claim >> 16) & 0xFFFF);
            if (chunk >= chunks) return;
            if (Interlocked.CompareExchange(ref s_claim, claim + 1, claim) != claim) continue;
            // While this chunk is unfinished the caller cannot return, so the job fields stay valid.
            try { RunChunk(s_job, chunk); }
            catch (Exception exception) { s_failure = exception; }
            Interlocked.Increment(ref s_completed);
        }
    }

    private static void RunChunk(in Job job, int chunk)
    {
        int start = chunk * job.ChunkSize;
        int size = Math.Min(job.ChunkSize, (job.SplitColumns ? job.N : job.M) - start);
        if (job.Direct)
        {
            if (job.SplitColumns) GemmDirect.Run(job.A, job.B + (long)start * job.Ldb, job.C + start, job.N, job.M, size, job.K, job.Accumulate);
            else GemmDirect.Run(job.A + (long)start * job.Lda, job.B, job.C + (long)start * job.N, job.N, size, job.N, job.K, job.Accumulate);
        }
        else if (job.SplitColumns)
            GemmBlocked.Run(job.Path, job.A, job.Lda, job.TransposeA,
                job.B + (job.TransposeB ? (long)start * job.Ldb : start), job.Ldb, job.TransposeB,
                job.C + start, job.N, job.M, size, job.K, job.Accumulate);
        else
            GemmBlocked.Run(job.Path, job.A + (job.TransposeA ? start : (long)start * job.Lda), job.Lda, job.TransposeA,
                job.B, job.Ldb, job.TransposeB,
                job.C + (long)start * job.N, job.N, size, job.N, job.K, job.Accumulate);
    }

    private static void Loop()
    {
        int seen = 0;
        while (true)
        {
            long sleepAt = Stopwatch.GetTimestamp() + s_spinTicks;
            while (Volatile.Read(ref s_posted) == seen)
            {
                if (Stopwatch.GetTimestamp() < sleepAt) { Thread.SpinWait(8); continue; }
                Interlocked.Exchange(ref s_sleeping, 1); // full fence before the re-check (pairs with Run)
                if (Volatile.Read(ref s_posted) == seen) s_wake.Wait();
                Interlocked.Exchange(ref s_sleeping, 0);
                sleepAt = Stopwatch.GetTimestamp() + s_spinTicks;
            }
            seen = Volatile.Read(ref s_posted);
            Work(seen);
        }
    }
}
