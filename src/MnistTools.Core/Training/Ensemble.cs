using MnistTools.Errors;
using MnistTools.Numerics;
using MnistTools.Training;

namespace MnistTools.Training;

/// <summary>
/// Several networks that vote by averaging their class scores (the output activations: probabilities for Softmax):
/// P̄[row, k] = (P_1[row, k] + … + P_N[row, k]) / N, added in the networks' order, so the result does not depend on
/// threads or chunking. Every network takes the same number of inputs and scores the same number of classes.
/// Each network runs through its own <see cref="Predictor"/> (both cores, buffers kept), and the score buffers are kept
/// too, so a run of calls on one ensemble (a pipeline of single images) allocates nothing per call. Calls on one ensemble
/// run one at a time (a lock). A single network is evaluated and classified by its own paths (<see cref="Evaluator"/>,
/// <see cref="Predictor"/>); this type is for two or more (one is allowed and gives that network's scores).
/// </summary>
public sealed class Ensemble : IScorer
{
    /// <summary>Images per evaluation chunk: each network forwards a chunk (on the two cores) before the next.</summary>
    private const int ChunkImages = 2048;

    /// <summary>The probability the ensemble loss takes for a class whose averaged score is 0 (float's smallest normal
    /// value): −ln of it, about 87.3, bounds the loss of one image, as frameworks clip probabilities before the log.</summary>
    public const float SmallestProbability = 1.17549435E-38f;

    private readonly Network[] _networks;
    private readonly Predictor[] _predictors;
    private readonly object _gate = new();
    /// <summary>The averaged scores of an evaluation chunk, and the next network's scores before they are added: grown to
    /// the largest call, then reused.</summary>
    private float[] _average = Array.Empty<float>(), _scores = Array.Empty<float>();

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
        _predictors = Array.ConvertAll(_networks, network => new Predictor(network));
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
    /// <param name="threadCount">Threads for each network's pass (see <see cref="Predictor.PredictPixels"/>).</param>
    public void PredictPixels(ReadOnlySpan<byte> pixels, int count, Span<float> outputs, int? threadCount = null) =>
        Predict(pixels, ReadOnlySpan<float>.Empty, count, outputs, threadCount);

    /// <summary>The averaged scores of <paramref name="count"/> images given as inputs (pixel / 255f).</summary>
    /// <param name="inputs">[count x InputSize].</param>
    /// <param name="outputs">[count x OutputSize].</param>
    /// <param name="threadCount">Threads for each network's pass (see <see cref="Predictor.Predict"/>).</param>
    public void Predict(ReadOnlySpan<float> inputs, int count, Span<float> outputs, int? threadCount = null) =>
        Predict(ReadOnlySpan<byte>.Empty, inputs, count, outputs, threadCount);

    /// <summary>Network 1's scores into <paramref name="outputs"/>, each next network's added in order, then the mean.</summary>
    private void Predict(ReadOnlySpan<byte> pixels, ReadOnlySpan<float> inputs, int count, Span<float> outputs, int? threadCount)
    {
        CheckOutputs(count, outputs);
        if (count == 0) return;
        int values = count * OutputSize;
        lock (_gate)
        {
            if (_scores.Length < values) _scores = new float[values];
            Span<float> scores = _scores.AsSpan(0, values), sum = outputs.Slice(0, values);
            for (int i = 0; i < _predictors.Length; i++)
            {
                Span<float> target = i == 0 ? sum : scores;
                if (inputs.IsEmpty) _predictors[i].PredictPixels(pixels, count, target, threadCount);
                else _predictors[i].Predict(inputs, count, target, threadCount);
                if (i > 0) Accumulate(sum, scores);
            }
            Average(sum, _networks.Length);
        }
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
        var confusion = new int[classes, classes];
        double lossSum = 0;
        lock (_gate)
        {
            if (_average.Length < chunk * classes) _average = new float[chunk * classes];
            for (int start = 0; start < data.Count; start += chunk)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int rows = Math.Min(chunk, data.Count - start);
                Span<float> mean = _average.AsSpan(0, rows * classes);
                Predict(data.Pixels.Slice(start * size, rows * size), ReadOnlySpan<float>.Empty, rows, mean, threadCount: null);
                for (int r = 0; r < rows; r++)
                {
                    ReadOnlySpan<float> row = mean.Slice(r * classes, classes);
                    int label = data.GetLabel(start + r);
                    confusion[label, Classification.PredictedClass(row)]++;
                    lossSum -= Math.Log(Math.Max(row[label], SmallestProbability));
                }
                progress?.Invoke(start + rows, data.Count);
            }
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
}
