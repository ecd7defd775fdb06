namespace MnistTools;

/// <summary>One epoch of training: a flat record (scalars only) so that <c>| Export-Csv</c> gives a learning curve.</summary>
public sealed class TrainingEpoch
{
    /// <summary>The network's epoch number counted over all runs (1 = its first epoch ever).</summary>
    public int Epoch { get; init; }

    /// <summary>Mean loss over the epoch's batches, measured on each batch before its update (no L2 term).</summary>
    public double TrainLoss { get; init; }

    /// <summary>Fraction of training images classified correctly in the forward pass of their batch.</summary>
    public double TrainAccuracy { get; init; }

    /// <summary>Mean loss on the validation set after the epoch; null without one.</summary>
    public double? ValidationLoss { get; init; }

    /// <summary>Accuracy on the validation set after the epoch; null without one.</summary>
    public double? ValidationAccuracy { get; init; }

    public double LearningRate { get; init; }

    public int BatchSize { get; init; }

    public Optimizer Optimizer { get; init; }

    /// <summary>L2 weight-decay coefficient λ.</summary>
    public double L2 { get; init; }

    /// <summary>Training images seen in the epoch.</summary>
    public int Samples { get; init; }

    /// <summary>Wall-clock seconds of the epoch's training loop (validation excluded).</summary>
    public double Seconds { get; init; }

    public double SamplesPerSecond { get; init; }

    public override string ToString() =>
        $"Epoch {Epoch}: loss {TrainLoss:G4}, accuracy {TrainAccuracy:P2}" +
        (ValidationAccuracy is double v ? $", validation {v:P2}" : "") + $", {Seconds:F2} s";
}
