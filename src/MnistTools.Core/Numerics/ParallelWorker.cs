using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace MnistTools.Numerics;

/// <summary>
/// Work cut into a fixed number of chunks that may run on either of two threads. A chunk's result must not depend on
/// which thread runs it or in what order the chunks run (each writes its own part of the output, or its own slot that
/// the caller combines in chunk order), so the bits are the same with one thread or two.
/// </summary>
internal abstract class ParallelJob
{
    protected ParallelJob() { }

    protected ParallelJob(int chunks) => Chunks = chunks;

    /// <summary>Number of chunks, 1..65535; set before <see cref="ParallelWorker.Run"/>.</summary>
    public int Chunks { get; set; }

    /// <summary>Runs one chunk. <paramref name="thread"/> is 0 on the calling thread, 1 on the worker: use it only to pick
    /// per-thread scratch buffers, never to decide what is computed.</summary>
    public abstract void RunChunk(int chunk, int thread);
}

/// <summary>
/// The second core, shared by the GEMM, the training step and evaluation. The caller and one background thread claim
/// chunks of a <see cref="ParallelJob"/> until none are left, so a worker that is slow to wake (or descheduled on a busy
/// machine) only means the caller does more of them. The caller claims from the front and the worker from the back, so
/// with two chunks each thread keeps running the same one step after step and its buffers stay in that core's cache.
/// The worker spins briefly after each job (training posts jobs back to back), then sleeps on a semaphore. One caller at a time owns it (<see cref="TryAcquire"/>); code already
/// running inside a job never posts another (<see cref="IsInsideJob"/>). Posting and running allocate nothing.
/// If the caller has to wait for the worker longer than its own chunks took (the other core is busy with another
/// process), unforced callers skip the worker for the next 4 jobs, then 8, ... up to 8192 while it stays late (a single
/// late job is usually a preemption that says nothing about the next).
/// The thread count comes from <see cref="ComputeSettings.ForcedThreads"/> (MNISTTOOLS_THREADS) when set; the worker runs
/// each job under the posting thread's instruction set and convolution algorithm (<see cref="ComputeSettings.Capture"/>).
/// </summary>
internal static class ParallelWorker
{
    /// <summary>How long the worker keeps polling for the next job before it sleeps.</summary>
    private static readonly long s_spinTicks = Stopwatch.Frequency / 5000; // 200 microseconds

    private static readonly object s_owner = new();
    private static readonly SemaphoreSlim s_wake = new(0);
    private static Thread? s_thread;
    private static int s_posted, s_sleeping, s_completed;
    /// <summary>
    /// (job number &lt;&lt; 32) | (end &lt;&lt; 16) | front: chunks [front, end) are unclaimed; the caller takes front, the
    /// worker takes end − 1. A claim succeeds only for the current job and only while a chunk is left, judged from this
    /// word alone: <see cref="s_job"/> may already be the next job once the last chunk is claimed, but then no claim on
    /// the old word can succeed.
    /// </summary>
    private static long s_claim;
    private static ParallelJob? s_job;
    /// <summary>The posting thread's kernel overrides (instruction set, convolution algorithm), adopted by the worker.</summary>
    private static ComputeSettings.Kernels s_kernels;
    private static Exception? s_failure;
    private static int s_backoff;
    private static int s_backoffLength = MinBackoffCalls;
    private const int MinBackoffCalls = 4, MaxBackoffCalls = 8192;

    [ThreadStatic] private static bool t_insideJob;

    /// <summary>Jobs offered to the worker, and how many of them it came late for (diagnostics for the benchmarks).</summary>
    internal static long SharedJobs, LateJobs;

    /// <summary>Stopwatch ticks the caller spent on its own chunks of shared jobs, and waiting for the worker to finish
    /// its chunks after that (diagnostics for the benchmarks' profile).</summary>
    internal static long CallerWorkTicks, CallerWaitTicks;

    /// <summary>True on a thread that is running chunks of a job (the worker always): such code runs single-threaded.</summary>
    internal static bool IsInsideJob => t_insideJob;

    /// <summary>Whether a job with this much work should be offered to the worker at all (thread setting, CPU count, back-off).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool ShouldTry(bool large)
    {
        if (t_insideJob) return false;
        int? forced = ComputeSettings.ForcedThreads;
        if (forced is not null) return forced == 2;
        if (!large || Environment.ProcessorCount < 2) return false;
        if (Volatile.Read(ref s_backoff) <= 0) return true;
        Interlocked.Decrement(ref s_backoff);
        return false;
    }

    /// <summary>
    /// Runs every chunk of <paramref name="job"/>: on the caller and the worker when <paramref name="useWorker"/>, the job
    /// has two chunks or more and the worker is free, else all on the caller (a single chunk stays there: the worker could
    /// only take it instead of the caller, which then waits, and would need its own buffers for it). Returns when every
    /// chunk is done (true if the worker was offered the job); rethrows a chunk's exception.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool Run(ParallelJob job, bool useWorker)
    {
        if (useWorker && job.Chunks > 1 && !t_insideJob && TryAcquire(wait: ComputeSettings.ForcedThreads == 2))
        {
            try { RunShared(job); }
            finally { Monitor.Exit(s_owner); }
            return true;
        }
        bool outer = t_insideJob;
        t_insideJob = true;
        try
        {
            for (int chunk = 0; chunk < job.Chunks; chunk++) job.RunChunk(chunk, 0);
        }
        finally { t_insideJob = outer; }
        return false;
    }

    private static bool TryAcquire(bool wait)
    {
        if (wait) { Monitor.Enter(s_owner); return true; }
        return Monitor.TryEnter(s_owner);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunShared(ParallelJob job)
    {
        if (s_thread is null)
        {
            s_thread = new Thread(Loop) { IsBackground = true, Name = "MnistTools worker" };
            s_thread.Start();
        }
        s_job = job;
        s_kernels = ComputeSettings.Capture();
        Volatile.Write(ref s_completed, 0);
        int number = Interlocked.Increment(ref s_posted);
        Interlocked.Exchange(ref s_claim, ((long)number << 32) | ((long)job.Chunks << 16)); // full fence: job visible first
        bool asleep = Volatile.Read(ref s_sleeping) != 0;
        if (asleep) s_wake.Release();

        long started = Stopwatch.GetTimestamp();
        t_insideJob = true;
        try { Work(number, 0); }
        finally { t_insideJob = false; }
        long worked = Stopwatch.GetTimestamp();
        // Poll tightly for the first stretch (the worker's chunk usually ends within microseconds of ours; SpinWait's
        // growing back-off and yields would add that much again to every job), then politely.
        long politeAt = worked + s_spinTicks / 4;
        var spinner = new SpinWait();
        while (Volatile.Read(ref s_completed) != job.Chunks)
        {
            if (Stopwatch.GetTimestamp() < politeAt) Thread.SpinWait(4);
            else spinner.SpinOnce(sleep1Threshold: -1);
        }
        // Waiting longer than our own share took means the worker was descheduled: the other core is busy, so run
        // the next jobs alone (same bits either way) and try again later. Waking it from its sleep takes time anyway,
        // so only a job it was spinning for counts.
        SharedJobs++;
        long done = Stopwatch.GetTimestamp();
        CallerWorkTicks += worked - started;
        CallerWaitTicks += done - worked;
        if (!asleep && done - worked > worked - started)
        {
            LateJobs++;
            Volatile.Write(ref s_backoff, s_backoffLength);
            s_backoffLength = Math.Min(2 * s_backoffLength, MaxBackoffCalls);
        }
        else s_backoffLength = MinBackoffCalls;
        s_job = null;
        if (s_failure is { } failure) { s_failure = null; throw new InvalidOperationException("A parallel chunk failed.", failure); }
    }

    /// <summary>Claims and runs chunks of job <paramref name="number"/> until none are left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Work(int number, int thread)
    {
        while (true)
        {
            long claim = Volatile.Read(ref s_claim);
            if ((int)(claim >> 32) != number) return;
            int front = (int)(claim & 0xFFFF), end = (int)((claim >> 16) & 0xFFFF);
            if (front >= end) return;
            int chunk = thread == 0 ? front : end - 1;
            long next = thread == 0 ? claim + 1 : claim - (1L << 16);
            if (Interlocked.CompareExchange(ref s_claim, next, claim) != claim) continue;
            // While this chunk is unfinished the caller cannot return, so s_job is still this job.
            try { s_job!.RunChunk(chunk, thread); }
            catch (Exception exception) { s_failure = exception; }
            Interlocked.Increment(ref s_completed);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Loop()
    {
        t_insideJob = true;
        int seen = 0;
        while (true)
        {
            long sleepAt = Stopwatch.GetTimestamp() + s_spinTicks;
            while (Volatile.Read(ref s_posted) == seen)
            {
                if (Stopwatch.GetTimestamp() < sleepAt) { Thread.SpinWait(8); continue; }
                Interlocked.Exchange(ref s_sleeping, 1); // full fence before the re-check (pairs with RunShared)
                if (Volatile.Read(ref s_posted) == seen) s_wake.Wait();
                Interlocked.Exchange(ref s_sleeping, 0);
                sleepAt = Stopwatch.GetTimestamp() + s_spinTicks;
            }
            seen = Volatile.Read(ref s_posted);
            // Written before s_posted moved (a full fence), so these are the posting thread's overrides.
            ComputeSettings.Adopt(s_kernels);
            Work(seen, 1);
        }
    }
}
