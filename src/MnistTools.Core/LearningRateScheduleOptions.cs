using MnistTools.Errors;
using MnistTools.Training;

namespace MnistTools;

/// <summary>
/// A learning-rate schedule and its parameters (Invoke-Training's -LearningRateSchedule, -StepEpochs, ...); the
/// formulas are <see cref="LearningRateScheduler"/>'s. A call recognises the unfinished schedule of a checkpoint it
/// continues by <see cref="SameRatesAs"/>.
/// </summary>
public sealed record LearningRateScheduleOptions
{
    public const int DefaultStepEpochs = 5;
    public const double DefaultStepFactor = 0.1;
    public const double DefaultWarmupFraction = 0.3;
    public const int DefaultPlateauPatience = 2;
    public const double DefaultPlateauFactor = 0.1;

    /// <summary>Bounds shared with the cmdlet's [ValidateRange] attributes.</summary>
    public const int MaxEpochs = 1_000_000;
    public const double MinFactor = 1e-6;
    public const double MaxPlateauFactor = 0.999999;
    public const double MaxMinLearningRate = 1e6;

    /// <summary>No schedule: the base rate on every step.</summary>
    public static LearningRateScheduleOptions Constant { get; } = new();

    public LearningRateSchedule Kind { get; init; } = LearningRateSchedule.Constant;

    /// <summary>Step: epochs between two drops (PyTorch step_size), 1 or more.</summary>
    public int StepEpochs { get; init; } = DefaultStepEpochs;

    /// <summary>Step: the factor of each drop (PyTorch gamma), in (0, 1].</summary>
    public double StepFactor { get; init; } = DefaultStepFactor;

    /// <summary>Cosine: the rate at the end of the span (eta_min); Plateau: the floor of the reductions (min_lr). 0 or more.</summary>
    public double MinLearningRate { get; init; }

    /// <summary>OneCycle: the fraction of the span's steps spent warming up (PyTorch pct_start), in [0, 1].</summary>
    public double WarmupFraction { get; init; } = DefaultWarmupFraction;

    /// <summary>Plateau: epochs without improvement that are tolerated; one more reduces the rate (PyTorch patience).</summary>
    public int PlateauPatience { get; init; } = DefaultPlateauPatience;

    /// <summary>Plateau: the factor of each reduction, in (0, 1).</summary>
    public double PlateauFactor { get; init; } = DefaultPlateauFactor;

    /// <summary>True when the rate changes from step to step (Cosine, OneCycle); the others change per epoch.</summary>
    public bool PerStep => Kind is LearningRateSchedule.Cosine or LearningRateSchedule.OneCycle;

    /// <summary>True when the schedule reads the validation loss (Plateau).</summary>
    public bool NeedsValidation => Kind == LearningRateSchedule.Plateau;

    /// <summary>Throws InvalidArgument (ids below, target the parameter) for an undefined kind or a parameter out of range.</summary>
    internal void Validate()
    {
        if (!Enum.IsDefined(Kind))
            throw new MnistToolsException(ErrorIds.UnknownEnumValue, FailureKind.InvalidArgument, $"{Kind} is not a valid LearningRateSchedule.", "LearningRateSchedule");
        if (StepEpochs < 1 || StepEpochs > MaxEpochs)
            throw OutOfRange("StepEpochs", $"StepEpochs must be in 1..{MaxEpochs}; got {StepEpochs}.");
        if (!(StepFactor >= MinFactor && StepFactor <= 1))
            throw OutOfRange("StepFactor", $"StepFactor must be in [{MinFactor}, 1]; got {StepFactor}.");
        if (!(MinLearningRate >= 0 && MinLearningRate <= MaxMinLearningRate))
            throw OutOfRange("MinLearningRate", $"MinLearningRate must be in [0, {MaxMinLearningRate}]; got {MinLearningRate}.");
        if (!(WarmupFraction >= 0 && WarmupFraction <= 1))
            throw OutOfRange("WarmupFraction", $"WarmupFraction must be in [0, 1]; got {WarmupFraction}.");
        if (PlateauPatience < 0 || PlateauPatience > MaxEpochs)
            throw OutOfRange("PlateauPatience", $"PlateauPatience must be in 0..{MaxEpochs}; got {PlateauPatience}.");
        if (!(PlateauFactor >= MinFactor && PlateauFactor <= MaxPlateauFactor))
            throw OutOfRange("PlateauFactor", $"PlateauFactor must be in [{MinFactor}, {MaxPlateauFactor}]; got {PlateauFactor}.");
    }

    /// <summary>True when <paramref name="other"/> gives the same rates: the same kind and the same values of the
    /// parameters that kind uses (the others do not matter).</summary>
    public bool SameRatesAs(LearningRateScheduleOptions other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Kind == other.Kind && Kind switch
        {
            LearningRateSchedule.Step => StepEpochs == other.StepEpochs && StepFactor == other.StepFactor,
            LearningRateSchedule.Cosine => MinLearningRate == other.MinLearningRate,
            LearningRateSchedule.OneCycle => WarmupFraction == other.WarmupFraction,
            LearningRateSchedule.Plateau => PlateauPatience == other.PlateauPatience && PlateauFactor == other.PlateauFactor
                && MinLearningRate == other.MinLearningRate,
            _ => true,
        };
    }

    /// <summary>The parameters this kind uses, for messages: e.g. <c>Cosine (MinLearningRate 0)</c>.</summary>
    public override string ToString() => Kind switch
    {
        LearningRateSchedule.Step => $"Step (every {StepEpochs} epoch(s) times {StepFactor:G6})",
        LearningRateSchedule.Cosine => $"Cosine (down to {MinLearningRate:G6})",
        LearningRateSchedule.OneCycle => $"OneCycle (warm-up {WarmupFraction:P0} of the steps)",
        LearningRateSchedule.Plateau => $"Plateau (patience {PlateauPatience}, times {PlateauFactor:G6}, floor {MinLearningRate:G6})",
        _ => "Constant",
    };

    private static MnistToolsException OutOfRange(string parameter, string message) =>
        new(parameter + ErrorIds.OutOfRange, FailureKind.InvalidArgument, message, parameter);
}
