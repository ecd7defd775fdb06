using MnistTools.Errors;

namespace MnistTools.Training;

/// <summary>
/// The settings of a training run (Invoke-Training's parameters): the one place the optimizer's hyper-parameters come
/// from. <see cref="LearningRate"/> is the base rate; <see cref="Schedule"/> says how each step's rate follows from it.
/// The hyper-parameters are kept as given (doubles, so that a record shows 0.01 for 0.01); the kernels compute with their
/// float values (<see cref="EffectiveLearningRate"/>, <see cref="KernelL2"/>, ...), rounded once here.
/// </summary>
public sealed class TrainingOptions
{
    /// <summary>Images per mini-batch (the last batch of an epoch may be smaller).</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>η. Null picks the optimizer's default (<see cref="OptimizerDefaults.LearningRate"/>).</summary>
    public double? LearningRate { get; init; }

    public Optimizer Optimizer { get; init; } = Optimizer.Sgd;

    /// <summary>μ for <see cref="Optimizer.Momentum"/>.</summary>
    public double Momentum { get; init; } = OptimizerDefaults.Momentum;

    /// <summary>L2 weight decay λ on weights (not biases): the loss gains ½λ‖W‖² per batch.</summary>
    public double L2 { get; init; }

    /// <summary>λ_w of <see cref="Optimizer.AdamW"/>'s decoupled weight decay (weights, not biases). Null picks
    /// <see cref="OptimizerDefaults.WeightDecay"/>; the other optimizers ignore it.</summary>
    public double? WeightDecay { get; init; }

    /// <summary>How the rate changes over the steps of one call (see <see cref="LearningRateScheduler"/>); constant by default.</summary>
    public LearningRateScheduleOptions Schedule { get; init; } = LearningRateScheduleOptions.Constant;

    /// <summary>How each training image is distorted before the network sees it (a new draw per epoch, keyed by the seed,
    /// the epoch and the image: see <see cref="Distortions.ImageAugmenter"/>).</summary>
    public Augmentation Augmentation { get; init; }

    /// <summary>Seed of the per-epoch shuffles (and of dropout's masks and the distortions); null uses the network's <see cref="Network.Seed"/>.</summary>
    public int? Seed { get; init; }

    /// <summary>Threads the epoch (and its validation) runs on, 1..<see cref="Numerics.ComputeSettings.MaxThreads"/>; null
    /// decides by problem size (or MNISTTOOLS_THREADS). The bits are the same for any count.</summary>
    public int? ThreadCount { get; init; }

    /// <summary>η as given (or the optimizer's default): what a record of a step at the base rate shows.</summary>
    public double TypedLearningRate => LearningRate ?? OptimizerDefaults.LearningRate(Optimizer);

    /// <summary>η as the kernels use it: <see cref="TypedLearningRate"/> rounded to float (the schedule starts from it).</summary>
    public float EffectiveLearningRate => (float)TypedLearningRate;

    /// <summary>λ_w as given: <see cref="WeightDecay"/> or its default for AdamW, 0 for the others.</summary>
    public double TypedWeightDecay => Optimizer == Optimizer.AdamW ? WeightDecay ?? OptimizerDefaults.WeightDecay : 0;

    /// <summary>λ_w as the optimizer uses it (float).</summary>
    public float EffectiveWeightDecay => (float)TypedWeightDecay;

    /// <summary>λ of L2 as the optimizer uses it (float).</summary>
    internal float KernelL2 => (float)L2;

    /// <summary>μ as the optimizer uses it (float).</summary>
    internal float KernelMomentum => (float)Momentum;

    internal void Validate()
    {
        if (BatchSize < 1)
            throw new MnistToolsException(ErrorIds.BatchSizeOutOfRange, FailureKind.InvalidArgument, $"BatchSize must be at least 1; got {BatchSize}.", "BatchSize");
        float rate = EffectiveLearningRate;
        if (!(rate > 0) || !float.IsFinite(rate))
            throw new MnistToolsException(ErrorIds.LearningRateOutOfRange, FailureKind.InvalidArgument, $"LearningRate must be a positive finite number; got {rate}.", "LearningRate");
        if (!(Momentum >= 0 && KernelMomentum < 1))
            throw new MnistToolsException(ErrorIds.MomentumOutOfRange, FailureKind.InvalidArgument, $"Momentum must be in [0, 1); got {Momentum}.", "Momentum");
        if (!(L2 >= 0) || !float.IsFinite(KernelL2))
            throw new MnistToolsException(ErrorIds.L2OutOfRange, FailureKind.InvalidArgument, $"L2 must be a finite number >= 0; got {L2}.", "L2");
        if (!Enum.IsDefined(Optimizer))
            throw new MnistToolsException(ErrorIds.UnknownEnumValue, FailureKind.InvalidArgument, $"{Optimizer} is not a valid Optimizer.", "Optimizer");
        if (!Enum.IsDefined(Augmentation))
            throw new MnistToolsException(ErrorIds.UnknownEnumValue, FailureKind.InvalidArgument, $"{Augmentation} is not a valid Augmentation.", "Augment");
        if (WeightDecay is double decay && (!(decay >= 0) || !float.IsFinite((float)decay)))
            throw new MnistToolsException(ErrorIds.WeightDecayOutOfRange, FailureKind.InvalidArgument, $"WeightDecay must be a finite number >= 0; got {decay}.", "WeightDecay");
        Numerics.ComputeSettings.CheckThreadCount(ThreadCount);
        if (Schedule is null)
            throw new MnistToolsException(ErrorIds.ScheduleMissing, FailureKind.InvalidArgument, "The learning-rate schedule is required (use Constant for none).", "LearningRateSchedule");
        Schedule.Validate();
        // Compared as the float the kernels use: -MinLearningRate 0.01 with -LearningRate 0.01 is equal, not above.
        if (Schedule.Kind is LearningRateSchedule.Cosine or LearningRateSchedule.Plateau && (float)Schedule.MinLearningRate > rate)
            throw new MnistToolsException(ErrorIds.MinLearningRateOutOfRange, FailureKind.InvalidArgument,
                $"MinLearningRate ({Schedule.MinLearningRate:G6}) is above the learning rate ({rate:G6}{(LearningRate is null ? $", {Optimizer}'s default" : "")}): " +
                $"the {Schedule.Kind} schedule only lowers the rate towards it. Give a -MinLearningRate at most the -LearningRate.", "MinLearningRate");
    }
}
