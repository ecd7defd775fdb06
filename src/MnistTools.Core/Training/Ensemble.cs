using MnistTools.Errors;
using MnistTools.Numerics;
using MnistTools.Training;

namespace MnistTools.Training;

/// <summary>
/// Several networks that vote by averaging their class scores (the output activations: probabilities for Softmax):
/// P̄[row, k] = (P_1[row, k] + … + P_N[row, k]) / N, added in the networks' order, so the result does not depend on
/// threads or chunking. Every network takes the same number of inputs and scores the same number of classes.
/// A single network is evaluated and classified by its own fast paths (<see cref="Evaluator"/>, <see cref="Network.Predict"/>);
/// this type is for two or more (one is allowed and gives that network's scores).
/// </summary>
public sealed class Ensemble
{
    /// <summary>Images per evaluation chunk: each network forwards a chunk (split between the two cores) before the next.</summary>
    private const int ChunkImages = 2048;

    /// <summary>Below this much work (images x parameters) a chunk runs on the calling thread alone.</summary>
    private const long ParallelWork = 1L << 20;

    /// <summary>The probability the ensemble loss takes for a class whose averaged score is 0 (float's smallest normal
    /// value): −ln of it, about 87.3, bounds the loss of one image, as frameworks clip probabilities before the log.</summary>
    public const float SmallestProbability = 1.17549435E-38f;

    private readonly Network[] _networks;

    /// <exception cref="MnistToolsException">InvalidArgument: no networks or a null one (EnsembleNetworkMismatch too), or a
    /// network whose input size or class count differs from the first's (EnsembleNetworkMismatch, the target is that network).</exception>
    public Ensemble(IReadOnlyList<Network> networks)
    {
        if (networks is null || networks.Count == 0)
            throw new MnistToolsException(ErrorIds.EnsembleNetworkMismatch, FailureKind.InvalidArgument, "An ensemble needs at least one network.", "Network");
        _networks = networks.ToArray();
        Network first = _networks[0] ?? throw new MnistToolsException(ErrorIds.EnsembleNetworkMismatch, FailureKind.InvalidArgument, "Network 1 of the ensemble is null.", "Network");
        for (int i = 1; i < _networks.Length; i++)
        {
            Network network = _networks[i] ?? throw new MnistToolsException(ErrorIds.EnsembleNetworkMismatch, FailureKind.InvalidArgument,
                $"Network {i + 1} of the ensemble is null.", "Network");
            if (network.InputSize != first.InputSize || network.OutputSize != first.OutputSize)
                throw new MnistToolsException(ErrorIds.EnsembleNetworkMismatch, FailureKind.InvalidArgument,
                    $"Network {i + 1} of the ensemble ({network.Description}) takes {network.InputSize} inputs and scores {network.OutputSize} classes; " +
                    $"network 1 ({first.Description}) takes {first.InputSize} and scores {first.OutputSize}. Every network of an ensemble must take the " +
                    "same images and score the same classes.", network);
        }
    }

    /// <summary>The networks, in voting order (a copy).</summary>
    public IReadOnlyList<Network> Networks => _networks.ToArray();

    /// <summary>How many networks vote.</summary>
    public int Count => _networks.Length;

    /// <summary>Values of one image.</summary>
    public int InputSize => _networks[0].InputSize;

    /// <summary>Classes scored.</summary>
    public int OutputSize => _networks[0].OutputSize;

    /// <summary>The averaged scores of <paramref name="count"/> images given as grey levels 0..255.</summary>
    /// <param name="pixels">[count x InputSize].</param>
    /// <param name="outputs">[count x OutputSize].</param>
    /// <param name="threadCount">Threads for each network's pass (see <see cref="Network.PredictPixels"/>).</param>
    public void PredictPixels(ReadOnlySpan<byte> pixels, int count, Span<float> outputs, int? threadCount = null)
    {
        CheckOutputs(count, outputs);
        if (count == 0) return;
        var scores = new float[count * OutputSize];
        for (int i = 0; i < _networks.Length; i++)
        {
            _networks[i].PredictPixels(pixels, count, i == 0 ? outputs : scores, threadCount);
            if (i > 0) Accumulate(outputs.Slice(0, scores.Length), scores);
        }
        Average(outputs.Slice(0, scores.Length), _networks.Length);
    }

    /// <summary>The averaged scores of <paramref name="count"/> images given as inputs (pixel / 255f).</summary>
    /// <param name="inputs">[count x InputSize].</param>
    /// <param name="outputs">[count x OutputSize].</param>
    /// <param name="threadCount">Threads for each network's pass (see <see cref="Network.Predict"/>).</param>
    public void Predict(ReadOnlySpan<float> inputs, int count, Span<float> outputs, int? threadCount = null)
    {
        CheckOutputs(count, outputs);
        if (count == 0) return;
        var scores = new float[count * OutputSize];
        for (int i = 0; i < _networks.Length; i++)
        {
            _networks[i].Predict(inputs, count, i == 0 ? outputs : scores, threadCount);
            if (i > 0) Accumulate(outputs.Slice(0, scores.Length), scores);
        }
        Average(outputs.Slice(0, scores.Length), _networks.Length);
    }

    /// <summary>
    /// Accuracy, confusion matrix and loss of the averaged scores on <paramref name="data"/>. The loss is the mean
    /// cross-entropy of the averaged scores, −ln max(P̄[label], <see cref="SmallestProbability"/>), whatever loss the
    /// networks were trained with. <see cref="TestResult.NetworkCount"/> is <see cref="Count"/>.
    /// </summary>
    /// <param name="progress">Called on the calling thread with (images done, images in all) after every chunk.</param>
    /// <exception cref="MnistToolsException">The set does not fit the networks (<see cref="DataCompatibility.Check"/>), a
    /// network is being trained elsewhere, or a network's output is not finite (NetworkOutputNotFinite).</exception>
    /// <param name="threadCount">Threads, 1..<see cref="ComputeSettings.MaxThreads"/>; null decides by problem size.</param>
    public TestResult Evaluate(MnistDataSet data, CancellationToken cancellationToken = default, Action<int, int>? progress = null,
        int? threadCount = null)
    {
        ComputeSettings.CheckThreadCount(threadCount);
        using var threads = ComputeSettings.Override(threads: threadCount);
        foreach (Network network in _networks)
        {
            DataCompatibility.Check(network, data);
            network.CheckNotTrainedElsewhere("evaluated");
        }
        int classes = OutputSize, size = data.ImageSize;
        int chunk = Math.Max(1, Math.Min(ChunkImages, data.Count));
        var average = new float[chunk * classes];
        var scores = new float[chunk * classes];
        var confusion = new int[classes, classes];
        var job = new PredictJob();
        double lossSum = 0;
        for (int start = 0; start < data.Count; start += chunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int rows = Math.Min(chunk, data.Count - start);
            for (int i = 0; i < _networks.Length; i++)
            {
                job.Set(_networks[i], data, start, rows, i == 0 ? average : scores);
                ParallelWorker.Run(job, ParallelWorker.ShouldTry((long)rows * _networks[i].ParameterCount >= ParallelWork));
                if (i > 0) Accumulate(average.AsSpan(0, rows * classes), scores.AsSpan(0, rows * classes));
            }
            job.Set(null, null, 0, 0, null);
            Span<float> mean = average.AsSpan(0, rows * classes);
            Average(mean, _networks.Length);
            for (int r = 0; r < rows; r++)
            {
                ReadOnlySpan<float> row = mean.Slice(r * classes, classes);
                int label = data.GetLabel(start + r);
                confusion[label, Classification.PredictedClass(row)]++;
                lossSum -= Math.Log(Math.Max(row[label], SmallestProbability));
            }
            progress?.Invoke(start + rows, data.Count);
        }
        if (!double.IsFinite(lossSum))
            throw new MnistToolsException(ErrorIds.NetworkOutputNotFinite, FailureKind.InvalidResult,
                $"The ensemble's outputs on '{data.Name}' are not finite (the loss is {lossSum}): a network's weights overflow on these inputs.", "Network");
        return new TestResult(data.Name, data.Count == 0 ? 0 : lossSum / data.Count, confusion) { NetworkCount = _networks.Length };
    }

    /// <summary>sum += next, element by element.</summary>
    private static void Accumulate(Span<float> sum, ReadOnlySpan<float> next) => System.Numerics.Tensors.TensorPrimitives.Add(sum, next, sum);

    /// <summary>sum /= networks, element by element.</summary>
    private static void Average(Span<float> sum, int networks)
    {
        if (networks > 1) System.Numerics.Tensors.TensorPrimitives.Divide(sum, (float)networks, sum);
    }

    private void CheckOutputs(int count, Span<float> outputs)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count));
        if (outputs.Length < (long)count * OutputSize)
            throw new ArgumentException($"outputs holds {outputs.Length} values; {count} rows of {OutputSize} need {(long)count * OutputSize}.", nameof(outputs));
    }

    /// <summary>One network's scores of rows [start, start + rows) of a set, chunk = half of the rows.</summary>
    private sealed class PredictJob() : ParallelJob(2)
    {
        private Network? _network;
        private MnistDataSet? _data;
        private int _start, _rows;
        private float[]? _output;

        public void Set(Network? network, MnistDataSet? data, int start, int rows, float[]? output)
        {
            _network = network;
            _data = data;
            _start = start;
            _rows = rows;
            _output = output;
        }

        public override void RunChunk(int chunk, int thread)
        {
            int first = _rows * chunk / 2, count = _rows * (chunk + 1) / 2 - first;
            if (count == 0) return;
            int size = _data!.ImageSize, classes = _network!.OutputSize;
            _network.PredictPixels(_data.Pixels.Slice((_start + first) * size, count * size), count, _output.AsSpan(first * classes, count * classes));
        }
    }
}
