using System.Buffers.Binary;
using System.Text.Json.Nodes;
using System.Text;
using MnistTools.Errors;
using MnistTools.Persistence;
using MnistTools.Training;

namespace MnistTools.Tests.Persistence;

/// <summary>The network file with AdamW state and an unfinished run (schedule state, early stopping's best epoch).</summary>
public class TrainingRunFileTests
{
    private static readonly int[] Sizes = { 6, 5, 3 };

    private static NetworkSnapshot WithRun(bool best)
    {
        NetworkSnapshot plain = SnapshotFactory.Create(Sizes, Optimizer.Adam);
        int count = plain.Parameters.Length;
        OptimizerState optimizer = plain.Optimizer!.Clone();
        optimizer.Kind = Optimizer.AdamW;
        optimizer.WeightDecay = 0.0125f;
        var run = new TrainingRunState
        {
            Schedule = new LearningRateScheduleOptions { Kind = LearningRateSchedule.Plateau, StepEpochs = 3, StepFactor = 0.3, MinLearningRate = 1e-5,
                WarmupFraction = 0.25, PlateauPatience = 4, PlateauFactor = 0.2 },
            BaseLearningRate = 0.001f,
            Augmentation = Augmentation.Elastic,
            SpanEpochs = 9,
            StepsPerEpoch = 938,
            EpochsDone = 4,
            PlateauLearningRate = 0.1 / 3,           // not a short decimal: the text must round-trip the bits
            PlateauBestLoss = 0.07123456789012345,
            PlateauWait = 2,
            EarlyStoppingPatience = best ? 3 : 0,
            BestLoss = best ? 0.0698765432109876 : double.PositiveInfinity,
            BestEpoch = best ? 2 : 0,
            EpochsSinceBest = best ? 2 : 0,
        };
        if (best)
        {
            run.BestParameters = SnapshotFactory.RandomBuffer(count, 31).Select(x => float.IsFinite(x) ? x : 1f).ToArray();
            run.BestOptimizerState = optimizer.Clone();
            run.BestOptimizerState.Step = 1876;
            run.BestOptimizerState.FirstMoment = SnapshotFactory.RandomBuffer(count, 32);
            run.BestOptimizerState.SecondMoment = SnapshotFactory.RandomBuffer(count, 33);
        }
        return new NetworkSnapshot
        {
            LayerSizes = plain.LayerSizes, Activation = plain.Activation, OutputActivation = plain.OutputActivation, Loss = plain.Loss,
            Initializer = plain.Initializer, Seed = plain.Seed, EpochsTrained = plain.EpochsTrained, Parameters = plain.Parameters,
            Optimizer = optimizer, Run = run, Metadata = plain.Metadata,
        };
    }

    private static void AssertSameRun(TrainingRunState expected, TrainingRunState? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Schedule, actual!.Schedule);
        Assert.Equal(expected.Augmentation, actual.Augmentation);
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected.BaseLearningRate), BitConverter.DoubleToInt64Bits(actual.BaseLearningRate));
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected.PlateauLearningRate), BitConverter.DoubleToInt64Bits(actual.PlateauLearningRate));
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected.PlateauBestLoss), BitConverter.DoubleToInt64Bits(actual.PlateauBestLoss));
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected.BestLoss), BitConverter.DoubleToInt64Bits(actual.BestLoss));
        Assert.Equal((expected.SpanEpochs, expected.StepsPerEpoch, expected.EpochsDone, expected.PlateauWait, expected.EarlyStoppingPatience, expected.BestEpoch, expected.EpochsSinceBest),
            (actual.SpanEpochs, actual.StepsPerEpoch, actual.EpochsDone, actual.PlateauWait, actual.EarlyStoppingPatience, actual.BestEpoch, actual.EpochsSinceBest));
        SnapshotFactory.AssertBitsEqual(expected.BestParameters, actual.BestParameters);
        SnapshotFactory.AssertSameOptimizerState(expected.BestOptimizerState, actual.BestOptimizerState);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AdamWAndTheRunStateRoundTripBitForBit(bool best)
    {
        using var folder = new TempFolder();
        string path = folder.File("run.safetensors");
        NetworkSnapshot original = WithRun(best);
        NetworkFileWriter.Write(path, original, overwrite: false);
        NetworkSnapshot read = NetworkFileReader.Read(path);
        SnapshotFactory.AssertSameSnapshot(original, read);
        AssertSameRun(original.Run!, read.Run);

        // Through the Network too (Import-Network's path).
        Network network = NetworkPersistence.FromSnapshot(read, path);
        AssertSameRun(original.Run!, network.RunState);
        Assert.Equal(Optimizer.AdamW, network.OptimizerState!.Kind);
        Assert.Equal(0.0125f, network.OptimizerState.WeightDecay);
    }

    [Fact]
    public void TheFileNamesTheRunStateAndTheBestEpochsTensors()
    {
        byte[] bytes = NetworkFileWriter.ToBytes(WithRun(best: true));
        int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        JsonObject header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, length))!.AsObject();
        JsonObject metadata = header["__metadata__"]!.AsObject();
        Assert.Equal("AdamW", (string?)metadata["optimizer"]);
        Assert.Equal("0.0125", (string?)metadata["optimizer.weight_decay"]);
        Assert.Equal("Plateau", (string?)metadata["run.schedule"]);
        Assert.Equal("4", (string?)metadata["run.epochs_done"]);
        Assert.Equal("9", (string?)metadata["run.span_epochs"]);
        Assert.Equal("Elastic", (string?)metadata["run.augmentation"]);
        Assert.Equal("1876", (string?)metadata["run.best.optimizer_step"]);
        Assert.Equal("[5,6]", header["run.best.layers.0.weight"]!["shape"]!.ToJsonString());
        Assert.NotNull(header["run.best.optimizer.second_moment.layers.1.bias"]);
        Assert.Equal("Infinity", (string?)JsonNode.Parse(Encoding.UTF8.GetString(NetworkFileWriter.ToBytes(WithRun(false)), 8,
            (int)BinaryPrimitives.ReadUInt64LittleEndian(NetworkFileWriter.ToBytes(WithRun(false)))))!["__metadata__"]!["run.early_stopping.best_loss"]);
    }

    /// <summary>A checkpoint written before the run state named its augmentation reads as a run without one.</summary>
    [Fact]
    public void ARunStateWithoutItsAugmentationReadsAsNone()
    {
        byte[] bytes = EditHeader(NetworkFileWriter.ToBytes(WithRun(best: false)), header => header["__metadata__"]!.AsObject().Remove("run.augmentation"));
        using var folder = new TempFolder();
        string path = folder.File("old.safetensors");
        File.WriteAllBytes(path, bytes);
        Assert.Equal(Augmentation.None, NetworkFileReader.Read(path).Run!.Augmentation);
    }

    /// <summary>Rewrites the header of <paramref name="bytes"/> through <paramref name="edit"/>, keeping the data.</summary>
    private static byte[] EditHeader(byte[] bytes, Action<JsonObject> edit)
    {
        int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        JsonObject header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, length))!.AsObject();
        edit(header);
        byte[] json = Encoding.UTF8.GetBytes(header.ToJsonString());
        byte[] data = bytes[(8 + length)..];
        byte[] file = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)json.Length);
        json.CopyTo(file, 8);
        data.CopyTo(file, 8 + json.Length);
        return file;
    }

    [Fact]
    public void AFileFromBeforeAdamWStillImports()
    {
        // What older versions wrote: an Adam state without optimizer.weight_decay, no run state.
        NetworkSnapshot adam = SnapshotFactory.Create(Sizes, Optimizer.Adam);
        byte[] old = EditHeader(NetworkFileWriter.ToBytes(adam), h => h["__metadata__"]!.AsObject().Remove("optimizer.weight_decay"));
        using var folder = new TempFolder();
        string path = folder.File("old.safetensors");
        File.WriteAllBytes(path, old);
        NetworkSnapshot read = NetworkFileReader.Read(path);
        SnapshotFactory.AssertSameSnapshot(adam, read);
        Assert.Equal(0f, read.Optimizer!.WeightDecay);
        Assert.Null(read.Run);
    }

    [Theory]
    [InlineData("run.epochs_done", "10", ErrorIds.NetworkFileBadHeader, "EpochsDone")]
    [InlineData("run.schedule", "Linear", ErrorIds.NetworkFileBadHeader, "run.schedule")]
    [InlineData("run.schedule.plateau_factor", "1.5", ErrorIds.NetworkFileBadHeader, "PlateauFactor")]
    [InlineData("run.augmentation", "Wobble", ErrorIds.NetworkFileBadHeader, "run.augmentation")]
    [InlineData("run.augmentation", "7", ErrorIds.NetworkFileBadHeader, "run.augmentation")]
    [InlineData("run.base_learning_rate", "NaN", ErrorIds.NetworkFileBadHeader, "BaseLearningRate")]
    [InlineData("run.span_epochs", null, ErrorIds.NetworkFileBadHeader, "run.span_epochs")]
    [InlineData("run.schedule", null, ErrorIds.NetworkFileBadTensor, "run.best")]
    [InlineData("optimizer.weight_decay", "-1", ErrorIds.NetworkFileBadHeader, "optimizer.weight_decay '-1'; expected a finite number >= 0")]
    public void ABadRunStateIsRefused(string key, string? value, string expectedId, string inMessage)
    {
        byte[] bytes = EditHeader(NetworkFileWriter.ToBytes(WithRun(best: true)), h =>
        {
            JsonObject metadata = h["__metadata__"]!.AsObject();
            if (value is null) metadata.Remove(key);
            else metadata[key] = value;
        });
        using var folder = new TempFolder();
        string path = folder.File("bad.safetensors");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<MnistToolsException>(() => NetworkPersistence.Load(path));
        Assert.Equal(expectedId, e.ErrorId);
        Assert.Equal(FailureKind.InvalidData, e.Kind);
        Assert.Equal(path, e.Target);
        Assert.Contains(inMessage, e.Message);
    }
}
