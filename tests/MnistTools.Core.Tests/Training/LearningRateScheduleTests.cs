using MnistTools.Errors;
using MnistTools.Layers;
using MnistTools.Training;

namespace MnistTools.Tests.Training;

/// <summary>
/// Each schedule's rates against a table of plain numbers. The tables were computed once, outside this code, with
/// PyTorch's formulas in double (Python's math module, the same arithmetic as torch.optim.lr_scheduler): StepLR's
/// closed form, CosineAnnealingLR's closed form, OneCycleLR's two-phase cos loop (div_factor 25, final_div_factor 1e4),
/// ReduceLROnPlateau (mode min, threshold 1e-4 rel, cooldown 0, eps 1e-8).
/// </summary>
public class LearningRateScheduleTests
{
    /// <summary>Relative tolerance with an absolute floor: the formulas are evaluated in the same order, so only the last bits may differ.</summary>
    private static void Near(double expected, double actual, string what)
    {
        double tolerance = Math.Max(1e-12 * Math.Abs(expected), 1e-18);
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"{what}: expected {expected:R}, got {actual:R}");
    }

    // StepLR(base 0.1, step_size 2, gamma 0.5), epochs 0..6.
    private static readonly double[] StepTable = { 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125 };

    // CosineAnnealingLR(base 0.1, eta_min 0.001, T_max 8), steps 0..7.
    private static readonly double[] CosineTable =
        { 0.1, 0.0962320368593087, 0.0855017856687341, 0.06944282990207196, 0.0505, 0.03155717009792806, 0.0154982143312659, 0.004767963140691307 };

    // OneCycleLR(max_lr 0.01, total_steps 10, pct_start 0.3), steps 0..9.
    private static readonly double[] OneCycleTable =
    {
        0.0003999999999999993, 0.0052, 0.01, 0.009504846320134737, 0.008117456539497631, 0.0061126202193628925,
        0.003887419780637108, 0.00188258346050237, 0.0004951936798652628, 4e-08,
    };

    // OneCycleLR(max_lr 0.01, total_steps 5) with pct_start 0 and 1.
    private static readonly double[] OneCycleNoWarmup = { 0.00904508879153485, 0.00654509879153485, 0.003454941208465151, 0.0009549512084651508, 4e-08 };
    private static readonly double[] OneCycleAllWarmup = { 0.0003999999999999993, 0.0018058874503045722, 0.0052, 0.008594112549695427, 0.01 };

    // ReduceLROnPlateau(lr 0.1, patience 1, factor 0.5, min_lr 0.02): the rate each epoch trains with, given the losses.
    // 0.89995 is not an improvement on 0.9 (it is not below 0.9 x (1 - 1e-4)); the last reduction would go below the floor.
    private static readonly double[] PlateauLosses = { 1.0, 0.9, 0.95, 0.96, 0.89995, 0.8, 0.85, 0.86, 0.87, 0.88, 0.89, 0.9 };
    private static readonly double[] PlateauTable = { 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02, 0.02 };

    [Fact]
    public void StepMatchesTheTable()
    {
        for (int e = 0; e < StepTable.Length; e++) Near(StepTable[e], LearningRateScheduler.StepRate(0.1, e, 2, 0.5), $"epoch {e}");
    }

    [Fact]
    public void CosineMatchesTheTable()
    {
        for (int t = 0; t < CosineTable.Length; t++) Near(CosineTable[t], LearningRateScheduler.CosineRate(0.1, 0.001, t, 8), $"step {t}");
    }

    [Fact]
    public void OneCycleMatchesTheTables()
    {
        for (int t = 0; t < OneCycleTable.Length; t++) Near(OneCycleTable[t], LearningRateScheduler.OneCycleRate(0.01, 0.3, t, 10), $"step {t}");
        for (int t = 0; t < 5; t++)
        {
            Near(OneCycleNoWarmup[t], LearningRateScheduler.OneCycleRate(0.01, 0, t, 5), $"no warm-up, step {t}");
            Near(OneCycleAllWarmup[t], LearningRateScheduler.OneCycleRate(0.01, 1, t, 5), $"all warm-up, step {t}");
        }
        // A warm-up of exactly one step ends at step 0 (PyTorch divides by zero there): the peak at once.
        Near(0.01, LearningRateScheduler.OneCycleRate(0.01, 0.2, 0, 5), "one-step warm-up");
        Assert.All(Enumerable.Range(0, 5), t => Assert.True(double.IsFinite(LearningRateScheduler.OneCycleRate(0.01, 0.2, t, 5))));
    }

    [Fact]
    public void PlateauMatchesTheTable()
    {
        double rate = 0.1, best = double.PositiveInfinity;
        int wait = 0;
        for (int e = 0; e < PlateauLosses.Length; e++)
        {
            Near(PlateauTable[e], rate, $"epoch {e}");
            (rate, best, wait) = LearningRateScheduler.PlateauStep(rate, best, wait, PlateauLosses[e], patience: 1, factor: 0.5, minRate: 0.02);
        }
        Near(PlateauTable[^1], rate, "after the last epoch");
        Assert.Equal(0.8, best);
    }

    /// <summary>The scheduler (the production path) over a span: per-step schedules index the span's steps, per-epoch ones its epochs.</summary>
    [Theory]
    [InlineData(LearningRateSchedule.Step)]
    [InlineData(LearningRateSchedule.Cosine)]
    [InlineData(LearningRateSchedule.OneCycle)]
    [InlineData(LearningRateSchedule.Plateau)]
    [InlineData(LearningRateSchedule.Constant)]
    public void SchedulerFollowsTheTablesOverASpan(LearningRateSchedule kind)
    {
        var options = new LearningRateScheduleOptions { Kind = kind, StepEpochs = 2, StepFactor = 0.5, MinLearningRate = kind == LearningRateSchedule.Plateau ? 0.02 : 0.001,
            WarmupFraction = 0.3, PlateauPatience = 1, PlateauFactor = 0.5 };
        double baseRate = kind == LearningRateSchedule.OneCycle ? 0.01 : 0.1;
        (int span, int steps) = kind switch
        {
            LearningRateSchedule.Cosine => (2, 4),       // 8 steps
            LearningRateSchedule.OneCycle => (5, 2),     // 10 steps
            LearningRateSchedule.Plateau => (12, 3),
            _ => (7, 3),
        };
        var state = new TrainingRunState { Schedule = options, BaseLearningRate = baseRate, SpanEpochs = span, StepsPerEpoch = steps, PlateauLearningRate = baseRate };
        var scheduler = new LearningRateScheduler(state);
        for (int e = 0; e < span; e++)
        {
            for (int b = 0; b < steps; b++)
            {
                double expected = kind switch
                {
                    LearningRateSchedule.Step => StepTable[e],
                    LearningRateSchedule.Cosine => CosineTable[e * steps + b],
                    LearningRateSchedule.OneCycle => OneCycleTable[e * steps + b],
                    LearningRateSchedule.Plateau => PlateauTable[e],
                    _ => 0.1,
                };
                Near(expected, scheduler.Rate(b), $"{kind} epoch {e} step {b}");
            }
            scheduler.EndEpoch(kind == LearningRateSchedule.Plateau ? PlateauLosses[e] : null);
        }
        Assert.Equal(span, state.EpochsDone);
        Assert.True(state.IsFinished);
    }

    [Fact]
    public void EpochRecordsGiveTheMeanAndRangeOfTheStepsRates()
    {
        // 64 images in batches of 16: 4 steps per epoch, a span of 2 epochs is the cosine table's 8 steps.
        var data = SyntheticData.Create(64);
        var network = new Network(new[] { 16, 8, 3 }, Activation.ReLU, Activation.Softmax, Loss.CrossEntropy, seed: 3);
        var cosine = new LearningRateScheduleOptions { Kind = LearningRateSchedule.Cosine, MinLearningRate = 0.001 };
        var trainer = new Trainer(network, new TrainingOptions { LearningRate = 0.1f, BatchSize = 16, Schedule = cosine });
        // The base rate is a float: the table's 0.1 becomes (double)0.1f, so compare against the formula at that base.
        double baseRate = 0.1f;
        TrainingEpoch[] records = new TrainingRun(trainer, data, 2).Run().ToArray();
        for (int e = 0; e < 2; e++)
        {
            double[] rates = Enumerable.Range(e * 4, 4).Select(t => LearningRateScheduler.CosineRate(baseRate, 0.001, t, 8)).ToArray();
            Near(rates.Average(), records[e].LearningRate, $"mean of epoch {e + 1}");
            Near(rates.Min(), records[e].LearningRateMin, $"lowest of epoch {e + 1}");
            Near(rates.Max(), records[e].LearningRateMax, $"highest of epoch {e + 1}");
            Assert.Equal(LearningRateSchedule.Cosine, records[e].LearningRateSchedule);
        }

        // A constant rate is reported exactly, not as a sum divided back.
        var constant = new Network(new[] { 16, 8, 3 }, Activation.ReLU, Activation.Softmax, Loss.CrossEntropy, seed: 3);
        TrainingEpoch record = new Trainer(constant, new TrainingOptions { LearningRate = 0.001f, BatchSize = 7 }).TrainEpoch(data);
        Assert.Equal((double)0.001f, record.LearningRate);
        Assert.Equal(record.LearningRate, record.LearningRateMin);
        Assert.Equal(record.LearningRate, record.LearningRateMax);
    }

    /// <summary>
    /// The schedule's rate is the rate the optimizer steps with: with one step per epoch and Momentum, a scheduled run
    /// equals separate calls at those rates bit for bit (the float of each rate is what both hand to the optimizer).
    /// </summary>
    [Theory]
    [InlineData(LearningRateSchedule.Step)]
    [InlineData(LearningRateSchedule.Cosine)]
    [InlineData(LearningRateSchedule.OneCycle)]
    public void TheScheduledRateIsTheOptimizersRate(LearningRateSchedule kind)
    {
        var data = SyntheticData.Create(48);
        const int span = 5;
        var schedule = new LearningRateScheduleOptions { Kind = kind, StepEpochs = 2, StepFactor = 0.5, MinLearningRate = 0.01, WarmupFraction = 0.4 };
        Network Fresh() => new(new[] { 16, 8, 3 }, Activation.Tanh, Activation.Softmax, Loss.CrossEntropy, seed: 5);

        var scheduled = Fresh();
        var options = new TrainingOptions { Optimizer = Optimizer.Momentum, LearningRate = 0.2f, BatchSize = 48, Schedule = schedule, Seed = 2 };
        TrainingEpoch[] records = new TrainingRun(new Trainer(scheduled, options), data, span).Run().ToArray();

        var byHand = Fresh();
        for (int e = 0; e < span; e++)
        {
            double rate = kind switch
            {
                LearningRateSchedule.Step => LearningRateScheduler.StepRate(0.2f, e, 2, 0.5),
                LearningRateSchedule.Cosine => LearningRateScheduler.CosineRate(0.2f, 0.01, e, span),
                _ => LearningRateScheduler.OneCycleRate(0.2f, 0.4, e, span),
            };
            Assert.Equal(rate, records[e].LearningRate);
            new Trainer(byHand, new TrainingOptions { Optimizer = Optimizer.Momentum, LearningRate = (float)rate, BatchSize = 48, Seed = 2 }).TrainEpoch(data);
        }
        Assert.Equal(byHand.GetParameters(), scheduled.GetParameters());
        Assert.Equal(byHand.OptimizerState!.Velocity, scheduled.OptimizerState!.Velocity);
    }

    [Theory]
    [InlineData("StepEpochs", 0)]
    [InlineData("StepFactor", 0.0)]
    [InlineData("StepFactor", 1.5)]
    [InlineData("MinLearningRate", -1e-9)]
    [InlineData("MinLearningRate", double.NaN)]
    [InlineData("WarmupFraction", 1.01)]
    [InlineData("PlateauPatience", -1)]
    [InlineData("PlateauFactor", 1.0)]
    [InlineData("PlateauFactor", double.PositiveInfinity)]
    public void OutOfRangeParametersAreRefused(string parameter, double value)
    {
        var o = new LearningRateScheduleOptions { Kind = LearningRateSchedule.Cosine };
        o = parameter switch
        {
            "StepEpochs" => o with { StepEpochs = (int)value },
            "StepFactor" => o with { StepFactor = value },
            "MinLearningRate" => o with { MinLearningRate = value },
            "WarmupFraction" => o with { WarmupFraction = value },
            "PlateauPatience" => o with { PlateauPatience = (int)value },
            _ => o with { PlateauFactor = value },
        };
        var e = Assert.Throws<MnistToolsException>(() => new Trainer(new Network(new[] { 16, 3 }), new TrainingOptions { Schedule = o }));
        Assert.Equal(parameter + "OutOfRange", e.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, e.Kind);
        Assert.Equal(parameter, e.Target);
    }
}
