using System.Diagnostics;
using System.Management.Automation;
using MnistTools.Errors;
using MnistTools.Infrastructure;
using MnistTools.Training;

namespace MnistTools.Commands;

/// <summary>
/// <para type="synopsis">Trains a network in place by mini-batch backpropagation.</para>
/// <para type="description">Writes one TrainingEpoch record as each epoch ends (pipe to Export-Csv for a learning curve).
/// Ctrl+C stops within a batch and leaves the network valid. A diverging run (NaN or infinite loss or weights) stops with
/// the error TrainingDiverged and the network restored to its weights at the start of that epoch. The epochs of one call
/// are a <see cref="TrainingRun"/>: learning-rate schedule, early stopping and checkpoints live there.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "Training")]
[OutputType(typeof(TrainingEpoch), typeof(Network))]
public sealed class InvokeTrainingCommand : NetworkDataSetCommand
{
    private readonly Stopwatch _sinceProgress = new();
    private Trainer? _trainer;
    private string? _checkpoint;
    private readonly List<Network> _trained = new();

    /// <summary>The network to train.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public Network Network { get; set; } = null!;

    /// <summary>Passes over the data set.</summary>
    [Parameter]
    [ValidateRange(1, TrainingRun.MaxEpochs)]
    public int Epochs { get; set; } = 1;

    /// <summary>Images per mini-batch: one weight update each.</summary>
    [Parameter]
    [ValidateRange(1, 1 << 20)]
    public int BatchSize { get; set; } = 32;

    /// <summary>The base rate (the schedule's starting or peak rate). Default by optimizer: Sgd 0.1, Momentum 0.01, Adam and AdamW 0.001.</summary>
    [Parameter]
    [ValidateRange(1e-12, (double)float.MaxValue)] // positive; any finite float (a wild rate is the trainer's TrainingDiverged)
    public double LearningRate { get; set; }

    [Parameter]
    public Optimizer Optimizer { get; set; } = Optimizer.Sgd;

    /// <summary>μ for -Optimizer Momentum.</summary>
    [Parameter]
    [ValidateRange(0.0, 0.999999)]
    public double Momentum { get; set; } = 0.9;

    /// <summary>L2 weight decay λ on weights, not biases.</summary>
    [Parameter]
    [ValidateRange(0.0, 1e6)]
    public double L2 { get; set; }

    /// <summary>AdamW's decoupled weight decay λ_w on weights, not biases (default 0.01).</summary>
    [Parameter]
    [ValidateRange(0.0, 1e6)]
    public double WeightDecay { get; set; } = OptimizerDefaults.WeightDecay;

    /// <summary>How the rate changes over the epochs of this call.</summary>
    [Parameter]
    public LearningRateSchedule LearningRateSchedule { get; set; } = LearningRateSchedule.Constant;

    /// <summary>Step: epochs between two drops.</summary>
    [Parameter]
    [ValidateRange(1, LearningRateScheduleOptions.MaxEpochs)]
    public int StepEpochs { get; set; } = LearningRateScheduleOptions.DefaultStepEpochs;

    /// <summary>Step: the factor of each drop.</summary>
    [Parameter]
    [ValidateRange(LearningRateScheduleOptions.MinFactor, 1.0)]
    public double StepFactor { get; set; } = LearningRateScheduleOptions.DefaultStepFactor;

    /// <summary>Cosine: the final rate; Plateau: the floor.</summary>
    [Parameter]
    [ValidateRange(0.0, LearningRateScheduleOptions.MaxMinLearningRate)]
    public double MinLearningRate { get; set; }

    /// <summary>OneCycle: the fraction of the steps spent warming up.</summary>
    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double WarmupFraction { get; set; } = LearningRateScheduleOptions.DefaultWarmupFraction;

    /// <summary>Plateau: epochs without improvement tolerated before a reduction.</summary>
    [Parameter]
    [ValidateRange(0, LearningRateScheduleOptions.MaxEpochs)]
    public int PlateauPatience { get; set; } = LearningRateScheduleOptions.DefaultPlateauPatience;

    /// <summary>Plateau: the factor of each reduction.</summary>
    [Parameter]
    [ValidateRange(LearningRateScheduleOptions.MinFactor, LearningRateScheduleOptions.MaxPlateauFactor)]
    public double PlateauFactor { get; set; } = LearningRateScheduleOptions.DefaultPlateauFactor;

    /// <summary>Stop after this many epochs without a lower validation loss and restore the best epoch (needs -ValidationSet).</summary>
    [Parameter]
    [ValidateRange(1, TrainingRun.MaxEpochs)]
    public int EarlyStoppingPatience { get; set; }

    /// <summary>A network file written atomically before the first epoch and after every epoch.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CheckpointPath { get; set; }

    /// <summary>Overwrite a file at -CheckpointPath that is not a checkpoint of this network.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Evaluated after every epoch (ValidationLoss, ValidationAccuracy).</summary>
    [Parameter]
    public MnistDataSet? ValidationSet { get; set; }

    /// <summary>Distort every training image before the network sees it, a new draw each epoch: Shift, Affine or Elastic.</summary>
    [Parameter]
    public Augmentation Augment { get; set; } = Augmentation.None;

    /// <summary>Seed of the per-epoch shuffles, dropout's masks and the distortions; default the network's Seed.</summary>
    [Parameter]
    public int Seed { get; set; }

    /// <summary>Also write the network after the epoch records.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        IEnumerable<TrainingEpoch> epochs;
        TrainingRun run;
        try
        {
            if (_trainer is null) WarnIgnoredParameters();
            // One trainer (buffers, optimizer settings) per network: several networks may arrive through the pipeline.
            if (_trainer is null || !ReferenceEquals(_trainer.Network, Network))
            {
                if (!_trained.Contains(Network)) _trained.Add(Network);
                _trainer = new Trainer(Network, new TrainingOptions
                {
                    BatchSize = BatchSize,
                    LearningRate = Bound(nameof(LearningRate)) ? LearningRate : null,
                    Optimizer = Optimizer,
                    Momentum = Momentum,
                    L2 = L2,
                    WeightDecay = WeightDecay,
                    Schedule = new LearningRateScheduleOptions
                    {
                        Kind = LearningRateSchedule,
                        StepEpochs = StepEpochs,
                        StepFactor = StepFactor,
                        MinLearningRate = MinLearningRate,
                        WarmupFraction = WarmupFraction,
                        PlateauPatience = PlateauPatience,
                        PlateauFactor = PlateauFactor,
                    },
                    Seed = Bound(nameof(Seed)) ? Seed : null,
                    Augmentation = Augment,
                    ThreadCount = Threads,
                });
            }
            if (CheckpointPath is not null) _checkpoint ??= ResolveCheckpoint(CheckpointPath);
            run = new TrainingRun(_trainer, DataSet, Epochs)
            {
                Validation = ValidationSet,
                EarlyStoppingPatience = EarlyStoppingPatience,
                CheckpointPath = _checkpoint,
                OverwriteOtherCheckpoint = Force,
            };
            epochs = run.Run(p => ReportProgress(p), Stopped);
        }
        catch (MnistToolsException e)
        {
            ThrowTerminatingError(ErrorRecords.From(e));
            return;
        }

        if (run.Notice is not null) WriteWarning(run.Notice);
        TrainingOptions options = _trainer.Options;
        WriteVerbose($"Training {Network.Description} on '{DataSet.Name}' ({DataSet.Count:N0} images): {Epochs} epoch(s), batch {BatchSize}, " +
                     $"{Optimizer} at learning rate {options.TypedLearningRate:G4}" +
                     (Optimizer == Optimizer.AdamW ? $", weight decay {options.TypedWeightDecay:G4}" : "") +
                     $", L2 {L2:G4}, schedule {options.Schedule}" +
                     (run.Continued ? $" (continuing the network's unfinished run at epoch {run.State!.EpochsDone + 1} of {run.State.SpanEpochs})" : "") +
                     $", shuffle seed {(options.Seed ?? Network.Seed)}" +
                     (options.Augmentation == Augmentation.None ? "" : $", {options.Augmentation} augmentation") +
                     (ValidationSet is null ? "" : $", validating on '{ValidationSet.Name}' ({ValidationSet.Count:N0} images)") +
                     (EarlyStoppingPatience > 0 ? $", early stopping after {EarlyStoppingPatience} epoch(s) without improvement" : "") +
                     (_checkpoint is null ? "." : $", checkpoint '{_checkpoint}'."));
        _epochIndex = 0;
        _runClock.Restart();
        _sinceProgress.Restart();
        _progress = new ProgressRecord(1, $"Training {Network.Description}", "Starting");
        using IEnumerator<TrainingEpoch> epoch = epochs.GetEnumerator();
        while (true)
        {
            TrainingEpoch record;
            try
            {
                if (!epoch.MoveNext()) break;
                record = epoch.Current;
            }
            catch (OperationCanceledException)
            {
                return; // Ctrl+C: the network keeps the last completed batch's weights.
            }
            catch (MnistToolsException ex)
            {
                CompleteProgress();
                ThrowTerminatingError(ErrorRecords.From(ex));
                return;
            }
            EpochDone(record);
            WriteVerbose($"Epoch {record.Epoch}: {record.Samples:N0} images in {record.Seconds:F2} s ({record.SamplesPerSecond:N0}/s), " +
                         $"learning rate {RateText(record)}, loss {record.TrainLoss:G4}, accuracy {record.TrainAccuracy:P2}" +
                         (record.ValidationAccuracy is double v ? $", validation loss {record.ValidationLoss:G4}, accuracy {v:P2}" : "") +
                         (record.IsBest ? " (best so far)." : "."));
            WriteObject(record);
            _epochIndex++;
        }
        // A run that stops before its -Epochs says so where it is seen; a completed run only in the verbose stream.
        if (run.StopReason == TrainingStopReason.EarlyStopping) WriteWarning(run.StopMessage!);
        else if (run.StopMessage is not null) WriteVerbose(run.StopMessage);
        CompleteProgress();
    }

    private int _epochIndex;
    private readonly Stopwatch _runClock = new();
    private ProgressRecord _progress = null!;

    private bool Bound(string name) => MyInvocation.BoundParameters.ContainsKey(name);

    /// <summary>Warns once for each parameter the chosen optimizer or schedule does not use.</summary>
    private void WarnIgnoredParameters()
    {
        if (Optimizer != Optimizer.Momentum && Bound(nameof(Momentum)))
            WriteWarning($"-Momentum applies to -Optimizer Momentum only; it is ignored with {Optimizer}.");
        if (Optimizer != Optimizer.AdamW && Bound(nameof(WeightDecay)))
            WriteWarning($"-WeightDecay applies to -Optimizer AdamW only; it is ignored with {Optimizer} (use -L2 for coupled weight decay).");
        (string Name, LearningRateSchedule[] Schedules)[] uses =
        {
            (nameof(StepEpochs), new[] { LearningRateSchedule.Step }),
            (nameof(StepFactor), new[] { LearningRateSchedule.Step }),
            (nameof(MinLearningRate), new[] { LearningRateSchedule.Cosine, LearningRateSchedule.Plateau }),
            (nameof(WarmupFraction), new[] { LearningRateSchedule.OneCycle }),
            (nameof(PlateauPatience), new[] { LearningRateSchedule.Plateau }),
            (nameof(PlateauFactor), new[] { LearningRateSchedule.Plateau }),
        };
        foreach ((string name, LearningRateSchedule[] schedules) in uses)
            if (Bound(name) && !schedules.Contains(LearningRateSchedule))
                WriteWarning($"-{name} applies to -LearningRateSchedule {string.Join(" and ", schedules)} only; it is ignored with {LearningRateSchedule}.");
        if (Force && CheckpointPath is null)
            WriteWarning("-Force applies to -CheckpointPath only; it is ignored without it.");
    }

    private string ResolveCheckpoint(string path)
    {
        try
        {
            return PathResolver.ResolveForWrite(this, path);
        }
        catch (Exception e) when (e is System.Management.Automation.DriveNotFoundException or ProviderNotFoundException or ArgumentException)
        {
            throw new MnistToolsException(ErrorIds.CheckpointFolderNotFound, FailureKind.NotFound,
                $"Cannot write the checkpoint '{path}': {e.Message}", path, e);
        }
    }

    private static string RateText(TrainingEpoch record) =>
        record.LearningRateMin == record.LearningRateMax
            ? record.LearningRate.ToString("G4")
            : $"{record.LearningRate:G4} (mean; {record.LearningRateMin:G4}..{record.LearningRateMax:G4})";

    protected override void EndProcessing()
    {
        if (PassThru)
            foreach (Network network in _trained) WriteObject(network);
    }

    private void ReportProgress(TrainingProgress p)
    {
        // Time-based only inside the training loop (its cost is at most one record per interval); the epoch's end is
        // reported by EpochDone, after the trainer's clock has stopped.
        if (_sinceProgress.Elapsed < ProgressInterval) return;
        _sinceProgress.Restart();
        double done = (_epochIndex + (double)p.Batch / p.BatchCount) / Epochs;
        // A new record each time: streams that keep records (jobs, runspaces) must not see later updates rewrite them.
        WriteProgress(new ProgressRecord(_progress.ActivityId, _progress.Activity,
            $"Epoch {p.Epoch} ({_epochIndex + 1} of {Epochs}), batch {p.Batch} of {p.BatchCount}: loss {p.RunningLoss:G4}, accuracy {p.RunningAccuracy:P1}")
        {
            PercentComplete = Math.Clamp((int)(done * 100), 0, 100),
            SecondsRemaining = done > 0 ? (int)Math.Ceiling(_runClock.Elapsed.TotalSeconds / done * (1 - done)) : -1,
        });
    }

    private void EpochDone(TrainingEpoch record)
    {
        _sinceProgress.Restart();
        WriteProgress(new ProgressRecord(_progress.ActivityId, _progress.Activity,
            $"Epoch {record.Epoch} ({_epochIndex + 1} of {Epochs}) done: loss {record.TrainLoss:G4}, accuracy {record.TrainAccuracy:P1}")
        {
            PercentComplete = Math.Clamp((int)((_epochIndex + 1) * 100L / Epochs), 0, 100),
        });
    }

    private void CompleteProgress()
    {
        WriteProgress(new ProgressRecord(_progress.ActivityId, _progress.Activity, "Done") { RecordType = ProgressRecordType.Completed });
    }
}
