using System.Globalization;
using MnistTools.Errors;
using MnistTools.Files;
using MnistTools.Persistence;

namespace MnistTools.Training;

/// <summary>
/// The epochs of one Invoke-Training call over a <see cref="Trainer"/>: the learning-rate schedule over the call's span,
/// early stopping, and a checkpoint after every epoch. <see cref="Run"/> checks everything before the first epoch
/// (errors below) and then yields one <see cref="TrainingEpoch"/> per completed epoch.
///
/// Per epoch: train (each step's rate from the <see cref="LearningRateScheduler"/>) → end the schedule's epoch (Plateau
/// reads the validation loss) → early stopping (a validation loss below every earlier one of the run is a new best:
/// its parameters and optimizer state are copied; <see cref="EarlyStoppingPatience"/> epochs in a row without one stop
/// the run and restore the best epoch's parameters, optimizer state and EpochsTrained) → the checkpoint.
///
/// Continuing: a run with a schedule or early stopping keeps its <see cref="TrainingRunState"/> in the network while it
/// is unfinished (a checkpoint stores it). A new run continues that state instead of starting a new span when it asks
/// for exactly the remaining epochs with the same schedule (kind and the parameters it uses), base rate, steps per
/// epoch, augmentation and early-stopping patience:
/// then the rates, the plateau and early-stopping decisions and so the weights are those of the uninterrupted run, bit
/// for bit. Otherwise it starts a new span (<see cref="Notice"/> says why it did not continue).
///
/// Checkpoint: before the first epoch and after every epoch the network (parameters, optimizer state, EpochsTrained, run
/// state) is written to <see cref="CheckpointPath"/> with <see cref="NetworkPersistence.Save"/> (atomic: a temporary
/// file moved over the old one), marked with the network's <see cref="Network.CheckpointRunId"/>. An existing file there
/// is replaced only when nothing in it can be lost: it is a checkpoint of this network's run (the same identity: written
/// by this network, or by the run it was imported from), or it holds this network's present state (the same
/// architecture, EpochsTrained and parameters bit for bit, as after Import-Network of that file). Anything else (a model
/// Save-Network wrote, another run's checkpoint, another network, not a network file) needs <see cref="OverwriteOtherCheckpoint"/>.
/// </summary>
public sealed class TrainingRun
{
    public const int MaxEpochs = 1_000_000;

    private readonly Trainer _trainer;
    private readonly MnistDataSet _data;
    private readonly int _epochs;
    private string? _checkpoint;
    private TrainingRunState? _state;
    private LearningRateScheduler? _scheduler;

    /// <param name="epochs">The span: epochs this call trains (fewer when early stopping ends it).</param>
    public TrainingRun(Trainer trainer, MnistDataSet data, int epochs)
    {
        _trainer = trainer ?? throw new ArgumentNullException(nameof(trainer));
        _data = data ?? throw new ArgumentNullException(nameof(data));
        _epochs = epochs;
    }

    /// <summary>Evaluated after every epoch; required by early stopping and the Plateau schedule.</summary>
    public MnistDataSet? Validation { get; init; }

    /// <summary>Stop after this many epochs in a row without a new lowest validation loss; 0 = never.</summary>
    public int EarlyStoppingPatience { get; init; }

    /// <summary>The file written before the first epoch and after every epoch; null = none.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Replace a file at <see cref="CheckpointPath"/> that is not a checkpoint of this network's run.</summary>
    public bool OverwriteOtherCheckpoint { get; init; }

    public Network Network => _trainer.Network;

    /// <summary>True when the run continues the network's unfinished run (see the class remarks).</summary>
    public bool Continued { get; private set; }

    /// <summary>Set when the network held an unfinished run that this run does not continue: what it was and why.</summary>
    public string? Notice { get; private set; }

    /// <summary>The run's state (schedule position, best epoch); null for a constant rate without early stopping.</summary>
    public TrainingRunState? State => _state;

    /// <summary>Why the run stopped, once its last epoch has been yielded.</summary>
    public TrainingStopReason? StopReason { get; private set; }

    /// <summary>A sentence saying why the run stopped (for the verbose stream).</summary>
    public string? StopMessage { get; private set; }

    /// <summary>
    /// Checks the settings and the checkpoint path, writes the first checkpoint, and returns the epochs as they complete.
    /// Cancellation stops within a batch (OperationCanceledException): the network keeps its last completed batch and its
    /// run state stays at the last completed epoch.
    /// </summary>
    /// <exception cref="MnistToolsException">Before the first epoch: EpochsOutOfRange, EarlyStoppingPatienceOutOfRange,
    /// EarlyStoppingNeedsValidationSet, PlateauNeedsValidationSet, NetworkDataMismatch (InvalidArgument);
    /// PathIsDirectory (InvalidArgument), CheckpointFolderNotFound (NotFound), CheckpointNotWritable (Write),
    /// CheckpointOfOtherNetwork (AlreadyExists). During the run: TrainingDiverged (see <see cref="Trainer"/>),
    /// CheckpointNotWritable.</exception>
    public IEnumerable<TrainingEpoch> Run(Action<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        Prepare();
        return Epochs(progress, cancellationToken);
    }

    private void Prepare()
    {
        TrainingOptions options = _trainer.Options;
        LearningRateScheduleOptions schedule = options.Schedule;
        if (_epochs < 1 || _epochs > MaxEpochs)
            throw new MnistToolsException(ErrorIds.EpochsOutOfRange, FailureKind.InvalidArgument, $"Epochs must be in 1..{MaxEpochs}; got {_epochs}.", "Epochs");
        if (EarlyStoppingPatience < 0 || EarlyStoppingPatience > MaxEpochs)
            throw new MnistToolsException(ErrorIds.EarlyStoppingPatienceOutOfRange, FailureKind.InvalidArgument,
                $"EarlyStoppingPatience must be in 0..{MaxEpochs}; got {EarlyStoppingPatience}.", "EarlyStoppingPatience");
        Trainer.CheckEpochCount(Network, _epochs);
        DataCompatibility.Check(Network, _data);
        if (Validation is not null) DataCompatibility.Check(Network, Validation, "ValidationSet");
        if (EarlyStoppingPatience > 0 && Validation is null)
            throw new MnistToolsException(ErrorIds.EarlyStoppingNeedsValidationSet, FailureKind.InvalidArgument,
                "Early stopping watches the validation loss: give -ValidationSet (images not in the training set) with -EarlyStoppingPatience.",
                "EarlyStoppingPatience");
        if (schedule.NeedsValidation && Validation is null)
            throw new MnistToolsException(ErrorIds.PlateauNeedsValidationSet, FailureKind.InvalidArgument,
                "The Plateau schedule lowers the rate when the validation loss stops improving: give -ValidationSet with -LearningRateSchedule Plateau.",
                "LearningRateSchedule");
        if (CheckpointPath is not null)
        {
            _checkpoint = CheckCheckpointPath(CheckpointPath);
            Network.CheckpointRunId ??= Guid.NewGuid().ToString("N");
        }

        int steps = _trainer.StepsPerEpoch(_data.Count);
        double baseRate = options.EffectiveLearningRate;
        TrainingRunState? stored = Network.RunState;
        string? mismatch = stored is null || stored.IsFinished ? null : Mismatch(stored, schedule, baseRate, steps);
        Continued = stored is not null && !stored.IsFinished && mismatch is null;
        if (stored is not null && !stored.IsFinished && mismatch is not null)
            Notice = $"The network holds an unfinished run ({stored.Schedule}, {stored.EpochsDone} of {stored.SpanEpochs} epochs done" +
                     (stored.EarlyStoppingPatience > 0 ? $", early stopping patience {stored.EarlyStoppingPatience}" : "") +
                     $"); this call starts a new one because {mismatch}. To continue it, ask for -Epochs {stored.SpanEpochs - stored.EpochsDone} " +
                     "with the same schedule, learning rate, batch size, training set, augmentation and early stopping.";

        if (Continued) _state = stored;
        else if (schedule.Kind != LearningRateSchedule.Constant || EarlyStoppingPatience > 0)
            _state = new TrainingRunState
            {
                Schedule = schedule,
                BaseLearningRate = baseRate,
                Augmentation = options.Augmentation,
                SpanEpochs = _epochs,
                StepsPerEpoch = steps,
                PlateauLearningRate = baseRate,
                EarlyStoppingPatience = EarlyStoppingPatience,
            };
        _scheduler = _state is null ? null : new LearningRateScheduler(_state);

        TrainingRunState? previous = Network.RunState;
        Network.RunState = _state;
        try
        {
            WriteCheckpoint();
        }
        catch
        {
            Network.RunState = previous;
            throw;
        }
    }

    /// <summary>Why <paramref name="stored"/> cannot be continued by this run, or null when it can.</summary>
    private string? Mismatch(TrainingRunState stored, LearningRateScheduleOptions schedule, double baseRate, int steps)
    {
        int remaining = stored.SpanEpochs - stored.EpochsDone;
        if (!stored.Schedule.SameRatesAs(schedule)) return $"this call's schedule is {schedule}";
        if (stored.BaseLearningRate != baseRate) return $"this call's learning rate is {baseRate:G9}, not {stored.BaseLearningRate:G9}";
        if (stored.StepsPerEpoch != steps) return $"this call has {steps} steps per epoch, not {stored.StepsPerEpoch}";
        if (stored.Augmentation != _trainer.Options.Augmentation)
            return $"this call's augmentation is {_trainer.Options.Augmentation}, not {stored.Augmentation}";
        if (stored.EarlyStoppingPatience != EarlyStoppingPatience) return $"this call's early stopping patience is {EarlyStoppingPatience}";
        if (remaining != _epochs) return $"this call asks for {_epochs} epoch(s), not the remaining {remaining}";
        return null;
    }

    private IEnumerable<TrainingEpoch> Epochs(Action<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        for (int e = 0; e < _epochs; e++)
        {
            TrainingEpoch record = _trainer.TrainEpoch(_data, Validation, progress, cancellationToken, _scheduler);
            _scheduler?.EndEpoch(record.ValidationLoss);
            bool stop = EarlyStoppingPatience > 0 && TrackBest(record);
            bool last = stop || e == _epochs - 1;
            if (stop)
            {
                RestoreBest();
                StopReason = TrainingStopReason.EarlyStopping;
                StopMessage = $"Early stopping after epoch {record.Epoch}: the validation loss has not improved for {_state!.EpochsSinceBest} epoch(s) " +
                              $"since epoch {_state.BestEpoch} ({_state.BestLoss.ToString("G6", CultureInfo.InvariantCulture)}); the weights and optimizer state of epoch " +
                              $"{_state.BestEpoch} were restored (EpochsTrained {Network.EpochsTrained}).";
            }
            else if (last)
            {
                StopReason = TrainingStopReason.Completed;
                StopMessage = $"Completed the {_epochs} epoch(s) asked for" +
                              (_state is { EarlyStoppingPatience: > 0 } s ? $"; the lowest validation loss was epoch {s.BestEpoch}'s." : ".");
            }
            if (last && Network.RunState == _state) Network.RunState = null;
            WriteCheckpoint();
            if (last) record.StopReason = StopReason;
            yield return record;
            if (last) yield break;
        }
    }

    /// <summary>Early stopping's bookkeeping after <paramref name="record"/>; true when the run must stop.</summary>
    private bool TrackBest(TrainingEpoch record)
    {
        TrainingRunState state = _state!;
        double loss = record.ValidationLoss!.Value;
        if (loss < state.BestLoss)
        {
            state.BestLoss = loss;
            state.BestEpoch = record.Epoch;
            state.EpochsSinceBest = 0;
            state.BestParameters ??= new float[Network.ParameterCount];
            Network.Parameters.CopyTo(state.BestParameters);
            state.BestState ??= new float[Network.StateCount];
            Network.State.CopyTo(state.BestState);
            state.BestOptimizerState ??= new OptimizerState();
            Network.OptimizerState!.CopyTo(state.BestOptimizerState);
            record.IsBest = true;
            return false;
        }
        state.EpochsSinceBest++;
        return state.EpochsSinceBest >= EarlyStoppingPatience;
    }

    /// <summary>Puts the best epoch's parameters, optimizer state and epoch count back.</summary>
    private void RestoreBest()
    {
        TrainingRunState state = _state!;
        Network network = Network;
        network.EnterTraining();
        try
        {
            state.BestParameters!.CopyTo(network.Parameters);
            // A state saved before the network had state (a file without it) leaves the running statistics as they are.
            if (state.BestState is { } best && best.Length == network.StateCount) best.CopyTo(network.State);
            state.BestOptimizerState!.CopyTo(network.OptimizerState!);
            network.EpochsTrained = state.BestEpoch;
        }
        finally
        {
            network.ExitTraining();
        }
    }

    /// <summary>The full path, after the checks that need no writing (the first checkpoint proves the folder writable).</summary>
    private string CheckCheckpointPath(string path)
    {
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new MnistToolsException(ErrorIds.CheckpointNotWritable, FailureKind.InvalidArgument, $"'{path}' is not a valid checkpoint path: {e.Message}", path, e);
        }
        if (Directory.Exists(full))
            throw new MnistToolsException(ErrorIds.PathIsDirectory, FailureKind.InvalidArgument,
                $"The checkpoint path '{full}' is a folder; give a file path such as '{Path.Combine(full, "checkpoint" + NetworkFileFormat.Extension)}'.", full);
        if (RegularFile.KindOf(full) == FileKind.Special)
            throw RegularFile.NotRegular(full, "replace");
        string folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder))
            throw new MnistToolsException(ErrorIds.CheckpointFolderNotFound, FailureKind.NotFound,
                $"Cannot write the checkpoint '{full}': the folder '{folder}' does not exist.", full);
        if (File.Exists(full) && !OverwriteOtherCheckpoint)
        {
            string? other = OtherNetwork(full);
            if (other is not null)
                throw new MnistToolsException(ErrorIds.CheckpointOfOtherNetwork, FailureKind.AlreadyExists,
                    $"The checkpoint path '{full}' {other}, so it is not replaced. Give another -CheckpointPath, or -Force to overwrite it.", full);
        }
        return full;
    }

    /// <summary>What makes the file at <paramref name="path"/> something a checkpoint of this run may not replace, or null.</summary>
    private string? OtherNetwork(string path)
    {
        NetworkSnapshot snapshot;
        try
        {
            snapshot = NetworkFileReader.Read(path);
        }
        catch (MnistToolsException e)
        {
            return $"exists and is not a network file ({e.Message})";
        }
        Network n = Network;
        NetworkArchitecture saved;
        try
        {
            saved = NetworkArchitecture.FromSnapshot(snapshot);
        }
        catch (MnistToolsException e)
        {
            return $"exists and is not a network file ({e.Message})";
        }
        string savedShape = string.Join('x', saved.InputShape), shape = string.Join('x', n.InputShape);
        bool same = savedShape == shape && saved.Description == n.Architecture && snapshot.Loss == n.Loss
            && snapshot.Initializer == n.Initializer && snapshot.Seed == n.Seed;
        if (!same)
            return $"holds a different network ({savedShape} {MessageText.Quote(saved.Description)}; {snapshot.Loss}, initializer {snapshot.Initializer}, seed {snapshot.Seed}; " +
                   $"this one is {shape} {MessageText.Quote(n.Architecture)}; {n.Loss}, initializer {n.Initializer}, seed {n.Seed})";
        if (snapshot.CheckpointRun is not null && snapshot.CheckpointRun == n.CheckpointRunId) return null;
        if (snapshot.EpochsTrained == n.EpochsTrained && IsPresentState(snapshot.Parameters)) return null;
        return $"holds the same architecture and seed but other weights ({snapshot.EpochsTrained} epoch(s) trained; this network has {n.EpochsTrained}), " +
               (snapshot.CheckpointRun is null
                   ? "saved by Save-Network or another tool, not as a checkpoint of this network's run"
                   : "a checkpoint of another run");
    }

    /// <summary>True when <paramref name="saved"/> equals the network's parameters bit for bit.</summary>
    private bool IsPresentState(float[] saved)
    {
        ReadOnlySpan<float> present = Network.Parameters;
        return saved.Length == present.Length
            && System.Runtime.InteropServices.MemoryMarshal.AsBytes(saved.AsSpan()).SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.AsBytes(present));
    }

    private void WriteCheckpoint()
    {
        if (_checkpoint is null) return;
        try
        {
            NetworkPersistence.Save(Network, _checkpoint, overwrite: true, checkpointRun: Network.CheckpointRunId);
        }
        catch (MnistToolsException e) when (e.ErrorId == ErrorIds.FolderNotFound)
        {
            throw new MnistToolsException(ErrorIds.CheckpointFolderNotFound, FailureKind.NotFound, $"Cannot write the checkpoint: {e.Message}", _checkpoint, e);
        }
        catch (MnistToolsException e) when (e.Kind is FailureKind.Write or FailureKind.ReadWrite)
        {
            throw new MnistToolsException(ErrorIds.CheckpointNotWritable, FailureKind.Write,
                $"Cannot write the checkpoint '{_checkpoint}' (is the folder read-only or the disk full?): {e.Message}", _checkpoint, e);
        }
    }
}
