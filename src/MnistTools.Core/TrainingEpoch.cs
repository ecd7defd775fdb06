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

    /// <summary>The mean of the rates the epoch's steps used (the schedule's rate; constant within the epoch unless the
    /// schedule is Cosine or OneCycle, whose range is <see cref="LearningRateMin"/>..<see cref="LearningRateMax"/>).</summary>
    public double LearningRate { get; init; }

    /// <summary>The lowest rate a step of the epoch used.</summary>
    public double LearningRateMin { get; init; }

    /// <summary>The highest rate a step of the epoch used.</summary>
    public double LearningRateMax { get; init; }

    /// <summary>The learning-rate schedule of the call.</summary>
    public LearningRateSchedule LearningRateSchedule { get; init; }

    public int BatchSize { get; init; }

    public Optimizer Optimizer { get; init; }

    /// <summary>L2 weight-decay coefficient λ.</summary>
    public double L2 { get; init; }

    /// <summary>AdamW's decoupled weight decay λ_w (0 for the other optimizers).</summary>
    public double WeightDecay { get; init; }

    /// <summary>How the training images were distorted (<see cref="MnistTools.Augmentation.None"/>: as they are).</summary>
    public Augmentation Augmentation { get; init; }

    /// <summary>Training images seen in the epoch.</summary>
    public int Samples { get; init; }

    /// <summary>Wall-clock seconds of the epoch's training loop (validation excluded).</summary>
    public double Seconds { get; init; }

    public double SamplesPerSecond { get; init; }

    /// <summary>With early stopping: true when the epoch's validation loss was the lowest of the call so far (the last
    /// epoch marked is the one restored when the run stops early). False without early stopping.</summary>
    public bool IsBest { get; internal set; }

    /// <summary>On the call's last record: why the call stopped (all epochs done, or early stopping); null on the others.</summary>
    public TrainingStopReason? StopReason { get; internal set; }

    public override string ToString() =>
        $"Epoch {Epoch}: loss {TrainLoss:G4}, accuracy {TrainAccuracy:P2}" +
        (ValidationAccuracy is double v ? $", validation {v:P2}" : "") + $", {Seconds:F2} s";
}
