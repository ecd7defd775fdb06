using System.Buffers.Binary;
using System.Text.Json.Nodes;
using System.Text;
using MnistTools.Errors;
using MnistTools.Persistence;

namespace MnistTools.Tests.Persistence;

/// <summary>Every damaged or foreign file is refused with InvalidData, a specific id and the path as target.</summary>
public class NetworkFileMalformedTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static byte[] Valid() => NetworkFileWriter.ToBytes(SnapshotFactory.Create(new[] { 6, 5, 3 }, Optimizer.Adam));

    /// <summary>Splits a valid file into its parsed header and its data region.</summary>
    private static (JsonObject Header, byte[] Data) Split(byte[] file)
    {
        int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        return (JsonNode.Parse(Encoding.UTF8.GetString(file, 8, length))!.AsObject(), file[(8 + length)..]);
    }

    /// <summary>A file from a header text and a data region, with a correct length prefix.</summary>
    private static byte[] Compose(string header, byte[] data)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        byte[] file = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)json.Length);
        json.CopyTo(file, 8);
        data.CopyTo(file, 8 + json.Length);
        return file;
    }

    private static byte[] Edit(Action<JsonObject> edit, Func<byte[], byte[]>? data = null)
    {
        (JsonObject header, byte[] bytes) = Split(Valid());
        edit(header);
        return Compose(header.ToJsonString(), data is null ? bytes : data(bytes));
    }

    private MnistToolsException Refused(byte[] content, string expectedId, params string[] messageParts)
    {
        string path = _folder.File("bad.safetensors");
        File.WriteAllBytes(path, content);
        var e = Assert.Throws<MnistToolsException>(() => NetworkFileReader.Read(path));
        Assert.Equal(FailureKind.InvalidData, e.Kind);
        Assert.Equal(expectedId, e.ErrorId);
        Assert.Equal(path, e.Target);
        Assert.Contains(path, e.Message);
        foreach (string part in messageParts) Assert.Contains(part, e.Message);
        return e;
    }

    [Fact]
    public void ValidFileReads()
    {
        NetworkSnapshot snapshot = NetworkFileReader.Read(new MemoryStream(Valid()), "memory");
        Assert.Equal(new[] { 6 }, snapshot.InputShape);
        Assert.Equal(new[] { "Dense 5 LeakyReLU", "Dense 3 Softmax" }, snapshot.Layers!.Select(layer => layer.ToString()));
    }

    [Fact]
    public void RandomBytesAreRefused()
    {
        byte[] garbage = new byte[4096];
        new Random(3).NextBytes(garbage);
        garbage[7] = 0x80; // make sure the "header length" is absurd
        Refused(garbage, ErrorIds.NetworkFileBadHeader, "not a MnistTools network file");
    }

    [Fact]
    public void TextFileIsRefused() => Refused(Encoding.UTF8.GetBytes("784,20,16,10\nthis is not a network\n"), ErrorIds.NetworkFileBadHeader);

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    public void FileShorterThanTheLengthPrefixIsRefused(int length) => Refused(new byte[length], ErrorIds.NetworkFileBadHeader, $"{length} bytes long");

    [Theory]
    [InlineData(ulong.MaxValue)]
    [InlineData(1UL << 63)]
    [InlineData(100_000_001UL)]
    public void OverflowingHeaderLengthIsRefused(ulong length)
    {
        byte[] file = Valid();
        BinaryPrimitives.WriteUInt64LittleEndian(file, length);
        Refused(file, ErrorIds.NetworkFileBadHeader, length.ToString());
    }

    [Fact]
    public void HeaderLengthBeyondTheFileIsRefused()
    {
        byte[] file = Valid();
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)file.Length);
        Refused(file, ErrorIds.NetworkFileTruncated);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    public void TruncatedDataIsRefused(int cut) => Refused(Valid()[..^cut], ErrorIds.NetworkFileTruncated, "truncated");

    [Fact]
    public void FileCutInsideTheHeaderIsRefused() => Refused(Valid()[..40], ErrorIds.NetworkFileTruncated);

    [Fact]
    public void TrailingBytesAreRefused() => Refused([.. Valid(), 0, 0, 0, 0], ErrorIds.NetworkFileBadTensor, "after its last tensor");

    [Theory]
    [InlineData("{\"__metadata__\": {\"format\": \"mnisttools.network\",")]
    [InlineData("{\"__metadata__\" \"x\"}")]
    [InlineData("{ } trailing")]
    [InlineData("[1, 2, 3]")]
    public void UnparseableHeaderIsRefused(string header) => Refused(Compose(header, Array.Empty<byte>()), ErrorIds.NetworkFileBadHeader);

    [Fact]
    public void InvalidUtf8HeaderIsRefused()
    {
        byte[] header = [.. Encoding.UTF8.GetBytes("{\"a\":\""), 0xFF, 0xFE, (byte)'"', (byte)'}'];
        byte[] file = new byte[8 + header.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)header.Length);
        header.CopyTo(file, 8);
        Refused(file, ErrorIds.NetworkFileBadHeader, "not valid JSON");
    }

    [Fact]
    public void FutureVersionIsRefusedNamingBothVersions()
    {
        var e = Refused(Edit(h => h["__metadata__"]!["format_version"] = "3"), ErrorIds.NetworkFileVersionUnsupported, "version 3", "reads version 2");
        Assert.Contains("Update MnistTools", e.Message);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("one")]
    [InlineData("-1")]
    public void NonsenseVersionIsRefused(string version) => Refused(Edit(h => h["__metadata__"]!["format_version"] = version), ErrorIds.NetworkFileBadHeader, "format_version");

    [Fact]
    public void OtherSafetensorsFileIsNotANetwork() => Refused(Edit(h => h["__metadata__"] = new JsonObject { ["format"] = "pt" }), ErrorIds.NetworkFileNotNetwork, "'pt'");

    [Fact]
    public void SafetensorsFileWithoutMetadataIsNotANetwork() => Refused(Edit(h => h.Remove("__metadata__")), ErrorIds.NetworkFileNotNetwork);

    [Fact]
    public void NonStringMetadataIsRefused() => Refused(Edit(h => h["__metadata__"]!["seed"] = 5), ErrorIds.NetworkFileBadHeader, "seed");

    [Theory]
    [InlineData("layers", "Dense 5 Swish, Dense 3 Softmax")]
    [InlineData("layers", "Dense 5 LeakyReLU, Dense 3 ReLU")]
    [InlineData("layers", "Dense 0 LeakyReLU, Dense 3 Softmax")]
    [InlineData("layers", "")]
    [InlineData("layers", "Conv2d 4 3, Dense 3 Softmax")]
    [InlineData("input_shape", "6,0")]
    [InlineData("input_shape", "6,,3")]
    [InlineData("input_shape", "1,2,3,1")]
    [InlineData("loss", "quadratic")]
    [InlineData("epochs_trained", "-1")]
    [InlineData("seed", "99999999999")]
    [InlineData("optimizer", "Lion")]
    [InlineData("optimizer.beta1", "x")]
    public void InvalidArchitectureValuesAreRefused(string key, string value) =>
        Refused(Edit(h => h["__metadata__"]![key] = value), ErrorIds.NetworkFileBadHeader, key);

    [Theory]
    [InlineData("optimizer.beta1", "2", "[0, 1)")]
    [InlineData("optimizer.beta1", "1", "[0, 1)")]
    [InlineData("optimizer.beta1", "-0.1", "[0, 1)")]
    [InlineData("optimizer.beta2", "NaN", "[0, 1)")]
    [InlineData("optimizer.momentum", "1.5", "[0, 1)")]
    [InlineData("optimizer.epsilon", "0", "> 0")]
    [InlineData("optimizer.epsilon", "-1E-08", "> 0")]
    [InlineData("optimizer.epsilon", "Infinity", "> 0")]
    [InlineData("optimizer.weight_decay", "-1", ">= 0")]
    [InlineData("optimizer.weight_decay", "NaN", ">= 0")]
    public void OptimizerHyperParametersOutOfRangeAreRefused(string key, string value, string range) =>
        Refused(Edit(h => h["__metadata__"]![key] = value), ErrorIds.NetworkFileBadHeader, $"{key} '{value}'", range);

    [Fact]
    public void AHugeOrControlCharacterValueIsQuotedShortAndEscaped()
    {
        var e = Refused(Edit(h => h["__metadata__"]!["layers"] = "Dense 5 " + new string('x', 150_000) + ", Dense 3 Softmax"), ErrorIds.NetworkFileBadHeader, "layers");
        Assert.InRange(e.Message.Length, 100, 2000);
        e = Refused(Edit(h => h["__metadata__"]!["loss"] = "Cross\0Entropy\u001B[2J"), ErrorIds.NetworkFileBadHeader, "Cross\\0Entropy\\e[2J");
        Assert.DoesNotContain('\0', e.Message);
        Assert.DoesNotContain('\u001B', e.Message);
    }

    [Fact]
    public void MissingArchitectureEntryIsRefused() =>
        Refused(Edit(h => h["__metadata__"]!.AsObject().Remove("layers")), ErrorIds.NetworkFileBadHeader, "layers");

    [Fact]
    public void ShapeDisagreeingWithTheArchitectureIsRefused() =>
        Refused(Edit(h => h["layers.0.weight"]!["shape"] = new JsonArray(6, 5)), ErrorIds.NetworkFileBadTensor, "layers.0.weight", "[6, 5]", "[5, 6]");

    [Fact]
    public void ArchitectureDisagreeingWithTheTensorsIsRefused() =>
        Refused(Edit(h => h["__metadata__"]!["layers"] = "Dense 4 LeakyReLU, Dense 3 Softmax"), ErrorIds.NetworkFileBadTensor, "Dense 4 LeakyReLU");

    /// <summary>A version 1 file: the dense architecture as layer_sizes and two activations (the tensors are named alike).</summary>
    private static byte[] VersionOne(Action<JsonObject>? edit = null) => Edit(h =>
    {
        JsonObject metadata = h["__metadata__"]!.AsObject();
        metadata["format_version"] = "1";
        metadata.Remove("input_shape");
        metadata.Remove("layers");
        metadata["layer_sizes"] = "6,5,3";
        metadata["activation"] = "LeakyReLU";
        metadata["output_activation"] = "Softmax";
        edit?.Invoke(h);
    });

    [Fact]
    public void VersionOneFilesStillRead()
    {
        string path = _folder.File("v1.safetensors");
        File.WriteAllBytes(path, VersionOne());
        NetworkSnapshot expected = SnapshotFactory.Create(new[] { 6, 5, 3 }, Optimizer.Adam);
        NetworkSnapshot actual = NetworkFileReader.Read(path);
        SnapshotFactory.AssertSameSnapshot(expected, actual);
        Assert.Equal(new[] { 6, 5, 3 }, actual.LayerSizes);
        Network network = NetworkPersistence.FromSnapshot(actual, path);
        Assert.Equal("6-5-3 LeakyReLU/Softmax CrossEntropy, 53 parameters", network.Description);
    }

    [Theory]
    [InlineData("activation", "Swish")]
    [InlineData("activation", "2")]
    [InlineData("layer_sizes", "6,0,3")]
    [InlineData("layer_sizes", "6,,3")]
    [InlineData("layer_sizes", "6")]
    public void InvalidVersionOneValuesAreRefused(string key, string value) =>
        Refused(VersionOne(h => h["__metadata__"]![key] = value), ErrorIds.NetworkFileBadHeader, key);

    [Fact]
    public void VersionOneArchitectureDisagreeingWithTheTensorsIsRefused() =>
        Refused(VersionOne(h => h["__metadata__"]!["layer_sizes"] = "6,4,3"), ErrorIds.NetworkFileBadTensor, "Dense 4 LeakyReLU");

    [Fact]
    public void HugeShapeIsRefused() =>
        Refused(Edit(h => h["layers.0.weight"]!["shape"] = new JsonArray(1L << 40, 1L << 40)), ErrorIds.NetworkFileBadTensor);

    [Fact]
    public void ShapeBeyondInt64IsRefused() =>
        Refused(Compose(Split(Valid()).Header.ToJsonString().Replace("\"shape\":[5,6]", "\"shape\":[99999999999999999999999,6]"), Split(Valid()).Data), ErrorIds.NetworkFileBadTensor, "99999999999999999999999");

    [Fact]
    public void OtherDtypeIsRefused() => Refused(Edit(h => h["layers.0.bias"]!["dtype"] = "F16"), ErrorIds.NetworkFileBadTensor, "F16");

    [Fact]
    public void MissingTensorIsRefused() => Refused(Edit(h => h.Remove("layers.1.bias")), ErrorIds.NetworkFileBadTensor, "layers.1.bias");

    [Fact]
    public void UnknownTensorIsRefused() =>
        Refused(Edit(h => h["layers.7.weight"] = new JsonObject { ["dtype"] = "F32", ["shape"] = new JsonArray(0), ["data_offsets"] = new JsonArray(0, 0) }),
            ErrorIds.NetworkFileBadTensor, "layers.7.weight");

    [Fact]
    public void IncompleteOptimizerBufferIsRefused() =>
        Refused(Edit(h => h.Remove("optimizer.first_moment.layers.1.weight")), ErrorIds.NetworkFileBadTensor, "optimizer.first_moment.layers.1.weight");

    [Fact]
    public void OverlappingOffsetsAreRefused() =>
        // layers.0.bias [5] normally at [120,140]; moved to overlap the weights (same size, so only the overlap is wrong).
        Refused(Edit(h => h["layers.0.bias"]!["data_offsets"] = new JsonArray(100, 120)), ErrorIds.NetworkFileBadTensor, "overlap");

    [Fact]
    public void OffsetsOutsideTheDataAreRefused()
    {
        // The last tensor pushed past the end of the data (its old place left as a gap, the file length unchanged).
        (JsonObject header, byte[] data) = Split(Valid());
        string last = header.Where(p => p.Key != "__metadata__").MaxBy(p => (long)p.Value!["data_offsets"]![1]!).Key;
        long end = (long)header[last]!["data_offsets"]![1]!, size = end - (long)header[last]!["data_offsets"]![0]!;
        header[last]!["data_offsets"] = new JsonArray(end, end + size);
        Refused(Compose(header.ToJsonString(), data), ErrorIds.NetworkFileBadTensor, "gaps");
        Refused(Compose(header.ToJsonString(), [.. data, .. new byte[size]]), ErrorIds.NetworkFileBadTensor, "gaps");
    }

    [Fact]
    public void OffsetsTooLongForTheShapeAreRefused() =>
        Refused(Edit(h => h["layers.0.bias"]!["data_offsets"] = new JsonArray(120, 144)), ErrorIds.NetworkFileBadTensor, "spans 24 bytes");

    [Fact]
    public void ReversedOffsetsAreRefused() =>
        Refused(Edit(h => h["layers.0.bias"]!["data_offsets"] = new JsonArray(140, 120)), ErrorIds.NetworkFileBadTensor, "begin <= end");

    [Fact]
    public void OffsetBeyondInt64RangeIsRefused() =>
        Refused(Edit(h => h["layers.0.bias"]!["data_offsets"] = new JsonArray(120, long.MaxValue)), ErrorIds.NetworkFileBadTensor);

    [Fact]
    public void DuplicateTensorIsRefused()
    {
        (JsonObject header, byte[] data) = Split(Valid());
        string json = header.ToJsonString();
        string entry = "\"layers.0.bias\":" + header["layers.0.bias"]!.ToJsonString();
        Refused(Compose(json.Replace(entry, entry + "," + entry), data), ErrorIds.NetworkFileBadHeader, "twice");
    }

    [Fact]
    public void OptimizerTensorsWithoutOptimizerAreRefused() =>
        Refused(Edit(h => h["__metadata__"]!["optimizer"] = "None"), ErrorIds.NetworkFileBadTensor, "optimizer");
}
