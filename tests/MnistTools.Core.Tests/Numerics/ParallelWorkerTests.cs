using MnistTools.Numerics;

namespace MnistTools.Tests.Numerics;

/// <summary>The shared second-core worker: every chunk exactly once, failures surface, nested work stays single-threaded.</summary>
public class ParallelWorkerTests
{
    private sealed class CountingJob : ParallelJob
    {
        public int[] Runs = Array.Empty<int>();
        public int[] Threads = Array.Empty<int>();
        public int Throw = -1;
        public Action<int>? Inside;

        public void Reset(int chunks)
        {
            Chunks = chunks;
            Runs = new int[chunks];
            Threads = new int[chunks];
        }

        public override void RunChunk(int chunk, int thread)
        {
            Interlocked.Increment(ref Runs[chunk]);
            Threads[chunk] = thread;
            if (chunk == Throw) throw new FormatException("chunk " + chunk);
            Inside?.Invoke(chunk);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void EveryChunkRunsExactlyOnce(int threads)
    {
        using var scope = ComputeSettings.Override(threads: threads);
        var job = new CountingJob();
        for (int round = 0; round < 200; round++)
        {
            int chunks = 1 + round % 40;
            job.Reset(chunks);
            bool shared = ParallelWorker.Run(job, ParallelWorker.ShouldTry(large: true));
            // A single chunk stays on the caller even with two threads forced.
            Assert.Equal(threads == 2 && chunks > 1, shared);
            Assert.All(job.Runs, runs => Assert.Equal(1, runs));
            if (!shared) Assert.All(job.Threads, thread => Assert.Equal(0, thread));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void AFailingChunkSurfacesAndTheWorkerStaysUsable(int threads)
    {
        using var scope = ComputeSettings.Override(threads: threads);
        var job = new CountingJob { Throw = 3 };
        job.Reset(8);
        Exception failure = Assert.ThrowsAny<Exception>(() => ParallelWorker.Run(job, ParallelWorker.ShouldTry(large: true)));
        Assert.True(failure is FormatException || failure.InnerException is FormatException, failure.ToString());

        job.Throw = -1;
        job.Reset(8);
        ParallelWorker.Run(job, ParallelWorker.ShouldTry(large: true));
        Assert.All(job.Runs, runs => Assert.Equal(1, runs));
    }

    [Fact]
    public void WorkInsideAJobRunsSingleThreadedAndExact()
    {
        using var scope = ComputeSettings.Override(threads: 2);
        var random = new Random(3);
        float[] a = Enumerable.Range(0, 64 * 300).Select(_ => (float)random.NextDouble()).ToArray();
        float[] b = Enumerable.Range(0, 300 * 200).Select(_ => (float)random.NextDouble()).ToArray();
        float[] expected = new float[64 * 200];
        Gemm.Multiply(a, b, expected, 64, 200, 300, false, false, false);
        Assert.Equal(2, Gemm.LastThreadCount);

        var results = new float[4][];
        var threadCounts = new int[4];
        var job = new CountingJob
        {
            Inside = chunk =>
            {
                Assert.True(ParallelWorker.IsInsideJob);
                Assert.False(ParallelWorker.ShouldTry(large: true)); // even with two threads forced
                var c = new float[64 * 200];
                Gemm.Multiply(a, b, c, 64, 200, 300, false, false, false); // would deadlock or race if it posted a job
                threadCounts[chunk] = Gemm.LastThreadCount;
                results[chunk] = c;
            },
        };
        job.Reset(4);
        Assert.True(ParallelWorker.Run(job, ParallelWorker.ShouldTry(large: true)));
        Assert.False(ParallelWorker.IsInsideJob);
        Assert.All(threadCounts, count => Assert.Equal(1, count));
        Assert.All(results, c => Assert.Equal(expected, c));
    }
}
