using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using System.Text;
using MnistTools.Errors;
using MnistTools.Persistence;

namespace MnistTools.Tests.Persistence;

public class NetworkFileRoundTripTests
{
    [Theory]
    [InlineData(null)]
    [InlineData(Optimizer.Sgd)]
    [InlineData(Optimizer.Momentum)]
    [InlineData(Optimizer.Adam)]
    public void RoundTripIsBitExact(Optimizer? optimizer)
    {
        using var folder = new TempFolder();
        string path = folder.File("net.safetensors");
        NetworkSnapshot original = SnapshotFactory.Create(new[] { 784, 20, 16, 10 }, optimizer);

        NetworkFileWriter.Write(path, original, overwrite: false);
        NetworkSnapshot read = NetworkFileReader.Read(path);

        SnapshotFactory.AssertSameSnapshot(original, read);
        Assert.Empty(folder.Others("net.safetensors"));
    }

    [Fact]
    public void SameSnapshotGivesTheSameBytes()
    {
        NetworkSnapshot snapshot = SnapshotFactory.Create(new[] { 5, 4, 3 });
        Assert.Equal(NetworkFileWriter.ToBytes(snapshot), NetworkFileWriter.ToBytes(SnapshotFactory.Create(new[] { 5, 4, 3 })));
    }

    [Fact]
    public void FileIsASafetensorsLayoutOfTheFlatBuffers()
    {
        NetworkSnapshot snapshot = SnapshotFactory.Create(new[] { 6, 5, 3 }, Optimizer.Momentum);
        byte[] bytes = NetworkFileWriter.ToBytes(snapshot);

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, (8 + headerLength) % 8);                      // tensors start 8-aligned
        JsonObject header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLength))!.AsObject();
        JsonObject metadata = header["__metadata__"]!.AsObject();
        Assert.Equal("mnisttools.network", (string?)metadata["format"]);
        Assert.Equal("2", (string?)metadata["format_version"]);
        Assert.Equal("6", (string?)metadata["input_shape"]);
        Assert.Equal("Dense 5 LeakyReLU, Dense 3 Softmax", (string?)metadata["layers"]);
        Assert.Equal("Momentum", (string?)metadata["optimizer"]);
        Assert.Equal("600", (string?)metadata["optimizer.step"]);
        Assert.Equal("mnist-train", (string?)metadata["user.DataSet"]);
        Assert.All(metadata, entry => Assert.Equal(System.Text.Json.JsonValueKind.String, entry.Value!.GetValueKind()));

        // layers.0.weight [5, 6]: 30 floats at the start of the data; layers.0.bias [5], layers.1.weight [3, 5], layers.1.bias [3]: 53 floats.
        Assert.Equal("[5,6]", header["layers.0.weight"]!["shape"]!.ToJsonString());
        Assert.Equal("[0,120]", header["layers.0.weight"]!["data_offsets"]!.ToJsonString());
        Assert.Equal("[3]", header["layers.1.bias"]!["shape"]!.ToJsonString());
        Assert.Equal("[200,212]", header["layers.1.bias"]!["data_offsets"]!.ToJsonString());
        Assert.Equal("[212,332]", header["optimizer.velocity.layers.0.weight"]!["data_offsets"]!.ToJsonString());
        Assert.Equal("F32", (string?)header["layers.1.bias"]!["dtype"]);

        // The data region is the flat parameter buffer, then the velocity, little-endian.
        ReadOnlySpan<byte> data = bytes.AsSpan(8 + (int)headerLength);
        Assert.Equal(2 * 53 * 4, data.Length);
        for (int i = 0; i < 53; i++)
        {
            Assert.Equal(BitConverter.SingleToInt32Bits(snapshot.Parameters[i]), BinaryPrimitives.ReadInt32LittleEndian(data.Slice(4 * i)));
            Assert.Equal(BitConverter.SingleToInt32Bits(snapshot.Optimizer!.Velocity![i]), BinaryPrimitives.ReadInt32LittleEndian(data.Slice(4 * (53 + i))));
        }
    }

    [Fact]
    public void ExistingFileWithoutOverwriteIsRefusedAndKept()
    {
        using var folder = new TempFolder();
        string path = folder.File("net.safetensors");
        File.WriteAllText(path, "precious");
        var e = Assert.Throws<MnistToolsException>(() => NetworkFileWriter.Write(path, SnapshotFactory.Create(new[] { 4, 3 }), overwrite: false));
        Assert.Equal("FileExists", e.ErrorId);
        Assert.Equal(path, e.Target);
        Assert.Equal("precious", File.ReadAllText(path));
        Assert.Empty(folder.Others("net.safetensors"));
    }

    [Fact]
    public void OverwriteReplacesTheFile()
    {
        using var folder = new TempFolder();
        string path = folder.File("net.safetensors");
        File.WriteAllText(path, "old");
        NetworkSnapshot snapshot = SnapshotFactory.Create(new[] { 4, 3 });
        NetworkFileWriter.Write(path, snapshot, overwrite: true);
        Assert.Equal(NetworkFileWriter.ToBytes(snapshot), File.ReadAllBytes(path));
    }

    [Fact]
    public void InconsistentSnapshotIsRefusedBeforeWriting()
    {
        using var folder = new TempFolder();
        string path = folder.File("net.safetensors");
        var bad = new NetworkSnapshot { LayerSizes = new[] { 4, 3 }, Parameters = new float[14] };
        var e = Assert.Throws<MnistToolsException>(() => NetworkFileWriter.Write(path, bad, overwrite: false));
        Assert.Equal("NetworkSnapshotInvalid", e.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, e.Kind);
        Assert.Empty(Directory.GetFiles(folder.Path));
    }

    [Fact]
    public void MissingFolderAndFileAreNotFound()
    {
        using var folder = new TempFolder();
        var write = Assert.Throws<MnistToolsException>(() => NetworkFileWriter.Write(folder.File("no/such/net.safetensors"), SnapshotFactory.Create(new[] { 4, 3 }), false));
        Assert.Equal(FailureKind.NotFound, write.Kind);
        var read = Assert.Throws<MnistToolsException>(() => NetworkFileReader.Read(folder.File("absent.safetensors")));
        Assert.Equal("NetworkFileNotFound", read.ErrorId);
        Assert.Equal(FailureKind.NotFound, read.Kind);
    }
}
