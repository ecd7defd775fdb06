using MnistTools.Errors;
using MnistTools.Layers;
using MnistTools.Persistence;
using MnistTools.Tests.Training;
using MnistTools.Training;

namespace MnistTools.Tests.Persistence;

/// <summary>A network as its file's bytes (what crosses a process boundary): the bytes Save writes, a bit-exact way back, and the size bound.</summary>
public class NetworkTransferTests
{
    private static Network Trained(Optimizer optimizer)
    {
        var network = new Network(new[] { 784, 12, 3 }, Activation.ReLU, Activation.Softmax, Loss.CrossEntropy, Initializer.Default, seed: 3);
        new Trainer(network, new TrainingOptions { Optimizer = optimizer, BatchSize = 20 }).TrainEpoch(SyntheticData.Images(100));
        network.Metadata["Note"] = "transfer";
        return network;
    }

    [Theory]
    [InlineData(Optimizer.Sgd)]
    [InlineData(Optimizer.Momentum)]
    [InlineData(Optimizer.Adam)]
    public void BytesAreTheSavedFileAndComeBackBitExact(Optimizer optimizer)
    {
        Network network = Trained(optimizer);
        using var folder = new TempFolder();
        string path = folder.File("net.safetensors");
        NetworkPersistence.Save(network, path, overwrite: false);

        byte[] bytes = NetworkTransfer.ToBytes(network);
        Assert.Equal(File.ReadAllBytes(path), bytes);
        Network copy = NetworkTransfer.FromBytes(bytes, "test");
        Assert.Equal(bytes, NetworkTransfer.ToBytes(copy));
        Assert.Equal(network.EpochsTrained, copy.EpochsTrained);
        Assert.Equal("transfer", copy.Metadata["Note"]);
        SnapshotFactory.AssertSameOptimizerState(network.OptimizerState, copy.OptimizerState);
    }

    [Fact]
    public void TensorBytesCountParametersAndOptimizerBuffers()
    {
        Network network = Trained(Optimizer.Adam);
        Assert.Equal(3L * network.ParameterCount * sizeof(float), NetworkTransfer.TensorBytes(network));
        Assert.True(NetworkTransfer.ToBytes(network).LongLength > NetworkTransfer.TensorBytes(network));
    }

    [Fact]
    public void RefusesBeyondTheLimitOnBothSides()
    {
        Network network = Trained(Optimizer.Sgd);
        long tensors = NetworkTransfer.TensorBytes(network);
        byte[] bytes = NetworkTransfer.ToBytes(network);

        // Below the tensors' size: refused before the file is built; between the tensors and the whole file: refused after.
        foreach (long limit in new[] { tensors - 1, bytes.LongLength - 1 })
        {
            var sending = Assert.Throws<MnistToolsException>(() => NetworkTransfer.ToBytes(network, limit));
            Assert.Equal(ErrorIds.NetworkTooLargeToSerialize, sending.ErrorId);
            Assert.Equal(FailureKind.InvalidArgument, sending.Kind);
            Assert.Contains("Save-Network", sending.Message);
        }
        Assert.Equal(bytes, NetworkTransfer.ToBytes(network, bytes.LongLength));

        var receiving = Assert.Throws<MnistToolsException>(() => NetworkTransfer.FromBytes(bytes, "the test's bytes", bytes.LongLength - 1));
        Assert.Equal(ErrorIds.NetworkTooLargeToSerialize, receiving.ErrorId);
        Assert.Equal(FailureKind.InvalidData, receiving.Kind);
        Assert.Equal("the test's bytes", receiving.Target);
    }

    [Fact]
    public void DamagedBytesGiveTheFileReadersErrors()
    {
        byte[] bytes = NetworkTransfer.ToBytes(Trained(Optimizer.Sgd));
        var error = Assert.Throws<MnistToolsException>(() => NetworkTransfer.FromBytes(bytes[..^8], "cut"));
        Assert.Equal(ErrorIds.NetworkFileTruncated, error.ErrorId);
        Assert.Equal(FailureKind.InvalidData, error.Kind);
    }
}
