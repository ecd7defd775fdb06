using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text;
using MnistTools.Errors;
using MnistTools.Files;
using MnistTools.Layers;

namespace MnistTools.Persistence;

/// <summary>Writes <see cref="NetworkSnapshot"/>s in the format described by <see cref="NetworkFileFormat"/>, atomically.</summary>
public static class NetworkFileWriter
{
    private const int ChunkFloats = 1 << 14;

    /// <summary>Saves <paramref name="snapshot"/> to <paramref name="path"/> (see <see cref="AtomicFile.Write"/> for the guarantees).</summary>
    /// <exception cref="MnistToolsException">InvalidArgument for an inconsistent snapshot or an existing file without <paramref name="overwrite"/>; ReadWrite for I/O failures.</exception>
    public static void Write(string path, NetworkSnapshot snapshot, bool overwrite, CancellationToken cancellationToken = default) =>
        Write(path, snapshot, overwrite, cancellationToken, wrapStream: null);

    /// <summary>As <see cref="Write(string, NetworkSnapshot, bool, CancellationToken)"/>, with a stream wrapper for fault-injection tests.</summary>
    internal static void Write(string path, NetworkSnapshot snapshot, bool overwrite, CancellationToken cancellationToken, Func<Stream, Stream>? wrapStream)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var buffers = Validate(snapshot, out NetworkArchitecture layout);
        byte[] header = BuildHeader(snapshot, layout, buffers);
        AtomicFile.Write(path, overwrite, (stream, token) => WriteContent(stream, header, buffers, token), cancellationToken, wrapStream);
    }

    /// <summary>The whole file as bytes (what <see cref="Write(string, NetworkSnapshot, bool, CancellationToken)"/> puts on disk).</summary>
    public static byte[] ToBytes(NetworkSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var buffers = Validate(snapshot, out NetworkArchitecture layout);
        byte[] header = BuildHeader(snapshot, layout, buffers);
        using var memory = new MemoryStream();
        WriteContent(memory, header, buffers, CancellationToken.None);
        return memory.ToArray();
    }

    /// <summary>The flat buffers to store, in file order: parameters, then the optimizer buffers present.</summary>
    private static List<(string Prefix, float[] Values)> Validate(NetworkSnapshot snapshot, out NetworkArchitecture layout)
    {
        if ((snapshot.Layers is null && snapshot.LayerSizes is null) || snapshot.Parameters is null)
            throw Invalid("The snapshot has no layers or no parameters.");
        try
        {
            layout = NetworkArchitecture.FromSnapshot(snapshot);
        }
        catch (MnistToolsException e)
        {
            throw Invalid($"The snapshot's architecture is not valid: {e.Message}");
        }
        CheckEnum(snapshot.Activation);
        CheckEnum(snapshot.OutputActivation);
        CheckEnum(snapshot.Loss);
        CheckEnum(snapshot.Initializer);
        if (snapshot.EpochsTrained < 0) throw Invalid($"EpochsTrained must be >= 0; got {snapshot.EpochsTrained}.");
        var buffers = new List<(string, float[])> { (NetworkFileFormat.ParametersBuffer, snapshot.Parameters) };
        if (layout.StateCount > 0) buffers.Add((NetworkFileFormat.StateBuffer, snapshot.State ?? throw Invalid($"The architecture {layout.Description} has state (running statistics) but the snapshot holds none.")));
        if (snapshot.Optimizer is { } optimizer)
        {
            CheckEnum(optimizer.Kind);
            if (optimizer.Step < 0) throw Invalid($"The optimizer step must be >= 0; got {optimizer.Step}.");
            if (optimizer.Velocity is { } velocity) buffers.Add((NetworkFileFormat.VelocityBuffer, velocity));
            if (optimizer.FirstMoment is { } first) buffers.Add((NetworkFileFormat.FirstMomentBuffer, first));
            if (optimizer.SecondMoment is { } second) buffers.Add((NetworkFileFormat.SecondMomentBuffer, second));
        }
        if (snapshot.Run is { } run)
        {
            if (snapshot.Optimizer is null && run.BestParameters is not null) throw Invalid("The run state holds a best epoch but the snapshot has no optimizer state.");
            try { run.Validate(layout.ParameterCount); }
            catch (MnistToolsException e) { throw Invalid(e.Message); }
            buffers.AddRange(TrainingRunMetadata.Buffers(run));
            if (layout.StateCount > 0 && run.BestParameters is not null)
                buffers.Add((NetworkFileFormat.BestPrefix + NetworkFileFormat.StateBuffer,
                    run.BestState ?? throw Invalid("The run state holds a best epoch's parameters but not its running statistics.")));
        }
        foreach ((string prefix, float[] values) in buffers)
            if (values.Length != layout.BufferLength(prefix))
                throw Invalid($"The buffer '{(prefix.Length == 0 ? "parameters" : prefix.TrimEnd('.'))}' holds {values.Length} values; the architecture {layout.Description} has {layout.BufferLength(prefix)}.");
        foreach ((string key, string value) in snapshot.Metadata)
            if (string.IsNullOrEmpty(key) || value is null)
                throw Invalid("Metadata keys must be non-empty and values non-null.");
        return buffers;
    }

    private static void CheckEnum<T>(T value) where T : struct, Enum
    {
        if (!Enum.IsDefined(value)) throw Invalid($"{value} is not a valid {typeof(T).Name}.");
    }

    private static MnistToolsException Invalid(string message) => new(ErrorIds.NetworkSnapshotInvalid, FailureKind.InvalidArgument, message, "Network");

    /// <summary>The 8-byte length prefix and the space-padded JSON header, ready to write.</summary>
    private static byte[] BuildHeader(NetworkSnapshot snapshot, NetworkArchitecture layout, List<(string Prefix, float[] Values)> buffers)
    {
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            writer.WriteStartObject(NetworkFileFormat.MetadataKey);
            foreach ((string key, string value) in MetadataEntries(snapshot, layout))
                writer.WriteString(key, value);
            writer.WriteEndObject();

            long offset = 0;
            foreach ((string prefix, _) in buffers)
                foreach (var slot in layout.Slots(prefix))
                {
                    long bytes = (long)slot.Count * sizeof(float);
                    writer.WriteStartObject(slot.Name);
                    writer.WriteString("dtype", "F32");
                    writer.WriteStartArray("shape");
                    foreach (long dim in slot.Shape) writer.WriteNumberValue(dim);
                    writer.WriteEndArray();
                    writer.WriteStartArray("data_offsets");
                    writer.WriteNumberValue(offset);
                    writer.WriteNumberValue(offset + bytes);
                    writer.WriteEndArray();
                    writer.WriteEndObject();
                    offset += bytes;
                }
            writer.WriteEndObject();
        }
        int length = (int)json.Length;
        int padded = (length + 7) / 8 * 8; // 8 + padded stays 8-aligned, so every float32 tensor is aligned.
        byte[] header = new byte[8 + padded];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)padded);
        json.GetBuffer().AsSpan(0, length).CopyTo(header.AsSpan(8));
        header.AsSpan(8 + length).Fill((byte)' ');
        return header;
    }

    /// <summary>All <c>__metadata__</c> entries: format, architecture, training state, then user metadata under "user.".</summary>
    private static IEnumerable<(string Key, string Value)> MetadataEntries(NetworkSnapshot snapshot, NetworkArchitecture layout)
    {
        yield return (NetworkFileFormat.KeyFormat, NetworkFileFormat.FormatName);
        yield return (NetworkFileFormat.KeyVersion, NetworkFileFormat.Version.ToString(CultureInfo.InvariantCulture));
        yield return (NetworkFileFormat.KeyInputShape, NetworkArchitecture.FormatShape(layout.InputShape));
        yield return (NetworkFileFormat.KeyLayers, layout.Description);
        yield return (NetworkFileFormat.KeyActivation, snapshot.Activation.ToString());
        yield return (NetworkFileFormat.KeyLoss, snapshot.Loss.ToString());
        yield return (NetworkFileFormat.KeyInitializer, snapshot.Initializer.ToString());
        yield return (NetworkFileFormat.KeySeed, snapshot.Seed.ToString(CultureInfo.InvariantCulture));
        yield return (NetworkFileFormat.KeyEpochs, snapshot.EpochsTrained.ToString(CultureInfo.InvariantCulture));
        if (snapshot.Optimizer is { } optimizer)
        {
            yield return (NetworkFileFormat.KeyOptimizer, optimizer.Kind.ToString());
            yield return (NetworkFileFormat.KeyOptimizerStep, optimizer.Step.ToString(CultureInfo.InvariantCulture));
            yield return (NetworkFileFormat.KeyMomentum, FormatFloat(optimizer.Momentum));
            yield return (NetworkFileFormat.KeyBeta1, FormatFloat(optimizer.Beta1));
            yield return (NetworkFileFormat.KeyBeta2, FormatFloat(optimizer.Beta2));
            yield return (NetworkFileFormat.KeyEpsilon, FormatFloat(optimizer.Epsilon));
            yield return (NetworkFileFormat.KeyWeightDecay, FormatFloat(optimizer.WeightDecay));
        }
        else
        {
            yield return (NetworkFileFormat.KeyOptimizer, NetworkFileFormat.NoOptimizer);
        }
        foreach ((string key, string value) in TrainingRunMetadata.Entries(snapshot.Run))
            yield return (key, value);
        if (snapshot.CheckpointRun is { } run) yield return (NetworkFileFormat.KeyCheckpointRun, run);
        foreach ((string key, string value) in snapshot.Metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
            yield return (NetworkFileFormat.UserPrefix + key, value);
    }

    /// <summary>Shortest text that parses back to the same float bits ("R"), invariant culture.</summary>
    internal static string FormatFloat(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static void WriteContent(Stream stream, byte[] header, List<(string Prefix, float[] Values)> buffers, CancellationToken cancellationToken)
    {
        stream.Write(header);
        byte[]? swapped = BitConverter.IsLittleEndian ? null : new byte[ChunkFloats * sizeof(float)];
        foreach ((_, float[] values) in buffers)
        {
            // Each buffer is stored whole, in layout order: its tensors are contiguous in both places.
            for (int start = 0; start < values.Length; start += ChunkFloats)
            {
                cancellationToken.ThrowIfCancellationRequested();
                ReadOnlySpan<float> chunk = values.AsSpan(start, Math.Min(ChunkFloats, values.Length - start));
                if (swapped is null)
                {
                    stream.Write(MemoryMarshal.AsBytes(chunk));
                }
                else
                {
                    for (int i = 0; i < chunk.Length; i++)
                        BinaryPrimitives.WriteSingleLittleEndian(swapped.AsSpan(i * sizeof(float)), chunk[i]);
                    stream.Write(swapped, 0, chunk.Length * sizeof(float));
                }
            }
        }
    }
}
