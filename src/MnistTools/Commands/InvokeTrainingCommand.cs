using System.Diagnostics;
using System.Management.Automation;
using MnistTools.Training;

namespace MnistTools.Commands;

/// <summary>
/// <para type="synopsis">Trains a network in place by mini-batch backpropagation.</para>
/// <para type="description">Writes one TrainingEpoch record as each epoch ends (pipe to Export-Csv for a learning curve).
/// Ctrl+C stops within a batch and leaves the network valid. A diverging run (NaN or infinite loss or weights) stops with
/// the error TrainingDiverged and the network restored to its weights at the start of that epoch.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "Training")]
[OutputType(typeof(TrainingEpoch), typeof(Network))]
public sealed class InvokeTrainingCommand : NetworkDataSetCommand
{
    private readonly Stopwatch _sinceProgress = new();
    private Trainer? _trainer;
    private readonly List<Network> _trained = new();

    /// <summary>Passes over the data set.</summary>
    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int Epochs { get; set; } = 1;

    /// <summary>Images per mini-batch: one weight update each.</summary>
    [Parameter]
    [ValidateRange(1, 1 << 20)]
    public int BatchSize { get; set; } = 32;

    /// <summary>Default by optimizer: Sgd 0.1, Momentum 0.01, Adam 0.001.</summary>
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

    /// <summary>Evaluated after every epoch (ValidationLoss, ValidationAccuracy).</summary>
    [Parameter]
    public MnistDataSet? ValidationSet { get; set; }

    /// <summary>Seed of the per-epoch shuffles; default the network's Seed.</summary>
    [Parameter]
    public int Seed { get; set; }

    /// <summary>Also write the network after the epoch records.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            if (_trainer is null && Optimizer != Optimizer.Momentum && MyInvocation.BoundParameters.ContainsKey(nameof(Momentum)))
                WriteWarning($"-Momentum applies to -Optimizer Momentum only; it is ignored with {Optimizer}.");
            DataCompatibility.Check(Network, DataSet, nameof(DataSet));
            if (ValidationSet is not null) DataCompatibility.Check(Network, ValidationSet, nameof(ValidationSet));
            // One trainer (buffers, optimizer settings) per network: several networks may arrive through the pipeline.
            if (_trainer is null || !ReferenceEquals(_trainer.Network, Network))
            {
                if (!_trained.Contains(Network)) _trained.Add(Network);
                _trainer = new Trainer(Network, new TrainingOptions
                {
                    BatchSize = BatchSize,
                    LearningRate = MyInvocation.BoundParameters.ContainsKey(nameof(LearningRate)) ? (float)LearningRate : null,
                    Optimizer = Optimizer,
                    Momentum = (float)Momentum,
                    L2 = (float)L2,
                    Seed = MyInvocation.BoundParameters.ContainsKey(nameof(Seed)) ? Seed : null,
                });
            }
        }
        catch (MnistToolsException e)
        {
            ThrowTerminatingError(ErrorRecords.From(e));
            return;
        }

        WriteVerbose($"Training {Network.Description} on '{DataSet.Name}' ({DataSet.Count:N0} images): {Epochs} epoch(s), batch {BatchSize}, " +
                     $"{Optimizer} at learning rate {_trainer.Options.EffectiveLearningRate:G4}, L2 {L2:G4}, shuffle seed {(_trainer.Options.Seed ?? Network.Seed)}" +
                     (ValidationSet is null ? "." : $", validating on '{ValidationSet.Name}' ({ValidationSet.Count:N0} images)."));
        var runClock = Stopwatch.StartNew();
        _sinceProgress.Restart();
        var progress = new ProgressRecord(1, $"Training {Network.Description}", "Starting");
        for (int e = 0; e < Epochs; e++)
        {
            int epochIndex = e;
            TrainingEpoch record;
            try
            {
                record = _trainer.TrainEpoch(DataSet, ValidationSet,
                    p => ReportProgress(progress, p, epochIndex, runClock), Stopped);
            }
            catch (OperationCanceledException)
            {
                return; // Ctrl+C: the network keeps the last completed batch's weights.
            }
            catch (MnistToolsException ex)
            {
                CompleteProgress(progress);
                ThrowTerminatingError(ErrorRecords.From(ex));
                return;
            }
            EpochDone(progress, record, epochIndex);
            WriteVerbose($"Epoch {record.Epoch}: {record.Samples:N0} images in {record.Seconds:F2} s ({record.SamplesPerSecond:N0}/s), " +
                         $"loss {record.TrainLoss:G4}, accuracy {record.TrainAccuracy:P2}" +
                         (record.ValidationAccuracy is double v ? $", validation {v:P2}." : "."));
            WriteObject(record);
        }
        CompleteProgress(progress);
    }

    protected override void EndProcessing()
    {
        if (PassThru)
            foreach (Network network in _trained) WriteObject(network);
    }

    private void ReportProgress(ProgressRecord progress, TrainingProgress p, int epochIndex, Stopwatch runClock)
    {
        // Time-based only inside the training loop (its cost is at most one record per interval); the epoch's end is
        // reported by EpochDone, after the trainer's clock has stopped.
        if (_sinceProgress.Elapsed < ProgressInterval) return;
        _sinceProgress.Restart();
        double done = (epochIndex + (double)p.Batch / p.BatchCount) / Epochs;
        // A new record each time: streams that keep records (jobs, runspaces) must not see later updates rewrite them.
        WriteProgress(new ProgressRecord(progress.ActivityId, progress.Activity,
            $"Epoch {p.Epoch} ({epochIndex + 1} of {Epochs}), batch {p.Batch} of {p.BatchCount}: loss {p.RunningLoss:G4}, accuracy {p.RunningAccuracy:P1}")
        {
            PercentComplete = Math.Clamp((int)(done * 100), 0, 100),
            SecondsRemaining = done > 0 ? (int)Math.Ceiling(runClock.Elapsed.TotalSeconds / done * (1 - done)) : -1,
        });
    }

    private void EpochDone(ProgressRecord progress, TrainingEpoch record, int epochIndex)
    {
        _sinceProgress.Restart();
        WriteProgress(new ProgressRecord(progress.ActivityId, progress.Activity,
            $"Epoch {record.Epoch} ({epochIndex + 1} of {Epochs}) done: loss {record.TrainLoss:G4}, accuracy {record.TrainAccuracy:P1}")
        {
            PercentComplete = Math.Clamp((int)((epochIndex + 1) * 100L / Epochs), 0, 100),
        });
    }

    private void CompleteProgress(ProgressRecord progress)
    {
        WriteProgress(new ProgressRecord(progress.ActivityId, progress.Activity, "Done") { RecordType = ProgressRecordType.Completed });
    }
}
