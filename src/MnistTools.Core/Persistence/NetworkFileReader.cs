using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text;
using MnistTools.Errors;
using MnistTools.Files;
using MnistTools.Layers;

namespace MnistTools.Persistence;

/// <summary>
/// Reads network files (<see cref="NetworkFileFormat"/>). Everything the header claims is checked against the
/// architecture and the file's real length before any buffer is allocated. Every failure is a
/// <see cref="MnistToolsException"/> whose target is the path; content problems are InvalidData with these ids:
/// <c>NetworkFileBadHeader</c> (garbage, header length impossible, JSON unparseable or missing/invalid fields),
/// <c>NetworkFileNotNetwork</c> (a safetensors file of some other kind), <c>NetworkFileVersionUnsupported</c>,
/// <c>NetworkFileBadTensor</c> (dtype, shape, missing/unknown tensors, overlapping or stray offsets),
/// <c>NetworkFileTruncated</c> (shorter than its header says).
/// </summary>
public static class NetworkFileReader
{
    /// <summary>The buffers a file may hold besides the parameters: the optimizer's, then early stopping's best epoch's.</summary>
    private static readonly string[] OptionalBuffers = NetworkFileFormat.OptimizerBuffers
        .Concat(new[] { "" }.Concat(NetworkFileFormat.OptimizerBuffers).Select(prefix => NetworkFileFormat.BestPrefix + prefix)).ToArray();

    /// <summary>One tensor entry of the header.</summary>
    private sealed record TensorEntry(string Name, long[] Shape, long Begin, long End);

    /// <summary>Reads and validates the network file at <paramref name="path"/>.</summary>
    public static NetworkSnapshot Read(string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        string fullPath = Path.GetFullPath(path);
        if (RegularFile.CheckReadable(fullPath) == FileKind.Directory)
            throw new MnistToolsException(ErrorIds.PathIsDirectory, FailureKind.InvalidArgument, $"'{fullPath}' is a folder; a network file was expected.", fullPath);
        if (!File.Exists(fullPath))
            throw new MnistToolsException(ErrorIds.NetworkFileNotFound, FailureKind.NotFound, $"Cannot find the network file '{fullPath}'.", fullPath);
        try
        {
            using var file = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            return Read(file, fullPath, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MnistToolsException(ErrorIds.NetworkFileReadFailed, FailureKind.ReadWrite, $"Cannot read '{fullPath}': {e.Message}", fullPath, e);
        }
    }

    /// <summary>Reads a network file from a seekable stream; <paramref name="path"/> names it in errors.</summary>
    public static NetworkSnapshot Read(Stream stream, string path, CancellationToken cancellationToken = default)
    {
        long fileLength = stream.Length;
        if (fileLength < 8)
            throw Fail(ErrorIds.NetworkFileBadHeader, path, $"'{path}' is {fileLength} bytes long: not a MnistTools network file (it must start with an 8-byte header length).");
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > NetworkFileFormat.MaxHeaderLength)
            throw Fail(ErrorIds.NetworkFileBadHeader, path, $"'{path}' is not a MnistTools network file: its first 8 bytes give a header length of {headerLength} bytes (at most {NetworkFileFormat.MaxHeaderLength} is allowed).");
        if ((long)headerLength > fileLength - 8)
            throw Fail(ErrorIds.NetworkFileTruncated, path, $"'{path}' is truncated or not a network file: its header should be {headerLength} bytes but only {fileLength - 8} bytes follow the length.");
        if (headerLength < 2)
            throw Fail(ErrorIds.NetworkFileBadHeader, path, $"'{path}' has a header of {headerLength} bytes: too short to be a JSON object.");

        byte[] headerBytes = new byte[(int)headerLength];
        stream.ReadExactly(headerBytes);
        long dataLength = fileLength - 8 - (long)headerLength;

        var (metadata, tensors) = ParseHeader(headerBytes, path);
        NetworkSnapshot shell = ReadMetadata(metadata, path, out NetworkArchitecture layout, out string? optimizerKind);
        var buffers = CheckTensors(tensors, layout, dataLength, path);

        var values = new Dictionary<string, float[]>();
        foreach (string prefixName in buffers)
        {
            float[] buffer = new float[layout.BufferLength(prefixName)];
            foreach (var slot in layout.Slots(prefixName))
            {
                cancellationToken.ThrowIfCancellationRequested();
                TensorEntry entry = tensors[slot.Name];
                stream.Position = 8 + (long)headerLength + entry.Begin;
                Span<float> target = buffer.AsSpan(slot.Offset, slot.Count);
                stream.ReadExactly(MemoryMarshal.AsBytes(target));
                if (!BitConverter.IsLittleEndian)
                    for (int i = 0; i < target.Length; i++)
                        target[i] = BinaryPrimitives.ReadSingleLittleEndian(MemoryMarshal.AsBytes(target.Slice(i, 1)));
            }
            values[prefixName] = buffer;
        }

        OptimizerState? optimizer = null;
        if (optimizerKind is not null)
        {
            Optimizer kind = ParseEnum<Optimizer>(metadata, NetworkFileFormat.KeyOptimizer, path);
            optimizer = new OptimizerState
            {
                Kind = kind,
                Step = ParseLong(metadata, NetworkFileFormat.KeyOptimizerStep, path, 0),
                Momentum = ParseFloat(metadata, NetworkFileFormat.KeyMomentum, path, FractionRange),
                Beta1 = ParseFloat(metadata, NetworkFileFormat.KeyBeta1, path, FractionRange),
                Beta2 = ParseFloat(metadata, NetworkFileFormat.KeyBeta2, path, FractionRange),
                Epsilon = ParseFloat(metadata, NetworkFileFormat.KeyEpsilon, path, PositiveRange),
                WeightDecay = metadata.ContainsKey(NetworkFileFormat.KeyWeightDecay) ? ParseFloat(metadata, NetworkFileFormat.KeyWeightDecay, path, NonNegativeRange) : 0f,
                Velocity = values.GetValueOrDefault(NetworkFileFormat.VelocityBuffer),
                FirstMoment = values.GetValueOrDefault(NetworkFileFormat.FirstMomentBuffer),
                SecondMoment = values.GetValueOrDefault(NetworkFileFormat.SecondMomentBuffer),
            };
        }
        else if (values.Keys.Any(name => !NetworkFileFormat.IsState(name) && name != NetworkFileFormat.ParametersBuffer))
        {
            throw Fail(ErrorIds.NetworkFileBadTensor, path, $"'{path}' holds optimizer tensors but its header says optimizer '{NetworkFileFormat.NoOptimizer}'.");
        }

        return new NetworkSnapshot
        {
            InputShape = shell.InputShape,
            Layers = shell.Layers,
            LayerSizes = shell.LayerSizes,
            Activation = shell.Activation,
            OutputActivation = shell.OutputActivation,
            Loss = shell.Loss,
            Initializer = shell.Initializer,
            Seed = shell.Seed,
            EpochsTrained = shell.EpochsTrained,
            Parameters = values[NetworkFileFormat.ParametersBuffer],
            State = values.GetValueOrDefault(NetworkFileFormat.StateBuffer),
            Optimizer = optimizer,
            Run = TrainingRunMetadata.Read(metadata, values, optimizer, path),
            CheckpointRun = ReadCheckpointRun(metadata, path),
            Metadata = shell.Metadata,
        };
    }

    /// <summary>The checkpoint's run identity (32 hex digits), or null when the file is not a checkpoint.</summary>
    private static string? ReadCheckpointRun(Dictionary<string, string> metadata, string path)
    {
        if (!metadata.TryGetValue(NetworkFileFormat.KeyCheckpointRun, out string? run)) return null;
        if (run.Length != 32 || !run.All(char.IsAsciiHexDigitLower))
            throw Fail(ErrorIds.NetworkFileBadHeader, path, $"'{path}' has {NetworkFileFormat.KeyCheckpointRun} '{MessageText.Quote(run)}'; expected 32 lower-case hex digits.");
        return run;
    }

    /// <summary>Parses the JSON header into the metadata map and the tensor entries (syntax only).</summary>
    private static (Dictionary<string, string> Metadata, Dictionary<string, TensorEntry> Tensors) ParseHeader(byte[] headerBytes, string path)
    {
        if (headerBytes[0] != (byte)'{')
            throw Fail(ErrorIds.NetworkFileBadHeader, path, $"'{path}' is not a MnistTools network file: its header does not start with a JSON object.");
        if (!System.Text.Unicode.Utf8.IsValid(headerBytes))
            throw Fail(ErrorIds.NetworkFileBadHeader, path, $"The header of '{path}' is not valid JSON: it is not valid UTF-8.");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(headerBytes, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw Fail(ErrorIds.NetworkFileBadHeader, path, $"The header of '{path}' is not valid JSON: {e.Message}", e);
        }
        using (document)
        {
            try
            {
                return ParseDocument(document, path);
            }
            catch (InvalidOperationException e)
            {
                // Reading a name or string whose escapes decode to invalid UTF-16 (a lone surrogate such as "\uDDDD")
                // throws InvalidOperationException although JsonDocument.Parse accepted the text. Found by fuzzing.
                throw Fail(ErrorIds.NetworkFileBadHeader, path, $"The header of '{path}' is not valid JSON text: {e.Message}", e);
            }
        }
    }

    private static (Dictionary<string, string> Metadata, Dictionary<string, TensorEntry> Tensors) ParseDocument(JsonDocument document, string path)
    {
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw Fail(ErrorIds.NetworkFileBadHeader, path, $"The header of '{path}' is not a JSON object.");
            Dictionary<string, string>? metadata = null;
            var tensors = new Dictionary<string, TensorEntry>(StringComparer.Ordinal);
            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                if (property.Name == NetworkFileFormat.MetadataKey)
                {
                    if (metadata is not null) throw Fail(ErrorIds.NetworkFileBadHeader, path, $"The header of '{path}' has '{NetworkFileFormat.MetadataKey}' twice.");
                    metadata = ParseMetadata(property.Value, path);
                    continue;
                }
                if (tensors.ContainsKey(property.Name))
                    throw Fail(ErrorIds.NetworkFileBadHeader, path, $"The header of '{path}' names tensor '{MessageText.Quote(property.Name)}' twice.");
                tensors[property.Name] = ParseTensor(property, path);
            }
            if (metadata is null)
                throw Fail(ErrorIds.NetworkFileNotNetwork, path, $"'{path}' has no '{NetworkFileFormat.MetadataKey}': it is not a MnistTools network file.");
            return (metadata, tensors);
        }
    }

    private static Dictionary<string, string> ParseMetadata(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw Fail(ErrorIds.NetworkFileBadHeader, path, $"'{NetworkFileFormat.MetadataKey}' in '{path}' is not a JSON object.");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (JsonProperty entry in element.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw Fail(ErrorIds.NetworkFileBadHeader, path, $"Metadata entry '{MessageText.Quote(entry.Name)}' in '{path}' is not a string.");
            if (!metadata.TryAdd(entry.Name, entry.Value.GetString()!))
                throw Fail(ErrorIds.NetworkFileBadHeader, path, $"Metadata entry '{MessageText.Quote(entry.Name)}' appears twice in '{path}'.");
        }
        return metadata;
    }

    private static TensorEntry ParseTensor(JsonProperty property, string path)
    {
        JsonElement value = property.Value;
        string what = $"Tensor '{MessageText.Quote(property.Name)}' in '{path}'";
        if (value.ValueKind != JsonValueKind.Object)
            throw Fail(ErrorIds.NetworkFileBadHeader, path, $"{what} is not a JSON object.");
        if (!value.TryGetProperty("dtype", out JsonElement dtype) || dtype.ValueKind != JsonValueKind.String)
            throw Fail(ErrorIds.NetworkFileBadHeader, path, $"{what} has no dtype.");
        if (dtype.GetString() != "F32")
            throw Fail(ErrorIds.NetworkFileBadTensor, path, $"{what} has dtype '{MessageText.Quote(dtype.GetString())}'; MnistTools stores F32 (little-endian float32).");
        long[] shape = ParseIntegers(value, "shape", what, path);
        long[] offsets = ParseIntegers(value, "data_offsets", what, path);
        if (offsets.Length != 2 || offsets[0] > offsets[1])
            throw Fail(ErrorIds.NetworkFileBadTensor, path, $"{what} has data_offsets [{string.Join(", ", offsets)}]; expected [begin, end] with begin <= end.");
        return new TensorEntry(property.Name, shape, offsets[0], offsets[1]);
    }

    private static long[] ParseIntegers(JsonElement tensor, string name, string what, string path)
    {
        if (!tensor.TryGetProperty(name, out JsonElement array) || array.ValueKind != JsonValueKind.Array)
            throw Fail(ErrorIds.NetworkFileBadHeader, path, $"{what} has no '{name}' array.");
        var values = new List<long>();
        foreach (JsonElement item in array.EnumerateArray())
        {
            // Any integer that does not fit a non-negative int64 (or is not an integer) is refused here, so sums below cannot overflow.
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long v) || v < 0 || v > long.MaxValue / 4)
                throw Fail(ErrorIds.NetworkFileBadTensor, path, $"{what} has '{name}' entry {item.GetRawText()}: not a non-negative integer in range.");
            values.Add(v);
            if (values.Count > 8) throw Fail(ErrorIds.NetworkFileBadTensor, path, $"{what} has more than 8 '{name}' entries.");
        }
        return values.ToArray();
    }

    /// <summary>Checks format and version, then reads architecture and training state (not the tensors).</summary>
    private static NetworkSnapshot ReadMetadata(Dictionary<string, string> metadata, string path, out NetworkArchitecture layout, out string? optimizerKind)
    {
        if (!metadata.TryGetValue(NetworkFileFormat.KeyFormat, out string? format) || format != NetworkFileFormat.FormatName)
            throw Fail(ErrorIds.NetworkFileNotNetwork, path, $"'{path}' is a safetensors file but not a MnistTools network: its metadata 'format' is '{(format is null ? "(missing)" : MessageText.Quote(format))}', expected '{NetworkFileFormat.FormatName}'.");
        if (!metadata.TryGetValue(NetworkFileFormat.KeyVersion, out string? versionText)
            || !int.TryParse(versionText, NumberStyles.None, CultureInfo.InvariantCulture, out int version) || version < 1)
            throw Fail(ErrorIds.NetworkFileBadHeader, path, $"'{path}' has format_version '{(versionText is null ? "(missing)" : MessageText.Quote(versionText))}'; expected a positive integer.");
        if (version > NetworkFileFormat.Version)
            throw Fail(ErrorIds.NetworkFileVersionUnsupported, path, $"'{path}' is a MnistTools network file of format version {version}; this module reads version {NetworkFileFormat.Version}. Update MnistTools to read it.");

        int[]? sizes = null;
        Activation activation = default;
        Activation outputActivation = default;
        if (version == 1)
        {
            string sizesText = Require(metadata, NetworkFileFormat.KeyLayerSizes, path);
            var list = new List<int>();
            foreach (string part in sizesText.Split(','))
            {
                if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int size))
                    throw Fail(ErrorIds.NetworkFileBadHeader, path, $"'{path}' has layer_sizes '{MessageText.Quote(sizesText)}'; expected comma-separated positive integers.");
                list.Add(size);
            }
            sizes = list.ToArray();
            activation = ParseEnum<Activation>(metadata, NetworkFileFormat.KeyActivation, path);
            outputActivation = ParseEnum<Activation>(metadata, NetworkFileFormat.KeyOutputActivation, path);
            try
            {
                layout = NetworkArchitecture.FromLayerSizes(sizes, activation, outputActivation);
            }
            catch (MnistToolsException e)
            {
                throw Fail(ErrorIds.NetworkFileBadHeader, path, $"'{path}' has layer_sizes '{MessageText.Quote(sizesText)}': {MessageText.Quote(e.Message, 2 * MessageText.MaxQuoted)}", e);
            }
        }
        else
        {
            string shapeText = Require(metadata, NetworkFileFormat.KeyInputShape, path);
            string layersText = Require(metadata, NetworkFileFormat.KeyLayers, path);
            activation = ParseEnum<Activation>(metadata, NetworkFileFormat.KeyActivation, path);
            var shape = new List<int>();
            foreach (string part in shapeText.Split(','))
            {
                if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int size) || shape.Count >= 3)
                    throw Fail(ErrorIds.NetworkFileBadHeader, path, $"'{path}' has input_shape '{MessageText.Quote(shapeText)}'; expected <values> or <channels>,<height>,<width>.");
                shape.Add(size);
            }
            try
            {
                layout = NetworkArchitecture.FromLayers(shape, LayerSpec.ParseAll(layersText.Split(", ")));
            }
            catch (MnistToolsException e)
            {
                throw Fail(ErrorIds.NetworkFileBadHeader, path, $"'{path}' has input_shape '{MessageText.Quote(shapeText)}' and layers '{MessageText.Quote(layersText)}': {MessageText.Quote(e.Message, 2 * MessageText.MaxQuoted)}", e);
            }
        }

        optimizerKind = Require(metadata, NetworkFileFormat.KeyOptimizer, path);
        if (optimizerKind == NetworkFileFormat.NoOptimizer) optimizerKind = null;

        var user = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string key, string value) in metadata)
            if (key.StartsWith(NetworkFileFormat.UserPrefix, StringComparison.Ordinal) && key.Length > NetworkFileFormat.UserPrefix.Length)
                user[key[NetworkFileFormat.UserPrefix.Length..]] = value;

        return new NetworkSnapshot
        {
            InputShape = sizes is null ? layout.InputShape : null,
            Layers = sizes is null ? layout.Layers.Select(layer => layer.Spec).ToArray() : null,
            LayerSizes = sizes,
            Activation = activation,
            OutputActivation = outputActivation,
            Loss = ParseEnum<Loss>(metadata, NetworkFileFormat.KeyLoss, path),
            Initializer = ParseEnum<Initializer>(metadata, NetworkFileFormat.KeyInitializer, path),
            Seed = (int)ParseLong(metadata, NetworkFileFormat.KeySeed, path, int.MinValue, int.MaxValue),
            EpochsTrained = (int)ParseLong(metadata, NetworkFileFormat.KeyEpochs, path, 0, int.MaxValue),
            Parameters = Array.Empty<float>(),
            Metadata = user,
        };
    }

    /// <summary>
    /// Checks the tensor entries against the architecture and the data region: exactly the expected names, F32 shapes
    /// equal to the layout's, sizes matching shapes, and offsets tiling [0, dataLength) with no gap or overlap.
    /// Returns the buffers present (parameters first).
    /// </summary>
    private static List<string> CheckTensors(Dictionary<string, TensorEntry> tensors, NetworkArchitecture layout, long dataLength, string path)
    {
        var buffers = new List<string> { NetworkFileFormat.ParametersBuffer };
        // A network with state (BatchNorm) always stores it; a best epoch stores its own beside its parameters.
        if (layout.StateCount > 0)
        {
            buffers.Add(NetworkFileFormat.StateBuffer);
            if (tensors.Keys.Any(name => name.StartsWith(NetworkFileFormat.BestPrefix, StringComparison.Ordinal)))
                buffers.Add(NetworkFileFormat.BestPrefix + NetworkFileFormat.StateBuffer);
        }
        foreach (string prefix in OptionalBuffers)
            if (tensors.Keys.Any(name => name.StartsWith(prefix, StringComparison.Ordinal)))
                buffers.Add(prefix);

        int expected = 0;
        foreach (string prefix in buffers)
            foreach (var slot in layout.Slots(prefix))
            {
                expected++;
                if (!tensors.TryGetValue(slot.Name, out TensorEntry? entry))
                    throw Fail(ErrorIds.NetworkFileBadTensor, path, $"'{path}' lacks tensor '{slot.Name}' that the architecture {MessageText.Quote(layout.Description)} needs.");
                if (!entry.Shape.SequenceEqual(slot.Shape))
                    throw Fail(ErrorIds.NetworkFileBadTensor, path, $"Tensor '{slot.Name}' in '{path}' has shape [{string.Join(", ", entry.Shape)}]; the architecture {MessageText.Quote(layout.Description)} needs [{string.Join(", ", slot.Shape)}].");
                if (entry.End - entry.Begin != (long)slot.Count * sizeof(float))
                    throw Fail(ErrorIds.NetworkFileBadTensor, path, $"Tensor '{slot.Name}' in '{path}' spans {entry.End - entry.Begin} bytes; shape [{string.Join(", ", slot.Shape)}] of F32 needs {(long)slot.Count * sizeof(float)}.");
            }
        if (tensors.Count != expected)
        {
            string unknown = tensors.Keys.First(name => !buffers.Any(prefix => layout.Slots(prefix).Any(s => s.Name == name)));
            throw Fail(ErrorIds.NetworkFileBadTensor, path, $"'{path}' holds tensor '{MessageText.Quote(unknown)}', which a network of architecture {MessageText.Quote(layout.Description)} does not have.");
        }

        long position = 0;
        foreach (TensorEntry entry in tensors.Values.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (entry.Begin != position)
                throw Fail(ErrorIds.NetworkFileBadTensor, path, entry.Begin < position
                    ? $"Tensor '{MessageText.Quote(entry.Name)}' in '{path}' starts at byte {entry.Begin}, inside the previous tensor (which ends at {position}): offsets overlap."
                    : $"'{path}' has unused bytes {position}..{entry.Begin} before tensor '{MessageText.Quote(entry.Name)}': offsets must tile the data with no gaps.");
            position = entry.End;
        }
        if (position > dataLength)
            throw Fail(ErrorIds.NetworkFileTruncated, path, $"'{path}' is truncated: its tensors need {position} bytes of data but only {dataLength} are present.");
        if (position < dataLength)
            throw Fail(ErrorIds.NetworkFileBadTensor, path, $"'{path}' has {dataLength - position} bytes after its last tensor; a network file ends with its last tensor.");
        return buffers;
    }

    internal static string Require(Dictionary<string, string> metadata, string key, string path) =>
        metadata.TryGetValue(key, out string? value)
            ? value
            : throw Fail(ErrorIds.NetworkFileBadHeader, path, $"'{path}' lacks the metadata entry '{key}'.");

    internal static T ParseEnum<T>(Dictionary<string, string> metadata, string key, string path) where T : struct, Enum
    {
        string text = Require(metadata, key, path);
        // Names only: Enum.TryParse alone would also accept numbers such as "7".
        if (!Enum.GetNames<T>().Contains(text, StringComparer.Ordinal))
            throw Fail(ErrorIds.NetworkFileBadHeader, path, $"'{path}' has {key} '{MessageText.Quote(text)}'; expected one of {string.Join(", ", Enum.GetNames<T>())}.");
        return Enum.Parse<T>(text);
    }

    internal static long ParseLong(Dictionary<string, string> metadata, string key, string path, long min, long max = long.MaxValue)
    {
        string text = Require(metadata, key, path);
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value) || value < min || value > max)
            throw Fail(ErrorIds.NetworkFileBadHeader, path, $"'{path}' has {key} '{MessageText.Quote(text)}'; expected an integer in {min}..{max}.");
        return value;
    }

    internal static double ParseDouble(Dictionary<string, string> metadata, string key, string path)
    {
        string text = Require(metadata, key, path);
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            throw Fail(ErrorIds.NetworkFileBadHeader, path, $"'{path}' has {key} '{MessageText.Quote(text)}'; expected a number.");
        return value;
    }

    internal static float ParseFloat(Dictionary<string, string> metadata, string key, string path)
    {
        string text = Require(metadata, key, path);
        if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value))
            throw Fail(ErrorIds.NetworkFileBadHeader, path, $"'{path}' has {key} '{MessageText.Quote(text)}'; expected a number.");
        return value;
    }

    /// <summary>The optimizer hyper-parameters' ranges, as the trainer accepts them: β1, β2 and μ in [0, 1), ε > 0, λ_w >= 0, all finite.</summary>
    private static readonly (Func<float, bool> Holds, string Text) FractionRange = (v => v >= 0 && v < 1, "a number in [0, 1)"),
        PositiveRange = (v => v > 0 && float.IsFinite(v), "a finite number > 0"),
        NonNegativeRange = (v => v >= 0 && float.IsFinite(v), "a finite number >= 0");

    private static float ParseFloat(Dictionary<string, string> metadata, string key, string path, (Func<float, bool> Holds, string Text) range)
    {
        float value = ParseFloat(metadata, key, path);
        if (!range.Holds(value))
            throw Fail(ErrorIds.NetworkFileBadHeader, path, $"'{path}' has {key} '{MessageText.Quote(metadata[key])}'; expected {range.Text}.");
        return value;
    }

    internal static MnistToolsException Fail(string id, string path, string message, Exception? inner = null) =>
        new(id, FailureKind.InvalidData, message, path, inner);
}
