using System.Runtime.CompilerServices;
using MnistTools.Errors;
using MnistTools.Layers;
using MnistTools.Numerics;

namespace MnistTools.Training;

/// <summary>
/// Loss, accuracy and confusion matrix of a network on a data set, in chunks of <see cref="BatchBuffers.InferenceRowsFor"/>
/// images shared between the two cores (<see cref="ParallelWorker"/>): each thread forwards whole chunks in its own
/// buffers and counts into its own confusion matrix; each chunk's loss lands in its own slot and the slots are summed
/// in chunk order, so the result has the same bits whichever thread ran which chunk. A job holds many chunks, so the
/// thread that finishes its share first waits at most one small chunk for the other.
/// </summary>
public sealed class Evaluator
{
    /// <summary>Below this much work (images x parameters) a job runs on the calling thread alone.</summary>
    private const long ParallelWork = 1L << 20;

    /// <summary>Images per job: progress is reported between jobs (cancellation is honoured between chunks too).</summary>
    private const int ImagesPerJob = 4096;

    private readonly Network _network;
    private readonly BatchBuffers?[] _buffers = new BatchBuffers?[2];
    private readonly int[][] _confusion = new int[2][];

    private MnistDataSet? _data;
    private readonly int _chunkRows;
    private double[] _chunkLoss = Array.Empty<double>();
    private int _firstChunk;
    private CancellationToken _cancellation;
    private readonly ChunkJob _job;

    public Evaluator(Network network)
    {
        _network = network ?? throw new ArgumentNullException(nameof(network));
        int classes = network.OutputSize;
        for (int thread = 0; thread < 2; thread++) _confusion[thread] = new int[classes * classes];
        _chunkRows = BatchBuffers.InferenceRowsFor(network.Stack);
        WorkingMemory.CheckInference(network.Stack, _chunkRows, copies: 2); // one chunk's buffers per thread
        _job = new ChunkJob(this);
    }

    public Network Network => _network;

    /// <summary>Evaluates <paramref name="data"/>; the network must fit it (<see cref="DataCompatibility.Check"/>).</summary>
    /// <param name="progress">Called on the calling thread with (images done, images in all) after every few thousand images.</param>
    /// <exception cref="MnistToolsException">NetworkOutputNotFinite (InvalidResult) when the loss is NaN or infinite: a
    /// result is never returned with a NaN in it.</exception>
    /// <param name="threadCount">Threads, 1..<see cref="ComputeSettings.MaxThreads"/>; null decides by problem size (or
    /// MNISTTOOLS_THREADS). The bits are the same for any count.</param>
    /// <exception cref="MnistToolsException">ThreadCountOutOfRange (InvalidArgument).</exception>
    public TestResult Evaluate(MnistDataSet data, CancellationToken cancellationToken = default, Action<int, int>? progress = null,
        int? threadCount = null)
    {
        ComputeSettings.CheckThreadCount(threadCount);
        using var threads = ComputeSettings.Override(threads: threadCount);
        DataCompatibility.Check(_network, data);
        _network.CheckNotTrainedElsewhere("evaluated");
        int classes = _network.OutputSize;
        int batch = _chunkRows, chunks = (data.Count + batch - 1) / batch, chunksPerJob = Math.Max(1, ImagesPerJob / batch);
        foreach (int[] counts in _confusion) Array.Clear(counts);
        _chunkLoss = chunks <= _chunkLoss.Length ? _chunkLoss : new double[chunks];
        _data = data;
        _cancellation = cancellationToken;
        try
        {
            for (_firstChunk = 0; _firstChunk < chunks; _firstChunk += chunksPerJob)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int jobChunks = Math.Min(chunksPerJob, chunks - _firstChunk);
                _job.Chunks = jobChunks;
                long work = (long)Math.Min(data.Count - _firstChunk * batch, jobChunks * batch) * _network.ParameterCount;
                ParallelWorker.Run(_job, ParallelWorker.ShouldTry(work >= ParallelWork));
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Invoke(Math.Min(data.Count, (_firstChunk + jobChunks) * batch), data.Count);
            }
        }
        finally
        {
            _data = null;
        }

        double lossSum = 0;
        for (int chunk = 0; chunk < chunks; chunk++) lossSum += _chunkLoss[chunk];
        var confusion = new int[classes, classes];
        for (int actual = 0; actual < classes; actual++)
            for (int predicted = 0; predicted < classes; predicted++)
                confusion[actual, predicted] = _confusion[0][actual * classes + predicted] + _confusion[1][actual * classes + predicted];
        if (!double.IsFinite(lossSum))
            throw new MnistToolsException(ErrorIds.NetworkOutputNotFinite, FailureKind.InvalidResult,
                $"The network's outputs on '{data.Name}' are not finite (the loss is {lossSum}): its weights overflow on these inputs. " +
                "Retrain it with a lower learning rate, or load a saved copy.", "Network");
        return new TestResult(data.Name, data.Count == 0 ? 0 : lossSum / data.Count, confusion);
    }

    private sealed class ChunkJob(Evaluator evaluator) : ParallelJob
    {
        public override void RunChunk(int chunk, int thread) => evaluator.RunChunk(chunk, thread);
    }

    /// <summary>Forwards the images of chunk <paramref name="chunk"/> of the current job in this thread's buffers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunChunk(int chunk, int thread)
    {
        if (_cancellation.IsCancellationRequested) return;
        MnistDataSet data = _data!;
        BatchBuffers buffers = _buffers[thread] ??= new BatchBuffers(_network.Stack, _chunkRows, training: false, lanes: 1);
        int index = _firstChunk + chunk, start = index * buffers.MaxRows;
        int rows = Math.Min(buffers.MaxRows, data.Count - start);
        buffers.LoadRange(data, start, rows);
        Propagation.Forward(_network.Stack, buffers, 0, rows, 0, LaneKey.Inference);
        _chunkLoss[index] = Propagation.Loss(_network.Stack, buffers, 0, rows);
        int classes = _network.OutputSize;
        int[] confusion = _confusion[thread];
        ReadOnlySpan<float> scores = buffers.Scores.AsSpan(0, rows * classes);
        for (int r = 0; r < rows; r++)
            confusion[buffers.Labels[r] * classes + Classification.PredictedClass(scores.Slice(r * classes, classes))]++;
    }
}
