namespace MnistTools.Training;

/// <summary>
/// The learning rate of every step of a run's span (the epochs of one Invoke-Training call), from the base rate η₀ and
/// the schedule's state in a <see cref="TrainingRunState"/>. The formulas are PyTorch's documented ones, computed in
/// double; e = epoch of the span (0-based), t = step of the span (0-based, e·S + batch with S steps per epoch),
/// T = span·S steps in all:
///   Constant  η₀
///   Step      η₀ · γ^floor(e / StepEpochs)                                    (StepLR, closed form)
///   Cosine    η_min + (η₀ − η_min) · (1 + cos(π·t/T)) / 2                     (CosineAnnealingLR, T_max = T, per step)
///   OneCycle  η₀ is max_lr; initial = η₀/25, final = initial/1e4; warm-up ends at step p = WarmupFraction·T − 1:
///             t ≤ p: cos(initial → η₀, (t − 0)/(p − 0)); else cos(η₀ → final, (t − p)/(T − 1 − p)),
///             with cos(a → b, x) = b + (a − b)/2 · (1 + cos(π·x))             (OneCycleLR, anneal_strategy 'cos',
///             three_phase False; the rate only: β1/momentum are not cycled, as with cycle_momentum=False)
///   Plateau   per epoch, after the epoch's validation loss L: L &lt; best·(1 − 1e-4) is an improvement (best ← L,
///             wait ← 0), else wait ← wait + 1; when wait &gt; PlateauPatience: η ← max(η·factor, η_min) if that
///             lowers η by more than 1e-8, and wait ← 0                        (ReduceLROnPlateau, mode min,
///             threshold 1e-4 rel, cooldown 0, eps 1e-8)
/// Step and Plateau hold one rate for a whole epoch; Cosine and OneCycle change it every step.
/// </summary>
public sealed class LearningRateScheduler
{
    /// <summary>OneCycleLR's div_factor: the warm-up starts at η₀/25.</summary>
    public const double OneCycleDivFactor = 25;

    /// <summary>OneCycleLR's final_div_factor: the span ends at η₀/25/1e4.</summary>
    public const double OneCycleFinalDivFactor = 1e4;

    /// <summary>ReduceLROnPlateau's relative threshold: an improvement beats the best by more than this fraction.</summary>
    public const double PlateauThreshold = 1e-4;

    /// <summary>ReduceLROnPlateau's eps: a reduction smaller than this is skipped.</summary>
    public const double PlateauEpsilon = 1e-8;

    private readonly TrainingRunState _state;

    /// <summary>Reads and advances the schedule's position and plateau fields of <paramref name="state"/>.</summary>
    public LearningRateScheduler(TrainingRunState state)
    {
        _state = state ?? throw new ArgumentNullException(nameof(state));
    }

    public TrainingRunState State => _state;

    /// <summary>The rate of step <paramref name="batch"/> (0-based) of the span's current epoch, <see cref="TrainingRunState.EpochsDone"/>.</summary>
    public double Rate(int batch)
    {
        TrainingRunState s = _state;
        LearningRateScheduleOptions o = s.Schedule;
        long step = (long)s.EpochsDone * s.StepsPerEpoch + batch;
        long total = (long)s.SpanEpochs * s.StepsPerEpoch;
        return o.Kind switch
        {
            LearningRateSchedule.Step => StepRate(s.BaseLearningRate, s.EpochsDone, o.StepEpochs, o.StepFactor),
            LearningRateSchedule.Cosine => CosineRate(s.BaseLearningRate, o.MinLearningRate, step, total),
            LearningRateSchedule.OneCycle => OneCycleRate(s.BaseLearningRate, o.WarmupFraction, step, total),
            LearningRateSchedule.Plateau => s.PlateauLearningRate,
            _ => s.BaseLearningRate,
        };
    }

    /// <summary>
    /// Ends the span's current epoch: the plateau rule reads <paramref name="validationLoss"/> (required for Plateau,
    /// ignored otherwise), then the position moves to the next epoch.
    /// </summary>
    public void EndEpoch(double? validationLoss)
    {
        TrainingRunState s = _state;
        if (s.Schedule.Kind == LearningRateSchedule.Plateau)
        {
            double loss = validationLoss ?? throw new InvalidOperationException("The Plateau schedule needs the epoch's validation loss.");
            (s.PlateauLearningRate, s.PlateauBestLoss, s.PlateauWait) = PlateauStep(s.PlateauLearningRate, s.PlateauBestLoss, s.PlateauWait, loss,
                s.Schedule.PlateauPatience, s.Schedule.PlateauFactor, s.Schedule.MinLearningRate);
        }
        s.EpochsDone++;
    }

    /// <summary>StepLR: η₀ · γ^floor(epoch / stepEpochs).</summary>
    public static double StepRate(double baseRate, int epoch, int stepEpochs, double factor) =>
        baseRate * Math.Pow(factor, epoch / stepEpochs);

    /// <summary>CosineAnnealingLR: η_min + (η₀ − η_min) · (1 + cos(π·step/total)) / 2.</summary>
    public static double CosineRate(double baseRate, double minRate, long step, long total) =>
        minRate + (baseRate - minRate) * (1 + Math.Cos(Math.PI * step / total)) / 2;

    /// <summary>
    /// OneCycleLR (cos, two phases): warm-up from η₀/25 to η₀ until step WarmupFraction·total − 1, then down to
    /// η₀/25/1e4 at step total − 1. A warm-up phase of zero length (WarmupFraction·total = 1) gives η₀ at step 0,
    /// where PyTorch would divide by zero.
    /// </summary>
    public static double OneCycleRate(double maxRate, double warmupFraction, long step, long total)
    {
        double initial = maxRate / OneCycleDivFactor, final = initial / OneCycleFinalDivFactor;
        double warmupEnd = warmupFraction * total - 1, lastStep = total - 1;
        if (step <= warmupEnd)
            return Anneal(initial, maxRate, warmupEnd == 0 ? 1 : step / warmupEnd);
        return Anneal(maxRate, final, lastStep == warmupEnd ? 1 : (step - warmupEnd) / (lastStep - warmupEnd));
    }

    /// <summary>Cosine annealing from <paramref name="start"/> to <paramref name="end"/> as <paramref name="fraction"/> goes 0 → 1.</summary>
    private static double Anneal(double start, double end, double fraction) => end + (start - end) / 2 * (Math.Cos(Math.PI * fraction) + 1);

    /// <summary>ReduceLROnPlateau after one epoch with validation loss <paramref name="loss"/>: the new (rate, best, wait).</summary>
    public static (double Rate, double Best, int Wait) PlateauStep(double rate, double best, int wait, double loss, int patience, double factor, double minRate)
    {
        if (loss < best * (1 - PlateauThreshold))
        {
            best = loss;
            wait = 0;
        }
        else
        {
            wait++;
        }
        if (wait > patience)
        {
            double reduced = Math.Max(rate * factor, minRate);
            if (rate - reduced > PlateauEpsilon) rate = reduced;
            wait = 0;
        }
        return (rate, best, wait);
    }
}
