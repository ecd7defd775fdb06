using MnistTools.Errors;
using MnistTools.Training;

namespace MnistTools;

/// <summary>
/// Where an Invoke-Training call (a run over a span of epochs) stands after its last completed epoch: the schedule's
/// position and state, and early stopping's best epoch with its weights and optimizer state. A network carries it
/// while a run with a schedule or early stopping is unfinished, and a checkpoint stores it, so that a later call with
/// exactly the remaining epochs and the same settings continues the run bit for bit (see <see cref="TrainingRun"/>).
/// </summary>
public sealed class TrainingRunState
{
    /// <summary>The schedule and its parameters.</summary>
    public LearningRateScheduleOptions Schedule { get; set; } = LearningRateScheduleOptions.Constant;

    /// <summary>η₀, the rate the schedule starts from (the float base rate, widened exactly).</summary>
    public double BaseLearningRate { get; set; }

    /// <summary>How the run distorts its training images; a call that continues the run must distort them the same way.</summary>
    public Augmentation Augmentation { get; set; }

    /// <summary>Epochs of the whole span (the -Epochs of the call that started it).</summary>
    public int SpanEpochs { get; set; }

    /// <summary>Steps (batches) per epoch: a per-step schedule runs over SpanEpochs x StepsPerEpoch steps.</summary>
    public int StepsPerEpoch { get; set; }

    /// <summary>Epochs of the span completed so far.</summary>
    public int EpochsDone { get; set; }

    /// <summary>Plateau: the rate of the next epoch.</summary>
    public double PlateauLearningRate { get; set; }

    /// <summary>Plateau: the best validation loss so far (∞ before the first epoch).</summary>
    public double PlateauBestLoss { get; set; } = double.PositiveInfinity;

    /// <summary>Plateau: epochs since the last improvement (PyTorch num_bad_epochs).</summary>
    public int PlateauWait { get; set; }

    /// <summary>Early stopping: epochs without improvement that stop the run; 0 = off.</summary>
    public int EarlyStoppingPatience { get; set; }

    /// <summary>Early stopping: the lowest validation loss of the span so far (∞ before the first epoch).</summary>
    public double BestLoss { get; set; } = double.PositiveInfinity;

    /// <summary>Early stopping: the network's epoch number (EpochsTrained) that reached <see cref="BestLoss"/>; 0 before.</summary>
    public int BestEpoch { get; set; }

    /// <summary>Early stopping: epochs since <see cref="BestEpoch"/>.</summary>
    public int EpochsSinceBest { get; set; }

    /// <summary>Early stopping: the parameters after <see cref="BestEpoch"/> [ParameterCount]; null before the first epoch.</summary>
    public float[]? BestParameters { get; set; }

    /// <summary>Early stopping: the non-trainable state (running statistics) after <see cref="BestEpoch"/> [Network.StateCount];
    /// null before the first epoch.</summary>
    public float[]? BestState { get; set; }

    /// <summary>Early stopping: the optimizer state after <see cref="BestEpoch"/>; null before the first epoch.</summary>
    public OptimizerState? BestOptimizerState { get; set; }

    /// <summary>True when every epoch of the span has run.</summary>
    public bool IsFinished => EpochsDone >= SpanEpochs;

    /// <summary>A deep copy (buffers cloned).</summary>
    public TrainingRunState Clone()
    {
        var copy = (TrainingRunState)MemberwiseClone();
        copy.BestParameters = (float[]?)BestParameters?.Clone();
        copy.BestState = (float[]?)BestState?.Clone();
        copy.BestOptimizerState = BestOptimizerState?.Clone();
        return copy;
    }

    /// <summary>Throws InvalidData (id TrainingRunStateInvalid) when a field is out of range or a buffer does not fit.</summary>
    internal void Validate(int parameterCount)
    {
        static void Require(bool ok, string field, string message)
        {
            if (!ok) throw new MnistToolsException(ErrorIds.TrainingRunStateInvalid, FailureKind.InvalidData, $"The training run state's {field} {message}.", field);
        }
        Require(Schedule is not null, nameof(Schedule), "is missing");
        try { Schedule!.Validate(); }
        catch (MnistToolsException e) { throw new MnistToolsException(ErrorIds.TrainingRunStateInvalid, FailureKind.InvalidData, e.Message, e.Target, e); }
        Require(Enum.IsDefined(Augmentation), nameof(Augmentation), $"is not a kind of augmentation (got {(int)Augmentation})");
        Require(BaseLearningRate > 0 && double.IsFinite(BaseLearningRate), nameof(BaseLearningRate), $"must be a positive number (got {BaseLearningRate})");
        Require(SpanEpochs >= 1, nameof(SpanEpochs), $"must be at least 1 (got {SpanEpochs})");
        Require(StepsPerEpoch >= 0, nameof(StepsPerEpoch), $"must be >= 0 (got {StepsPerEpoch})");
        Require(EpochsDone >= 0 && EpochsDone <= SpanEpochs, nameof(EpochsDone), $"must be in 0..{SpanEpochs} (got {EpochsDone})");
        Require(PlateauLearningRate >= 0 && double.IsFinite(PlateauLearningRate), nameof(PlateauLearningRate), $"must be a finite number >= 0 (got {PlateauLearningRate})");
        Require(!double.IsNaN(PlateauBestLoss), nameof(PlateauBestLoss), "is NaN");
        Require(PlateauWait >= 0, nameof(PlateauWait), $"must be >= 0 (got {PlateauWait})");
        Require(EarlyStoppingPatience >= 0, nameof(EarlyStoppingPatience), $"must be >= 0 (got {EarlyStoppingPatience})");
        Require(!double.IsNaN(BestLoss), nameof(BestLoss), "is NaN");
        Require(BestEpoch >= 0 && EpochsSinceBest >= 0, nameof(BestEpoch), "and EpochsSinceBest must be >= 0");
        Require((BestParameters is null) == (BestOptimizerState is null), nameof(BestParameters), "and BestOptimizerState must be both present or both absent");
        Require(BestParameters is null || BestParameters.Length == parameterCount, nameof(BestParameters),
            $"hold {BestParameters?.Length} values; the network has {parameterCount} parameters");
        BestOptimizerState?.Validate(parameterCount);
    }
}
