using System.Runtime.CompilerServices;
using MnistTools.Errors;
using MnistTools.Layers;
using MnistTools.Numerics;

namespace MnistTools;

/// <summary>
/// The one inference path of a network: Test-Network, the validation set, Get-Classification, <see cref="Network.Predict"/>
/// and every network of an ensemble run their images through it. The rows go in chunks of
/// <see cref="BatchBuffers.InferenceRowsFor"/> images (as many as keep a chunk's layer outputs in a core's L2) through
/// <see cref="Propagation.Forward"/>, shared by the two cores (<see cref="ParallelWorker"/>); each thread works in its own
/// <see cref="BatchBuffers"/>, allocated on its first chunk and kept for every later call. A chunk's result depends on its
/// rows alone (forward is row-wise), so the bits are the same whichever thread runs it, with one thread or two, and
/// whatever the number of rows of a call.
/// Keep one predictor for a run of calls (a cmdlet keeps one from BeginProcessing to EndProcessing): a pipeline of
/// single images then allocates no buffers per image. Calls on one predictor run one at a time (a lock), so it may be
/// shared; each call refuses a network that another thread is training (NetworkInUse).
/// </summary>
public sealed class Predictor : IScorer
{
    /// <summary>Below this much work (multiply-adds, <see cref="WorkPerRow"/>; about 40 µs of one core) a job runs on the
    /// calling thread alone: handing it over would cost a noticeable share of it.</summary>
    private const long ParallelWork = 1L << 22;

    /// <summary>Images per job: progress is reported between jobs (cancellation is honoured between chunks too).</summary>
    private const int ImagesPerJob = 4096;

    private readonly Network _network;
    private readonly BatchBuffers?[] _buffers = new BatchBuffers?[2];
    private readonly ChunkJob _job;
    private readonly ScoresSink _scores;
    private readonly object _gate = new();
    private readonly long _workPerRow;

    /// <exception cref="MnistToolsException">WorkingMemoryTooLarge (InvalidArgument): one chunk per thread would not fit
    /// the working-memory bound.</exception>
    public Predictor(Network network)
    {
        _network = network ?? throw new ArgumentNullException(nameof(network));
        ChunkRows = BatchBuffers.InferenceRowsFor(network.Stack);
        _workPerRow = WorkPerRow(network.Stack);
        WorkingMemory.CheckInference(network.Stack, ChunkRows, copies: 2); // one chunk's buffers per thread
        _job = new ChunkJob(this);
        _scores = new ScoresSink(network.OutputSize);
    }

    /// <summary>The network this predictor runs.</summary>
    public Network Network => _network;

    /// <summary>Images per chunk: what one thread forwards at a time.</summary>
    public int ChunkRows { get; }

    /// <summary>The output layer's activations of <paramref name="count"/> images given as grey levels: each pixel is
    /// scaled to pixel / 255f exactly as in training and evaluation.</summary>
    /// <param name="pixels">[count x InputSize] grey levels 0..255.</param>
    /// <param name="outputs">[count x OutputSize].</param>
    /// <param name="threadCount">Threads, 1..<see cref="ComputeSettings.MaxThreads"/>; null decides by problem size
    /// (or MNISTTOOLS_THREADS). The bits are the same for any count.</param>
    /// <exception cref="MnistToolsException">ThreadCountOutOfRange (InvalidArgument); NetworkInUse (Busy).</exception>
    public void PredictPixels(ReadOnlySpan<byte> pixels, int count, Span<float> outputs, int? threadCount = null)
    {
        CheckRows(pixels.Length, count, outputs, nameof(pixels));
        PredictRows(pixels, ReadOnlySpan<float>.Empty, count, outputs, threadCount);
    }

    /// <summary>The output layer's activations of <paramref name="count"/> images given as inputs (pixel / 255f).</summary>
    /// <param name="inputs">[count x InputSize].</param>
    /// <param name="outputs">[count x OutputSize].</param>
    /// <param name="threadCount">As for <see cref="PredictPixels"/>.</param>
    /// <exception cref="MnistToolsException">ThreadCountOutOfRange (InvalidArgument); NetworkInUse (Busy).</exception>
    public void Predict(ReadOnlySpan<float> inputs, int count, Span<float> outputs, int? threadCount = null)
    {
        CheckRows(inputs.Length, count, outputs, nameof(inputs));
        PredictRows(ReadOnlySpan<byte>.Empty, inputs, count, outputs, threadCount);
    }

    private unsafe void PredictRows(ReadOnlySpan<byte> pixels, ReadOnlySpan<float> inputs, int count, Span<float> outputs, int? threadCount)
    {
        ComputeSettings.CheckThreadCount(threadCount);
        using var threads = ComputeSettings.Override(threads: threadCount);
        if (count == 0) return;
        _network.CheckNotTrainedElsewhere("used for prediction");
        lock (_gate)
        {
            fixed (float* scores = outputs)
            {
                _scores.Outputs = scores;
                try { Run(pixels, inputs, count, _scores, CancellationToken.None, progress: null); }
                finally { _scores.Outputs = null; }
            }
        }
    }

    private void CheckRows(int sourceLength, int count, Span<float> outputs, string sourceName)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count));
        int inputSize = _network.InputSize, outputSize = _network.OutputSize;
        if (sourceLength < (long)count * inputSize)
            throw new ArgumentException($"{sourceName} holds {sourceLength} values; {count} rows of {inputSize} need {(long)count * inputSize}.", sourceName);
        if (outputs.Length < (long)count * outputSize)
            throw new ArgumentException($"outputs holds {outputs.Length} values; {count} rows of {outputSize} need {(long)count * outputSize}.", nameof(outputs));
    }

    /// <summary>
    /// Forwards <paramref name="count"/> rows, taken from <paramref name="pixels"/> (scaled by <see cref="PixelScaling"/>)
    /// when it is not empty, else from <paramref name="inputs"/> as they are, chunk by chunk on the two cores, and hands
    /// each chunk's buffers to <paramref name="sink"/>. The caller holds the lock (or owns the predictor), has checked the
    /// lengths and applied the thread count.
    /// </summary>
    /// <param name="progress">Called on the calling thread with (rows done, count) after every job of about 4,096 rows.</param>
    internal unsafe void Run(ReadOnlySpan<byte> pixels, ReadOnlySpan<float> inputs, int count, InferenceSink sink,
        CancellationToken cancellationToken, Action<int, int>? progress)
    {
        int batch = ChunkRows, chunks = (count + batch - 1) / batch, chunksPerJob = Math.Max(1, ImagesPerJob / batch);
        fixed (byte* pixelRows = pixels)
        fixed (float* inputRows = inputs)
        {
            ChunkJob job = _job;
            job.Pixels = pixels.IsEmpty ? null : pixelRows;
            job.Inputs = inputRows;
            job.Count = count;
            job.Sink = sink;
            job.Cancellation = cancellationToken;
            try
            {
                for (job.FirstChunk = 0; job.FirstChunk < chunks; job.FirstChunk += chunksPerJob)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    int jobChunks = Math.Min(chunksPerJob, chunks - job.FirstChunk);
                    job.Chunks = jobChunks;
                    long work = (long)Math.Min(count - job.FirstChunk * batch, jobChunks * batch) * _workPerRow;
                    ParallelWorker.Run(job, ParallelWorker.ShouldTry(jobChunks > 1 && work >= ParallelWork));
                    cancellationToken.ThrowIfCancellationRequested();
                    progress?.Invoke(Math.Min(count, (job.FirstChunk + jobChunks) * batch), count);
                }
            }
            finally
            {
                job.Pixels = null;
                job.Inputs = null;
                job.Sink = null;
            }
        }
    }

    /// <summary>Multiply-adds of one image, roughly: a layer with units computes each output value from its fan-in (a
    /// convolution's filter at every position, a Dense row); one without reads its input once. The parameter count would
    /// undercount a convolution by its number of positions.</summary>
    private static long WorkPerRow(LayerStack stack)
    {
        long work = 0;
        foreach (Layer layer in stack.Layers) work += layer.Units > 0 ? (long)layer.FanIn * layer.OutputSize : layer.InputSize;
        return Math.Max(work, 1);
    }

    /// <summary>Loads chunk <paramref name="index"/> into this thread's buffers, forwards it and hands it to the sink.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void RunChunk(ChunkJob job, int index, int thread)
    {
        if (job.Cancellation.IsCancellationRequested) return;
        LayerStack stack = _network.Stack;
        int size = stack.InputSize, start = index * ChunkRows, rows = Math.Min(ChunkRows, job.Count - start);
        // Sized for the call's chunks: a run of single images keeps 1-row buffers; a larger call replaces them once.
        BatchBuffers? buffers = _buffers[thread];
        if (buffers is null || buffers.MaxRows < rows)
            _buffers[thread] = buffers = new BatchBuffers(stack, Math.Min(ChunkRows, job.Count), training: false, lanes: 1);
        Span<float> input = buffers.Input.AsSpan(0, rows * size);
        if (job.Pixels != null) PixelScaling.ToInputs(new ReadOnlySpan<byte>(job.Pixels + (long)start * size, rows * size), input);
        else new ReadOnlySpan<float>(job.Inputs + (long)start * size, rows * size).CopyTo(input);
        Propagation.Forward(stack, buffers, 0, rows, 0, LaneKey.Inference, everyOutput: false);
        job.Sink!.Take(buffers, index, start, rows, thread);
    }

    private sealed unsafe class ChunkJob(Predictor predictor) : ParallelJob
    {
        public byte* Pixels;
        public float* Inputs;
        public int Count, FirstChunk;
        public InferenceSink? Sink;
        public CancellationToken Cancellation;

        public override void RunChunk(int chunk, int thread) => predictor.RunChunk(this, FirstChunk + chunk, thread);
    }

    /// <summary>Copies each chunk's scores to the caller's outputs (pinned for the call).</summary>
    private sealed unsafe class ScoresSink(int classes) : InferenceSink
    {
        public float* Outputs;

        public override void Take(BatchBuffers buffers, int chunk, int start, int rows, int thread) =>
            buffers.Scores.AsSpan(0, rows * classes).CopyTo(new Span<float>(Outputs + (long)start * classes, rows * classes));
    }
}

/// <summary>What is done with a forwarded chunk: it reads the chunk's rows of the buffers (scores, output layer) and
/// writes only its own part of a result (its rows, its chunk's slot, its thread's counts).</summary>
internal abstract class InferenceSink
{
    /// <param name="chunk">The chunk's index in the call (chunk order, for per-chunk result slots).</param>
    /// <param name="start">The call's row at which the chunk starts; the chunk fills rows [0, rows) of the buffers.</param>
    /// <param name="thread">0 on the calling thread, 1 on the worker: only to pick per-thread result slots.</param>
    public abstract void Take(BatchBuffers buffers, int chunk, int start, int rows, int thread);
}
