using System.Diagnostics.CodeAnalysis;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using MnistTools.Errors;
using MnistTools.Layers;
using MnistTools.Numerics;

namespace MnistTools.Training;

/// <summary>
/// Mini-batch training of one network, in place. Buffers (workspace, gradients, shuffle order, divergence snapshot)
/// are allocated once per (network, batch size, data size) and reused: no allocation per step.
/// Per batch (<see cref="TrainingStep"/>, on two cores when they pay): <see cref="TrainingStep.Propagate"/> (load images,
/// forward, loss and backward in two half-batch lanes) → divergence check of the loss → <see cref="TrainingStep.Update"/>
/// (the remaining weight gradients and the optimizer step, fused with the check of the updated parameters).
/// Divergence (NaN/∞ in the loss, or a parameter that is NaN/∞ or larger in magnitude than
/// <see cref="FiniteCheck.MaxParameterMagnitude"/> = 1e30, which no sane float32 network reaches) restores the parameters and optimizer state saved at the start
/// of the epoch and throws <see cref="MnistToolsException"/> TrainingDiverged (InvalidResult).
/// Cancellation is checked before every batch; a cancelled epoch leaves the network with the last completed batch's
/// parameters (valid and usable) and does not count towards <see cref="Network.EpochsTrained"/>.
/// </summary>
public sealed class Trainer
{
    private readonly Network _network;
    private readonly TrainingOptions _options;
    private readonly TrainingStep _step;
    /// <summary>The parameters, non-trainable state (running statistics) and optimizer state at the start of the epoch,
    /// restored when it diverges.</summary>
    private readonly float[] _snapshot, _stateSnapshot;
    private readonly OptimizerState _snapshotState = new();
    private int[] _order = Array.Empty<int>();
    private Evaluator? _evaluator;

    public Trainer(Network network, TrainingOptions options)
    {
        _network = network ?? throw new ArgumentNullException(nameof(network));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        options.Validate();
        _step = new TrainingStep(network, options.BatchSize, options.Augmentation);
        _snapshot = new float[network.ParameterCount];
        _stateSnapshot = new float[network.StateCount];
    }

    public Network Network => _network;

    public TrainingOptions Options => _options;

    /// <summary>Trains one epoch over <paramref name="data"/>, then evaluates <paramref name="validation"/> if given.</summary>
    /// <param name="progress">Called after every batch on the calling thread.</param>
    /// <param name="schedule">Gives each step's learning rate (its current epoch); null trains at the base rate. The
    /// caller ends the schedule's epoch (<see cref="LearningRateScheduler.EndEpoch"/>) after this returns.</param>
    public TrainingEpoch TrainEpoch(MnistDataSet data, MnistDataSet? validation = null, Action<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default, LearningRateScheduler? schedule = null)
    {
        CheckEpochCount(_network, 1);
        DataCompatibility.Check(_network, data);
        if (validation is not null) DataCompatibility.Check(_network, validation, "ValidationSet");
        // Scoped to this call on this thread: the setting of the run, not of the process.
        using var threads = Numerics.ComputeSettings.Override(threads: _options.ThreadCount);
        _network.EnterTraining();
        try
        {
            return TrainEpochOwned(data, validation, progress, cancellationToken, schedule);
        }
        finally
        {
            _network.ExitTraining();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private TrainingEpoch TrainEpochOwned(MnistDataSet data, MnistDataSet? validation, Action<TrainingProgress>? progress,
        CancellationToken cancellationToken, LearningRateScheduler? schedule)
    {
        OptimizerState state = PrepareOptimizerState();

        int epoch = _network.EpochsTrained + 1;
        int count = data.Count;
        if (_order.Length != count) _order = new int[count];
        int seed = _options.Seed ?? _network.Seed;
        ShuffleOrder.Fill(_order, seed, epoch);
        _network.Parameters.CopyTo(_snapshot);
        _network.State.CopyTo(_stateSnapshot);
        state.CopyTo(_snapshotState);

        int batchSize = _options.BatchSize;
        int batchCount = StepsPerEpoch(count);
        if (schedule is not null && schedule.State.StepsPerEpoch != batchCount)
            throw new ArgumentException($"The schedule counts {schedule.State.StepsPerEpoch} steps per epoch; this epoch has {batchCount}.", nameof(schedule));
        // Steps at the base rate (every step without a schedule) show the rate as given; a scheduled rate shows the double
        // the schedule computed. The kernels use the float either way.
        double baseRate = _options.EffectiveLearningRate, typedRate = _options.TypedLearningRate;
        double rateSum = 0, rateMin = double.PositiveInfinity, rateMax = double.NegativeInfinity;
        double lossSum = 0;
        long correct = 0;
        var clock = Stopwatch.StartNew();
        for (int batch = 0; batch < batchCount; batch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int start = batch * batchSize, rows = Math.Min(batchSize, count - start);
            var rowsOfBatch = new TrainingStep.Batch(data, _order, start, rows, new LaneKey(true, seed, epoch, state.Step, 0));
            (double batchLoss, int batchCorrect) = _step.Propagate(rowsOfBatch);
            double learningRate = schedule?.Rate(batch) ?? baseRate;
            if (!double.IsFinite(batchLoss)) Diverged(state, epoch, batch, batchCount, "loss", learningRate);
            correct += batchCorrect;
            lossSum += batchLoss;
            double shownRate = learningRate == baseRate ? typedRate : learningRate;
            rateSum += shownRate;
            rateMin = Math.Min(rateMin, shownRate);
            rateMax = Math.Max(rateMax, shownRate);

            if (!_step.Update(state, Optimizers.Begin(state, _options, learningRate))) Diverged(state, epoch, batch, batchCount, "weights", learningRate);

            progress?.Invoke(new TrainingProgress(epoch, batch + 1, batchCount, start + rows, lossSum / (start + rows),
                (double)correct / (start + rows), clock.Elapsed.TotalSeconds));
        }
        // The last step's parameters have not been through a forward pass yet (every earlier step's were, by the next
        // batch's loss check): run the last batch once more, so an epoch never ends on weights whose outputs overflow.
        if (batchCount > 0)
        {
            int lastStart = (batchCount - 1) * batchSize;
            (double lastLoss, bool finite) = _step.Check(new TrainingStep.Batch(data, _order, lastStart, count - lastStart, LaneKey.Inference));
            if (!double.IsFinite(lastLoss) || !finite)
                Diverged(state, epoch, batchCount - 1, batchCount, "outputs after the last step", rateMax);
        }
        double seconds = clock.Elapsed.TotalSeconds;
        _network.EpochsTrained = epoch;

        TestResult? validationResult = null;
        if (validation is not null)
        {
            _evaluator ??= new Evaluator(_network);
            validationResult = _evaluator.Evaluate(validation, cancellationToken);
        }
        return new TrainingEpoch
        {
            Epoch = epoch,
            TrainLoss = count == 0 ? 0 : lossSum / count,
            TrainAccuracy = count == 0 ? 0 : (double)correct / count,
            ValidationLoss = validationResult?.Loss,
            ValidationAccuracy = validationResult?.Accuracy,
            // The mean; exactly the rate when it did not change within the epoch.
            LearningRate = batchCount == 0 ? typedRate : rateMin == rateMax ? rateMin : rateSum / batchCount,
            LearningRateMin = batchCount == 0 ? typedRate : rateMin,
            LearningRateMax = batchCount == 0 ? typedRate : rateMax,
            LearningRateSchedule = schedule?.State.Schedule.Kind ?? LearningRateSchedule.Constant,
            BatchSize = batchSize,
            Optimizer = _options.Optimizer,
            L2 = _options.L2,
            WeightDecay = _options.TypedWeightDecay,
            Augmentation = _options.Augmentation,
            Samples = count,
            Seconds = seconds,
            SamplesPerSecond = seconds > 0 ? count / seconds : 0,
        };
    }

    /// <summary>Optimizer steps (batches) in an epoch over <paramref name="count"/> images.</summary>
    public int StepsPerEpoch(int count) => (int)(((long)count + _options.BatchSize - 1) / _options.BatchSize);

    /// <summary>Keeps the network's optimizer state when it matches the chosen optimizer (resume), else starts a fresh one.</summary>
    private OptimizerState PrepareOptimizerState()
    {
        OptimizerState? state = _network.OptimizerState;
        if (state is null || state.Kind != _options.Optimizer)
        {
            state = OptimizerState.Create(_options.Optimizer, _network.ParameterCount);
            _network.OptimizerState = state;
        }
        return state;
    }

    [DoesNotReturn]
    private void Diverged(OptimizerState state, int epoch, int batch, int batchCount, string what, double learningRate)
    {
        _snapshot.CopyTo(_network.Parameters);
        _stateSnapshot.CopyTo(_network.State);
        _snapshotState.CopyTo(state);
        (string advice, string target) = DivergenceAdvice(learningRate);
        throw new MnistToolsException(ErrorIds.TrainingDiverged, FailureKind.InvalidResult,
            $"Training diverged in epoch {epoch}, batch {batch + 1} of {batchCount}: the {what} became NaN, infinite or absurdly large (beyond {FiniteCheck.MaxParameterMagnitude:0e0}). " +
            $"The network was restored to its weights at the start of epoch {epoch}. {advice}",
            target);
    }

    /// <summary>
    /// Throws EpochsOutOfRange (InvalidArgument, target "Epochs") when <paramref name="epochs"/> more epochs would take
    /// <see cref="Network.EpochsTrained"/> past int.MaxValue (a file may claim any count up to it): the count numbers the
    /// epochs and seeds their shuffles, so it may not wrap.
    /// </summary>
    public static void CheckEpochCount(Network network, int epochs)
    {
        if (network.EpochsTrained <= int.MaxValue - epochs) return;
        throw new MnistToolsException(ErrorIds.EpochsOutOfRange, FailureKind.InvalidArgument,
            $"The network has trained {network.EpochsTrained:N0} epochs; {epochs:N0} more would take its epoch count past {int.MaxValue:N0}, the most it can hold. " +
            "Train a new network (New-Network) instead.", "Epochs");
    }

    /// <summary>
    /// What to change after a divergence at rate η, and the parameter it is about. A weight decay whose step factor leaves
    /// (0, 1) makes the weights grow (or flip sign and grow) by itself, whatever the gradients: AdamW multiplies every
    /// weight by 1 − η·λ_w, and plain gradient descent with -L2 by 1 − η·λ (before momentum). Otherwise the rate is the cause.
    /// </summary>
    private (string Advice, string Target) DivergenceAdvice(double learningRate)
    {
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        double decay = _options.EffectiveWeightDecay, l2 = _options.KernelL2;
        if (_options.Optimizer == Optimizer.AdamW && learningRate * decay >= 1)
            return (string.Format(invariant,
                "The weight decay is the cause: AdamW multiplies every weight by 1 - learning rate x weight decay = 1 - {0:G6} x {1:G6} = {2:G6} each step, " +
                "which must lie between 0 and 1. Use a -WeightDecay below {3:G6} (1 / learning rate); 0.01 to 0.1 is usual.",
                learningRate, decay, 1 - learningRate * decay, 1 / learningRate), "WeightDecay");
        if (_options.Optimizer is Optimizer.Sgd or Optimizer.Momentum && learningRate * l2 >= 1)
            return (string.Format(invariant,
                "The L2 term is the cause: each step multiplies every weight by 1 - learning rate x L2 = 1 - {0:G6} x {1:G6} = {2:G6} (before the gradient), " +
                "which must lie between 0 and 1. Use an -L2 below {3:G6} (1 / learning rate); 1e-4 to 1e-2 is usual.",
                learningRate, l2, 1 - learningRate * l2, 1 / learningRate), "L2");
        return ($"Try a lower learning rate than {learningRate:G6}.", "LearningRate");
    }
}
