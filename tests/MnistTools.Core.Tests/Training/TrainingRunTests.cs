using MnistTools.Errors;
using MnistTools.Layers;
using MnistTools.Persistence;
using MnistTools.Tests.Persistence;
using MnistTools.Training;

namespace MnistTools.Tests.Training;

/// <summary>TrainingRun: early stopping, checkpoints that resume bit for bit, continuing a run, the checks before the first epoch.</summary>
public class TrainingRunTests
{
    private static readonly MnistDataSet Train = SyntheticData.Create(240);
    private static readonly MnistDataSet Validation = SyntheticData.Create(90, seed: 2, name: "validation");

    /// <summary>
    /// The synthetic images with every label moved to the next class: the better the network learns the real task, the
    /// higher its loss here, so early stopping's best epoch comes early.
    /// </summary>
    private static MnistDataSet Misleading(int count)
    {
        MnistDataSet honest = SyntheticData.Create(count, seed: 3);
        byte[] pixels = new byte[count * 16], labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            honest.GetPixels(i).CopyTo(pixels.AsSpan(i * 16, 16));
            labels[i] = (byte)((honest.GetLabel(i) + 1) % 3);
        }
        return new MnistDataSet("misleading", null, 4, 4, pixels, labels, classCount: 3);
    }

    private static Network NewNetwork(int seed = 3) => new(new[] { 16, 8, 3 }, Activation.ReLU, Activation.Softmax, Loss.CrossEntropy, seed: seed);

    private static TrainingOptions Options(LearningRateSchedule kind = LearningRateSchedule.Constant, Optimizer optimizer = Optimizer.Adam) => new()
    {
        Optimizer = optimizer,
        LearningRate = 0.02f,
        BatchSize = 16,
        Seed = 6,
        Schedule = new LearningRateScheduleOptions { Kind = kind, StepEpochs = 2, StepFactor = 0.5, MinLearningRate = 1e-4, PlateauPatience = 0, PlateauFactor = 0.5 },
    };

    private static int Bits(float x) => BitConverter.SingleToInt32Bits(x);

    [Fact]
    public void EarlyStoppingRestoresTheBestEpochsWeightsOptimizerStateAndEpochCount()
    {
        MnistDataSet validation = Misleading(90);
        var network = NewNetwork();
        var run = new TrainingRun(new Trainer(network, Options()), Train, 20) { Validation = validation, EarlyStoppingPatience = 3 };
        TrainingEpoch[] records = run.Run().ToArray();

        double[] losses = records.Select(r => r.ValidationLoss!.Value).ToArray();
        int best = Array.IndexOf(losses, losses.Min()) + 1;
        Assert.True(records.Length < 20, "the misleading validation set must stop the run early");
        Assert.Equal(best + 3, records.Length);
        for (int e = 0; e < records.Length; e++)
            Assert.Equal(losses[e] < losses.Take(e).DefaultIfEmpty(double.PositiveInfinity).Min(), records[e].IsBest);
        Assert.True(records[best - 1].IsBest);
        Assert.All(records[..^1], r => Assert.Null(r.StopReason));
        Assert.Equal(TrainingStopReason.EarlyStopping, records[^1].StopReason);
        Assert.Equal(TrainingStopReason.EarlyStopping, run.StopReason);
        Assert.Contains($"since epoch {best}", run.StopMessage);

        // Exactly the network after `best` epochs of the same training, with its optimizer state and epoch count.
        var reference = NewNetwork();
        var trainer = new Trainer(reference, Options());
        for (int e = 0; e < best; e++) trainer.TrainEpoch(Train);
        Assert.Equal(reference.GetParameters().Select(Bits), network.GetParameters().Select(Bits));
        Assert.Equal(reference.OptimizerState!.FirstMoment, network.OptimizerState!.FirstMoment);
        Assert.Equal(reference.OptimizerState.SecondMoment, network.OptimizerState.SecondMoment);
        Assert.Equal(reference.OptimizerState.Step, network.OptimizerState.Step);
        Assert.Equal(best, network.EpochsTrained);
        Assert.Null(network.RunState);
    }

    [Fact]
    public void WithoutAStopTheRunCompletesAndKeepsItsLastWeights()
    {
        var network = NewNetwork();
        var run = new TrainingRun(new Trainer(network, Options()), Train, 4) { Validation = Validation, EarlyStoppingPatience = 10 };
        TrainingEpoch[] records = run.Run().ToArray();
        Assert.Equal(4, records.Length);
        Assert.Equal(TrainingStopReason.Completed, records[^1].StopReason);
        Assert.Equal(4, network.EpochsTrained);
        Assert.True(records[0].IsBest);
        Assert.Null(network.RunState);
    }

    public static TheoryData<LearningRateSchedule, int, bool> Resumes => new()
    {
        { LearningRateSchedule.Constant, 0, false },
        { LearningRateSchedule.Step, 0, false },
        { LearningRateSchedule.Cosine, 0, false },
        { LearningRateSchedule.OneCycle, 0, false },
        { LearningRateSchedule.Plateau, 0, false },
        { LearningRateSchedule.Cosine, 3, true },     // stops after the resume, restoring an epoch from before the checkpoint
        { LearningRateSchedule.Plateau, 50, true },   // the plateau lowers the rate on both sides of the resume
    };

    /// <summary>
    /// The checkpoint after epoch 2, imported and trained for the remaining epochs, ends with exactly the weights,
    /// optimizer state and records of the run that was never interrupted.
    /// </summary>
    [Theory]
    [MemberData(nameof(Resumes))]
    public void ACheckpointResumesBitForBit(LearningRateSchedule kind, int patience, bool misleading)
    {
        const int span = 6, stopAt = 2;
        using var folder = new TempFolder();
        string path = folder.File("run.safetensors"), copy = folder.File("after-2.safetensors");
        MnistDataSet validation = misleading ? Misleading(90) : Validation;

        var whole = NewNetwork();
        var run = new TrainingRun(new Trainer(whole, Options(kind, Optimizer.AdamW)), Train, span)
            { Validation = validation, EarlyStoppingPatience = patience, CheckpointPath = path };
        var records = new List<TrainingEpoch>();
        foreach (TrainingEpoch record in run.Run())
        {
            records.Add(record);
            if (records.Count == stopAt) File.Copy(path, copy);
        }
        if (misleading && patience < span)
        {
            Assert.True(records.Count < span && records[^1].StopReason == TrainingStopReason.EarlyStopping, "the run should stop early after the resume point");
            Assert.True(records.Last(r => r.IsBest).Epoch <= stopAt, "the epoch restored should come from before the resume point");
        }
        if (kind == LearningRateSchedule.Plateau && misleading)
            Assert.True(records[stopAt].LearningRate < records[0].LearningRate && records[^1].LearningRate < records[stopAt].LearningRate,
                "the plateau rule should lower the rate before and after the resume point");

        Network resumed = NetworkPersistence.Load(copy);
        Assert.Equal(stopAt, resumed.EpochsTrained);
        Assert.Equal(kind != LearningRateSchedule.Constant || patience > 0, resumed.RunState is not null);
        var rest = new TrainingRun(new Trainer(resumed, Options(kind, Optimizer.AdamW)), Train, span - stopAt)
            { Validation = validation, EarlyStoppingPatience = patience };
        TrainingEpoch[] later = rest.Run().ToArray();

        // A constant rate without early stopping has no run state to continue (and needs none).
        Assert.Equal(kind != LearningRateSchedule.Constant || patience > 0, rest.Continued);
        Assert.Null(rest.Notice);
        Assert.Equal(whole.GetParameters().Select(Bits), resumed.GetParameters().Select(Bits));
        Assert.Equal(whole.OptimizerState!.FirstMoment!.Select(Bits), resumed.OptimizerState!.FirstMoment!.Select(Bits));
        Assert.Equal(whole.OptimizerState.SecondMoment!.Select(Bits), resumed.OptimizerState.SecondMoment!.Select(Bits));
        Assert.Equal(whole.OptimizerState.Step, resumed.OptimizerState.Step);
        Assert.Equal(whole.EpochsTrained, resumed.EpochsTrained);
        Assert.Equal(records.Skip(stopAt).Select(r => (r.Epoch, r.LearningRate, r.LearningRateMin, r.LearningRateMax, r.TrainLoss, r.ValidationLoss, r.IsBest, r.StopReason)),
            later.Select(r => (r.Epoch, r.LearningRate, r.LearningRateMin, r.LearningRateMax, r.TrainLoss, r.ValidationLoss, r.IsBest, r.StopReason)));

        // The last checkpoint is the final network, with the run finished.
        Network final = NetworkPersistence.Load(path);
        Assert.Equal(whole.GetParameters().Select(Bits), final.GetParameters().Select(Bits));
        Assert.Equal(whole.EpochsTrained, final.EpochsTrained);
        Assert.Null(final.RunState);
        Assert.Empty(folder.Others("run.safetensors", "after-2.safetensors"));
    }

    [Fact]
    public void AnotherEpochCountStartsANewSpanAndSaysWhy()
    {
        var network = NewNetwork();
        using var cancel = new CancellationTokenSource();
        var first = new TrainingRun(new Trainer(network, Options(LearningRateSchedule.Cosine)), Train, 5);
        int seen = 0;
        Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            foreach (TrainingEpoch _ in first.Run(cancellationToken: cancel.Token)) if (++seen == 2) cancel.Cancel();
        });
        Assert.Equal(2, network.RunState!.EpochsDone);
        Assert.Equal(5, network.RunState.SpanEpochs);

        var other = new TrainingRun(new Trainer(network, Options(LearningRateSchedule.Cosine)), Train, 2);
        TrainingEpoch[] records = other.Run().ToArray();
        Assert.False(other.Continued);
        Assert.Contains("-Epochs 3", other.Notice);
        Assert.Contains("2 epoch(s), not the remaining 3", other.Notice);
        // A new span of two epochs: it starts at the base rate again.
        Assert.Equal((double)0.02f, records[0].LearningRateMax);
        Assert.Null(network.RunState);

        // A parameter the schedule does not use does not matter; one it uses does.
        TrainingRunState Unfinished() => new()
        {
            Schedule = new LearningRateScheduleOptions { Kind = LearningRateSchedule.Cosine, MinLearningRate = 1e-4, StepEpochs = 9 },
            BaseLearningRate = 0.02f, SpanEpochs = 4, StepsPerEpoch = 15, EpochsDone = 1, PlateauLearningRate = 0.02f,
        };
        network.RunState = Unfinished();
        var same = new TrainingRun(new Trainer(network, Options(LearningRateSchedule.Cosine)), Train, 3);
        same.Run().ToArray();
        Assert.True(same.Continued);
        Assert.Null(same.Notice);
        network.RunState = Unfinished();
        var lower = new TrainingRun(new Trainer(network, Options(LearningRateSchedule.Cosine)), Train, 3);
        network.RunState.Schedule = network.RunState.Schedule with { MinLearningRate = 0 };
        lower.Run().ToArray();
        Assert.False(lower.Continued);
        Assert.Contains("schedule is Cosine (down to 0.0001)", lower.Notice);

        // Nor is another augmentation.
        network.RunState = Unfinished();
        network.RunState.Augmentation = Augmentation.Affine;
        var plain = new TrainingRun(new Trainer(network, Options(LearningRateSchedule.Cosine)), Train, 3);
        plain.Run().ToArray();
        Assert.False(plain.Continued);
        Assert.Contains("augmentation is None, not Affine", plain.Notice);

        // Another schedule is not a continuation either.
        network.RunState = new TrainingRunState { Schedule = new LearningRateScheduleOptions { Kind = LearningRateSchedule.Step }, BaseLearningRate = 0.02f,
            SpanEpochs = 4, StepsPerEpoch = 15, EpochsDone = 1, PlateauLearningRate = 0.02f };
        var cosine = new TrainingRun(new Trainer(network, Options(LearningRateSchedule.Cosine)), Train, 3);
        cosine.Run().ToArray();
        Assert.False(cosine.Continued);
        Assert.Contains("schedule is Cosine", cosine.Notice);
    }

    [Fact]
    public void EarlyStoppingAndPlateauNeedAValidationSetBeforeAnyWork()
    {
        using var folder = new TempFolder();
        var network = NewNetwork();
        float[] before = network.GetParameters();
        var e = Assert.Throws<MnistToolsException>(() => new TrainingRun(new Trainer(network, Options()), Train, 3)
            { EarlyStoppingPatience = 2, CheckpointPath = folder.File("c.safetensors") }.Run());
        Assert.Equal(ErrorIds.EarlyStoppingNeedsValidationSet, e.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, e.Kind);
        Assert.Equal("EarlyStoppingPatience", e.Target);

        e = Assert.Throws<MnistToolsException>(() => new TrainingRun(new Trainer(network, Options(LearningRateSchedule.Plateau)), Train, 3).Run());
        Assert.Equal(ErrorIds.PlateauNeedsValidationSet, e.ErrorId);
        Assert.Equal("LearningRateSchedule", e.Target);

        e = Assert.Throws<MnistToolsException>(() => new TrainingRun(new Trainer(network, Options()), Train, 0).Run());
        Assert.Equal(ErrorIds.EpochsOutOfRange, e.ErrorId);

        Assert.Equal(before, network.GetParameters());
        Assert.Equal(0, network.EpochsTrained);
        Assert.Null(network.OptimizerState);
        Assert.Empty(Directory.GetFiles(folder.Path));
    }

    [Fact]
    public void CheckpointPathsAreCheckedBeforeTheFirstEpoch()
    {
        using var folder = new TempFolder();
        var network = NewNetwork();
        TrainingRun Run(string path, bool force = false) => new(new Trainer(network, Options()), Train, 1) { CheckpointPath = path, OverwriteOtherCheckpoint = force };

        var e = Assert.Throws<MnistToolsException>(() => Run(folder.Path).Run());
        Assert.Equal(ErrorIds.PathIsDirectory, e.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, e.Kind);

        string missing = Path.Combine(folder.Path, "no-such-folder", "c.safetensors");
        e = Assert.Throws<MnistToolsException>(() => Run(missing).Run());
        Assert.Equal(ErrorIds.CheckpointFolderNotFound, e.ErrorId);
        Assert.Equal(FailureKind.NotFound, e.Kind);
        Assert.Equal(missing, e.Target);

        // A file of another network (another seed), and a file that is no network at all: refused unless forced.
        string other = folder.File("other.safetensors"), text = folder.File("notes.safetensors");
        NetworkPersistence.Save(NewNetwork(seed: 4), other, overwrite: false);
        File.WriteAllText(text, "my notes");
        foreach (string path in new[] { other, text })
        {
            byte[] kept = File.ReadAllBytes(path);
            e = Assert.Throws<MnistToolsException>(() => Run(path).Run());
            Assert.Equal(ErrorIds.CheckpointOfOtherNetwork, e.ErrorId);
            Assert.Equal(FailureKind.AlreadyExists, e.Kind);
            Assert.Equal(path, e.Target);
            Assert.Contains("-Force", e.Message);
            Assert.Equal(kept, File.ReadAllBytes(path));
        }
        Assert.Contains("seed 4", Assert.Throws<MnistToolsException>(() => Run(other).Run()).Message);
        Assert.Equal(0, network.EpochsTrained);

        Run(other, force: true).Run().ToArray();
        Assert.Equal(network.GetParameters(), NetworkPersistence.Load(other).GetParameters());

        // The same network's checkpoint (at another epoch) is simply replaced.
        Run(other).Run().ToArray();
        Assert.Equal(2, NetworkPersistence.Load(other).EpochsTrained);
    }

    [Fact]
    public void ACheckpointReplacesOnlyItsOwnRunsFileOrTheNetworksPresentState()
    {
        using var folder = new TempFolder();
        string model = folder.File("model.safetensors");
        TrainingRun Run(Network network, string path, int epochs = 1, bool force = false) =>
            new(new Trainer(network, Options()), Train, epochs) { CheckpointPath = path, OverwriteOtherCheckpoint = force };

        // A trained model that Save-Network wrote, and a new network of the same layers and seed: refused, the file kept.
        var trained = NewNetwork();
        new Trainer(trained, Options()).TrainEpoch(Train, null);
        new Trainer(trained, Options()).TrainEpoch(Train, null);
        NetworkPersistence.Save(trained, model, overwrite: false);
        byte[] kept = File.ReadAllBytes(model);
        var fresh = NewNetwork();
        var e = Assert.Throws<MnistToolsException>(() => Run(fresh, model).Run());
        Assert.Equal(ErrorIds.CheckpointOfOtherNetwork, e.ErrorId);
        Assert.Equal(FailureKind.AlreadyExists, e.Kind);
        Assert.Equal(model, e.Target);
        Assert.Contains("2 epoch(s) trained", e.Message);
        Assert.Contains("-Force", e.Message);
        Assert.Equal(kept, File.ReadAllBytes(model));
        Assert.Equal(0, fresh.EpochsTrained);

        // The network imported from that file continues it: the file holds its present state, nothing is lost.
        Network resumed = NetworkPersistence.Load(model);
        Run(resumed, model).Run().ToArray();
        Assert.Equal(3, NetworkPersistence.Load(model).EpochsTrained);

        // A checkpoint of a run, and another run of a new network of the same layers and seed: refused.
        string checkpoint = folder.File("checkpoint.safetensors");
        var first = NewNetwork();
        Run(first, checkpoint, epochs: 2).Run().ToArray();
        kept = File.ReadAllBytes(checkpoint);
        e = Assert.Throws<MnistToolsException>(() => Run(NewNetwork(), checkpoint).Run());
        Assert.Equal(ErrorIds.CheckpointOfOtherNetwork, e.ErrorId);
        Assert.Contains("checkpoint of another run", e.Message);
        Assert.Equal(kept, File.ReadAllBytes(checkpoint));

        // The run's own network, even after it moved on (a stopped call), and a network imported from the checkpoint replace it.
        new Trainer(first, Options()).TrainEpoch(Train, null);
        Run(first, checkpoint).Run().ToArray();
        Assert.Equal(4, NetworkPersistence.Load(checkpoint).EpochsTrained);
        Network imported = NetworkPersistence.Load(checkpoint);
        new Trainer(imported, Options()).TrainEpoch(Train, null);
        Run(imported, checkpoint).Run().ToArray();
        Assert.Equal(6, NetworkPersistence.Load(checkpoint).EpochsTrained);

        // Save-Network never writes the run's identity: a model saved from the run's network is not its checkpoint.
        NetworkPersistence.Save(imported, model, overwrite: true);
        Assert.Null(NetworkFileReader.Read(model).CheckpointRun);
        Assert.NotNull(NetworkFileReader.Read(checkpoint).CheckpointRun);

        // -Force replaces anything.
        var forced = NewNetwork(seed: 3);
        Run(forced, checkpoint, force: true).Run().ToArray();
        Assert.Equal(1, NetworkPersistence.Load(checkpoint).EpochsTrained);
    }

    [Fact]
    public void AFileAtTheLastEpochCountImportsButTrainingItIsRefusedClearly()
    {
        using var folder = new TempFolder();
        string path = folder.File("old.safetensors");
        var network = NewNetwork();
        network.EpochsTrained = int.MaxValue;
        NetworkPersistence.Save(network, path, overwrite: false);
        Network imported = NetworkPersistence.Load(path);
        Assert.Equal(int.MaxValue, imported.EpochsTrained);
        float[] before = imported.GetParameters();

        var e = Assert.Throws<MnistToolsException>(() => new TrainingRun(new Trainer(imported, Options()), Train, 1).Run());
        Assert.Equal(ErrorIds.EpochsOutOfRange, e.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, e.Kind);
        Assert.Equal("Epochs", e.Target);
        Assert.Contains("2,147,483,647", e.Message);
        e = Assert.Throws<MnistToolsException>(() => new Trainer(imported, Options()).TrainEpoch(Train));
        Assert.Equal(ErrorIds.EpochsOutOfRange, e.ErrorId);
        Assert.Equal(int.MaxValue, imported.EpochsTrained);
        Assert.Equal(before, imported.GetParameters());

        // One short of it: one more epoch fits, two do not.
        imported.EpochsTrained = int.MaxValue - 1;
        Assert.Throws<MnistToolsException>(() => new TrainingRun(new Trainer(imported, Options()), Train, 2).Run());
        Assert.Equal(int.MaxValue, new TrainingRun(new Trainer(imported, Options()), Train, 1).Run().Single().Epoch);
    }

    [Fact]
    public void TheFirstCheckpointIsWrittenBeforeTheFirstEpoch()
    {
        using var folder = new TempFolder();
        string path = folder.File("c.safetensors");
        var network = NewNetwork();
        IEnumerable<TrainingEpoch> epochs = new TrainingRun(new Trainer(network, Options(LearningRateSchedule.Cosine)), Train, 3) { CheckpointPath = path }.Run();
        Network start = NetworkPersistence.Load(path);
        Assert.Equal(0, start.EpochsTrained);
        Assert.Equal(network.GetParameters(), start.GetParameters());
        Assert.Equal(3, start.RunState!.SpanEpochs);
        Assert.Equal(0, start.RunState.EpochsDone);
        Assert.Equal(3, epochs.Count());
    }
}
