using System.Numerics.Tensors;

namespace MnistTools.Training;

/// <summary>Loss, accuracy and confusion matrix of a network on a data set, in batches of <see cref="Workspace.InferenceBatch"/>.</summary>
public sealed class Evaluator
{
    public const string NotFiniteErrorId = "NetworkOutputNotFinite";

    private readonly Network _network;
    private readonly Workspace _workspace;

    public Evaluator(Network network)
    {
        _network = network ?? throw new ArgumentNullException(nameof(network));
        _workspace = new Workspace(network.Layout, Workspace.InferenceBatch, training: false);
    }

    public Network Network => _network;

    /// <summary>Evaluates <paramref name="data"/>; the network must fit it (<see cref="DataCompatibility.Check"/>).</summary>
    /// <param name="progress">Called after every batch on the calling thread with (images done, images in all).</param>
    /// <exception cref="MnistToolsException">NetworkOutputNotFinite (InvalidResult) when the loss is NaN or infinite: a
    /// result is never returned with a NaN in it.</exception>
    public TestResult Evaluate(MnistDataSet data, CancellationToken cancellationToken = default, Action<int, int>? progress = null)
    {
        DataCompatibility.Check(_network, data);
        _network.CheckNotTrainedElsewhere("evaluated");
        int classes = _network.OutputSize;
        var confusion = new int[classes, classes];
        double lossSum = 0;
        for (int start = 0; start < data.Count; start += _workspace.MaxBatch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int rows = Math.Min(_workspace.MaxBatch, data.Count - start);
            _workspace.LoadRange(data, start, rows);
            Propagation.Forward(_network, _workspace.Input, rows, _workspace);
            lossSum += Propagation.Loss(_network, rows, _workspace);
            Span<float> output = _workspace.Output(rows);
            for (int r = 0; r < rows; r++)
                confusion[_workspace.Labels[r], TensorPrimitives.IndexOfMax(output.Slice(r * classes, classes))]++;
            progress?.Invoke(start + rows, data.Count);
        }
        if (!double.IsFinite(lossSum))
            throw new MnistToolsException(NotFiniteErrorId, FailureKind.InvalidResult,
                $"The network's outputs on '{data.Name}' are not finite (the loss is {lossSum}): its weights overflow on these inputs. " +
                "Retrain it with a lower learning rate, or load a saved copy.", "Network");
        return new TestResult(data.Name, data.Count == 0 ? 0 : lossSum / data.Count, confusion);
    }
}
