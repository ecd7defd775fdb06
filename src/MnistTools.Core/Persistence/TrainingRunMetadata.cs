using System.Globalization;
using MnistTools.Errors;
using MnistTools.Training;

namespace MnistTools.Persistence;

/// <summary>
/// A <see cref="TrainingRunState"/> as network-file metadata (all strings; numbers as shortest round-trip text, so
/// they come back with the same bits):
/// <code>
/// run.schedule                         Constant | Step | Cosine | OneCycle | Plateau
/// run.schedule.step_epochs, .step_factor, .min_learning_rate, .warmup_fraction, .plateau_patience, .plateau_factor
/// run.base_learning_rate, run.span_epochs, run.steps_per_epoch, run.epochs_done
/// run.augmentation                     None | Shift | Affine | Elastic (absent in files written before it: None)
/// run.plateau.learning_rate, run.plateau.best_loss, run.plateau.wait
/// run.early_stopping.patience, .best_loss, .best_epoch, .epochs_since_best
/// run.best.optimizer_step              the best epoch's optimizer step count (its buffers are the run.best.* tensors)
/// </code>
/// Absent when the network is not in an unfinished run.
/// </summary>
internal static class TrainingRunMetadata
{
    private const string Schedule = "run.schedule";
    private const string StepEpochs = "run.schedule.step_epochs";
    private const string StepFactor = "run.schedule.step_factor";
    private const string MinLearningRate = "run.schedule.min_learning_rate";
    private const string WarmupFraction = "run.schedule.warmup_fraction";
    private const string PlateauPatience = "run.schedule.plateau_patience";
    private const string PlateauFactor = "run.schedule.plateau_factor";
    private const string BaseLearningRate = "run.base_learning_rate";
    private const string AugmentationKey = "run.augmentation";
    private const string SpanEpochs = "run.span_epochs";
    private const string StepsPerEpoch = "run.steps_per_epoch";
    private const string EpochsDone = "run.epochs_done";
    private const string PlateauLearningRate = "run.plateau.learning_rate";
    private const string PlateauBestLoss = "run.plateau.best_loss";
    private const string PlateauWait = "run.plateau.wait";
    private const string Patience = "run.early_stopping.patience";
    private const string BestLoss = "run.early_stopping.best_loss";
    private const string BestEpoch = "run.early_stopping.best_epoch";
    private const string EpochsSinceBest = "run.early_stopping.epochs_since_best";
    private const string BestOptimizerStep = "run.best.optimizer_step";

    public static IEnumerable<(string Key, string Value)> Entries(TrainingRunState? run)
    {
        if (run is null) yield break;
        LearningRateScheduleOptions o = run.Schedule;
        yield return (Schedule, o.Kind.ToString());
        yield return (StepEpochs, Integer(o.StepEpochs));
        yield return (StepFactor, Number(o.StepFactor));
        yield return (MinLearningRate, Number(o.MinLearningRate));
        yield return (WarmupFraction, Number(o.WarmupFraction));
        yield return (PlateauPatience, Integer(o.PlateauPatience));
        yield return (PlateauFactor, Number(o.PlateauFactor));
        yield return (BaseLearningRate, Number(run.BaseLearningRate));
        yield return (AugmentationKey, run.Augmentation.ToString());
        yield return (SpanEpochs, Integer(run.SpanEpochs));
        yield return (StepsPerEpoch, Integer(run.StepsPerEpoch));
        yield return (EpochsDone, Integer(run.EpochsDone));
        yield return (PlateauLearningRate, Number(run.PlateauLearningRate));
        yield return (PlateauBestLoss, Number(run.PlateauBestLoss));
        yield return (PlateauWait, Integer(run.PlateauWait));
        yield return (Patience, Integer(run.EarlyStoppingPatience));
        yield return (BestLoss, Number(run.BestLoss));
        yield return (BestEpoch, Integer(run.BestEpoch));
        yield return (EpochsSinceBest, Integer(run.EpochsSinceBest));
        if (run.BestOptimizerState is { } best) yield return (BestOptimizerStep, best.Step.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>The best epoch's buffers to store, with their prefixes (parameters, then the optimizer's).</summary>
    public static IEnumerable<(string Prefix, float[] Values)> Buffers(TrainingRunState? run)
    {
        if (run?.BestParameters is not { } parameters || run.BestOptimizerState is not { } optimizer) yield break;
        yield return (NetworkFileFormat.BestPrefix, parameters);
        if (optimizer.Velocity is { } velocity) yield return (NetworkFileFormat.BestPrefix + NetworkFileFormat.VelocityBuffer, velocity);
        if (optimizer.FirstMoment is { } first) yield return (NetworkFileFormat.BestPrefix + NetworkFileFormat.FirstMomentBuffer, first);
        if (optimizer.SecondMoment is { } second) yield return (NetworkFileFormat.BestPrefix + NetworkFileFormat.SecondMomentBuffer, second);
    }

    /// <summary>
    /// The run state in <paramref name="metadata"/>, or null when the file has none. The best epoch's optimizer state
    /// takes the kind and hyper-parameters of <paramref name="optimizer"/> (one run trains with one optimizer).
    /// </summary>
    public static TrainingRunState? Read(Dictionary<string, string> metadata, Dictionary<string, float[]> buffers, OptimizerState? optimizer, string path)
    {
        bool hasBest = buffers.ContainsKey(NetworkFileFormat.BestPrefix);
        if (!metadata.ContainsKey(Schedule))
        {
            if (hasBest) throw NetworkFileReader.Fail(ErrorIds.NetworkFileBadTensor, path, $"'{path}' holds best-epoch tensors (run.best.*) but no run state (run.schedule).");
            return null;
        }
        var run = new TrainingRunState
        {
            Schedule = new LearningRateScheduleOptions
            {
                Kind = NetworkFileReader.ParseEnum<LearningRateSchedule>(metadata, Schedule, path),
                StepEpochs = Int(metadata, StepEpochs, path),
                StepFactor = NetworkFileReader.ParseDouble(metadata, StepFactor, path),
                MinLearningRate = NetworkFileReader.ParseDouble(metadata, MinLearningRate, path),
                WarmupFraction = NetworkFileReader.ParseDouble(metadata, WarmupFraction, path),
                PlateauPatience = Int(metadata, PlateauPatience, path),
                PlateauFactor = NetworkFileReader.ParseDouble(metadata, PlateauFactor, path),
            },
            BaseLearningRate = NetworkFileReader.ParseDouble(metadata, BaseLearningRate, path),
            Augmentation = metadata.ContainsKey(AugmentationKey) ? NetworkFileReader.ParseEnum<Augmentation>(metadata, AugmentationKey, path) : Augmentation.None,
            SpanEpochs = Int(metadata, SpanEpochs, path),
            StepsPerEpoch = Int(metadata, StepsPerEpoch, path),
            EpochsDone = Int(metadata, EpochsDone, path),
            PlateauLearningRate = NetworkFileReader.ParseDouble(metadata, PlateauLearningRate, path),
            PlateauBestLoss = NetworkFileReader.ParseDouble(metadata, PlateauBestLoss, path),
            PlateauWait = Int(metadata, PlateauWait, path),
            EarlyStoppingPatience = Int(metadata, Patience, path),
            BestLoss = NetworkFileReader.ParseDouble(metadata, BestLoss, path),
            BestEpoch = Int(metadata, BestEpoch, path),
            EpochsSinceBest = Int(metadata, EpochsSinceBest, path),
        };
        if (hasBest)
        {
            if (optimizer is null)
                throw NetworkFileReader.Fail(ErrorIds.NetworkFileBadTensor, path, $"'{path}' holds best-epoch tensors (run.best.*) but no optimizer state.");
            OptimizerState best = optimizer.Clone();
            best.Step = NetworkFileReader.ParseLong(metadata, BestOptimizerStep, path, 0);
            best.Velocity = buffers.GetValueOrDefault(NetworkFileFormat.BestPrefix + NetworkFileFormat.VelocityBuffer);
            best.FirstMoment = buffers.GetValueOrDefault(NetworkFileFormat.BestPrefix + NetworkFileFormat.FirstMomentBuffer);
            best.SecondMoment = buffers.GetValueOrDefault(NetworkFileFormat.BestPrefix + NetworkFileFormat.SecondMomentBuffer);
            run.BestParameters = buffers[NetworkFileFormat.BestPrefix];
            run.BestState = buffers.GetValueOrDefault(NetworkFileFormat.BestPrefix + NetworkFileFormat.StateBuffer);
            run.BestOptimizerState = best;
        }
        try
        {
            run.Validate(buffers[NetworkFileFormat.ParametersBuffer].Length);
        }
        catch (MnistToolsException e)
        {
            throw NetworkFileReader.Fail(ErrorIds.NetworkFileBadHeader, path, $"'{path}' has an invalid run state: {e.Message}", e);
        }
        return run;
    }

    private static int Int(Dictionary<string, string> metadata, string key, string path) =>
        (int)NetworkFileReader.ParseLong(metadata, key, path, 0, int.MaxValue);

    private static string Integer(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Shortest text that parses back to the same double ("R"), invariant culture (∞ is "Infinity").</summary>
    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
