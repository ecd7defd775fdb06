using MnistTools.Errors;
using MnistTools.Layers;
using MnistTools.Onnx;
using MnistTools.Persistence;

namespace MnistTools.Tests.Persistence;

/// <summary>
/// The core writers refuse a network that another thread is training (its weights change under the copy): saving,
/// exporting and snapshotting fail with NetworkInUse (Busy, target the network), write nothing and leave an existing
/// file as it was. The training thread itself may write it, and anyone may once training ends.
/// </summary>
public class TrainingOwnershipTests
{
    private static Network NewNetwork() =>
        new(new[] { 12, 5, 3 }, Activation.ReLU, Activation.Softmax, Loss.CrossEntropy, Initializer.Default, seed: 3);

    /// <summary>Holds the network's training claim on a thread of its own until disposed.</summary>
    private sealed class TrainingElsewhere : IDisposable
    {
        private readonly ManualResetEventSlim _claimed = new();
        private readonly ManualResetEventSlim _release = new();
        private readonly Thread _thread;
        private Exception? _failure;

        public TrainingElsewhere(Network network)
        {
            _thread = new Thread(() =>
            {
                try
                {
                    network.EnterTraining();
                    _claimed.Set();
                    _release.Wait();
                    network.ExitTraining();
                }
                catch (Exception e)
                {
                    _failure = e;
                    _claimed.Set();
                }
            }) { IsBackground = true };
            _thread.Start();
            Assert.True(_claimed.Wait(TimeSpan.FromSeconds(30)), "the training thread did not start");
            Assert.Null(_failure);
            Assert.True(network.IsTraining);
        }

        public void Dispose()
        {
            _release.Set();
            Assert.True(_thread.Join(TimeSpan.FromSeconds(30)), "the training thread did not end");
            Assert.Null(_failure);
        }
    }

    private static void AssertInUse(Network network, string verb, Action write)
    {
        var e = Assert.Throws<MnistToolsException>(write);
        Assert.Equal((ErrorIds.NetworkInUse, FailureKind.Busy), (e.ErrorId, e.Kind));
        Assert.Same(network, e.Target);
        Assert.Contains($"cannot be {verb} now", e.Message);
    }

    [Fact]
    public void SaveRefusesANetworkTrainedOnAnotherThreadAndKeepsTheOldFile()
    {
        using var folder = new TempFolder();
        string fresh = folder.File("fresh.safetensors"), existing = folder.File("existing.safetensors");
        File.WriteAllText(existing, "previous content");
        Network network = NewNetwork();

        using (new TrainingElsewhere(network))
        {
            AssertInUse(network, "saved", () => NetworkPersistence.Save(network, fresh, overwrite: false));
            AssertInUse(network, "saved", () => NetworkPersistence.Save(network, existing, overwrite: true));
            AssertInUse(network, "copied", () => NetworkPersistence.ToSnapshot(network));
        }

        Assert.False(File.Exists(fresh));
        Assert.Equal("previous content", File.ReadAllText(existing));
        Assert.Empty(folder.Others("existing.safetensors"));

        NetworkPersistence.Save(network, fresh, overwrite: false); // training over: the same call succeeds
        SnapshotFactory.AssertBitsEqual(network.GetParameters(), NetworkPersistence.Load(fresh).GetParameters());
    }

    [Fact]
    public void OnnxExportRefusesANetworkTrainedOnAnotherThreadAndKeepsTheOldFile()
    {
        using var folder = new TempFolder();
        string fresh = folder.File("fresh.onnx"), existing = folder.File("existing.onnx");
        File.WriteAllText(existing, "previous content");
        Network network = NewNetwork();

        using (new TrainingElsewhere(network))
        {
            AssertInUse(network, "exported", () => OnnxExporter.Write(fresh, network, overwrite: false));
            AssertInUse(network, "exported", () => OnnxExporter.Write(existing, network, overwrite: true));
            AssertInUse(network, "exported", () => OnnxExporter.ToBytes(network));
        }

        Assert.False(File.Exists(fresh));
        Assert.Equal("previous content", File.ReadAllText(existing));
        Assert.Empty(folder.Others("existing.onnx"));

        OnnxExporter.Write(fresh, network, overwrite: false);
        Assert.Equal(OnnxExporter.ToBytes(network), File.ReadAllBytes(fresh));
    }

    [Fact]
    public void TheTrainingThreadItselfMaySaveAndExport()
    {
        using var folder = new TempFolder();
        Network network = NewNetwork();
        network.EnterTraining();
        try
        {
            Assert.True(network.IsTraining);
            NetworkPersistence.Save(network, folder.File("mine.safetensors"), overwrite: false);
            OnnxExporter.Write(folder.File("mine.onnx"), network, overwrite: false);
        }
        finally
        {
            network.ExitTraining();
        }
        Assert.False(network.IsTraining);
        SnapshotFactory.AssertBitsEqual(network.GetParameters(), NetworkPersistence.Load(folder.File("mine.safetensors")).GetParameters());
        Assert.Equal(OnnxExporter.ToBytes(network), File.ReadAllBytes(folder.File("mine.onnx")));
    }
}
