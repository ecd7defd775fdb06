using System.Runtime.CompilerServices;
using MnistTools.Errors;
using MnistTools.Layers;
using MnistTools.Numerics;

namespace MnistTools.Training;

/// <summary>
/// Loss, accuracy and confusion matrix of a network on a data set, through the network's one inference path
/// (<see cref="Predictor"/>: chunks of <see cref="BatchBuffers.InferenceRowsFor"/> images on the two cores, each thread in
/// its own buffers): each thread counts into its own confusion matrix, each chunk's loss lands in its own slot and the
/// slots are summed in chunk order, so the result has the same bits whichever thread ran which chunk.
/// </summary>
public sealed class Evaluator
{
    private readonly Network _network;
    private readonly Predictor _predictor;
    private readonly EvaluationSink _sink;

    /// <exception cref="MnistToolsException">WorkingMemoryTooLarge (InvalidArgument): see <see cref="Predictor"/>.</exception>
    public Evaluator(Network network)
    {
        _network = network ?? throw new ArgumentNullException(nameof(network));
        _predictor = new Predictor(network);
        _sink = new EvaluationSink(network);
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
        int classes = _network.OutputSize, chunks = (data.Count + _predictor.ChunkRows - 1) / _predictor.ChunkRows;
        _sink.Begin(data, chunks);
        try
        {
            _predictor.Run(data.Pixels, ReadOnlySpan<float>.Empty, data.Count, _sink, cancellationToken, progress);
        }
        finally
        {
            _sink.Data = null;
        }

        double lossSum = 0;
        for (int chunk = 0; chunk < chunks; chunk++) lossSum += _sink.ChunkLoss[chunk];
        var confusion = new int[classes, classes];
        for (int actual = 0; actual < classes; actual++)
            for (int predicted = 0; predicted < classes; predicted++)
                confusion[actual, predicted] = _sink.Confusion[0][actual * classes + predicted] + _sink.Confusion[1][actual * classes + predicted];
        if (!double.IsFinite(lossSum))
            throw new MnistToolsException(ErrorIds.NetworkOutputNotFinite, FailureKind.InvalidResult,
                $"The network's outputs on '{data.Name}' are not finite (the loss is {lossSum}): its weights overflow on these inputs. " +
                "Retrain it with a lower learning rate, or load a saved copy.", "Network");
        return new TestResult(data.Name, data.Count == 0 ? 0 : lossSum / data.Count, confusion);
    }

    /// <summary>A forwarded chunk's labels, summed loss (into the chunk's slot) and confusion counts (into its thread's matrix).</summary>
    private sealed class EvaluationSink(Network network) : InferenceSink
    {
        public readonly int[][] Confusion = [new int[network.OutputSize * network.OutputSize], new int[network.OutputSize * network.OutputSize]];
        public double[] ChunkLoss = Array.Empty<double>();
        public MnistDataSet? Data;

        public void Begin(MnistDataSet data, int chunks)
        {
            foreach (int[] counts in Confusion) Array.Clear(counts);
            if (chunks > ChunkLoss.Length) ChunkLoss = new double[chunks];
            Data = data;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override void Take(BatchBuffers buffers, int chunk, int start, int rows, int thread)
        {
            MnistDataSet data = Data!;
            for (int r = 0; r < rows; r++) buffers.Labels[r] = data.GetLabel(start + r);
            ChunkLoss[chunk] = Propagation.Loss(network.Stack, buffers, 0, rows);
            int classes = network.OutputSize;
            int[] confusion = Confusion[thread];
            ReadOnlySpan<float> scores = buffers.Scores.AsSpan(0, rows * classes);
            for (int r = 0; r < rows; r++)
                confusion[buffers.Labels[r] * classes + Classification.PredictedClass(scores.Slice(r * classes, classes))]++;
        }
    }
}
