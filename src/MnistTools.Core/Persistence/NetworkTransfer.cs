using MnistTools.Errors;

namespace MnistTools.Persistence;

/// <summary>
/// A network as the bytes of its network file, for objects that leave the process (PowerShell jobs, remoting,
/// Export-Clixml): the same bytes Save-Network writes, so the copy that comes back is bit-exact (weights, optimizer
/// state, run state, architecture, seed, epochs, metadata). Bounded by <see cref="MaxBytes"/> on both sides: a network
/// larger than that travels as a file the caller saves and imports.
/// </summary>
public static class NetworkTransfer
{
    /// <summary>The largest network file that travels inside a serialized object (128 MiB: about 170 MB as CliXml base64,
    /// below PowerShell remoting's default 200 MB limit on a received object).</summary>
    public const long MaxBytes = 128L << 20;

    /// <summary>The size of the tensors a file of <paramref name="network"/> holds (parameters, optimizer buffers, the best
    /// epoch's copies), in bytes: a lower bound of the file size, known without building the file.</summary>
    public static long TensorBytes(Network network)
    {
        ArgumentNullException.ThrowIfNull(network);
        long floats = network.ParameterCount + Buffers(network.OptimizerState);
        if (network.RunState is { } run) floats += (run.BestParameters?.LongLength ?? 0) + Buffers(run.BestOptimizerState);
        return floats * sizeof(float);

        static long Buffers(OptimizerState? state) =>
            state is null ? 0 : (state.Velocity?.LongLength ?? 0) + (state.FirstMoment?.LongLength ?? 0) + (state.SecondMoment?.LongLength ?? 0);
    }

    /// <summary>The network file of <paramref name="network"/> (what Save-Network writes, without extra metadata).</summary>
    /// <exception cref="MnistToolsException">NetworkTooLargeToSerialize (InvalidArgument) beyond <paramref name="maxBytes"/>;
    /// NetworkInUse (Busy) while another thread trains it.</exception>
    public static byte[] ToBytes(Network network, long maxBytes = MaxBytes)
    {
        ArgumentNullException.ThrowIfNull(network);
        long tensors = TensorBytes(network);
        if (tensors > maxBytes) throw TooLarge(tensors, maxBytes, network);
        byte[] bytes = NetworkFileWriter.ToBytes(NetworkPersistence.ToSnapshot(network));
        if (bytes.LongLength > maxBytes) throw TooLarge(bytes.LongLength, maxBytes, network);
        return bytes;
    }

    /// <summary>The network a file's bytes describe; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="MnistToolsException">NetworkTooLargeToSerialize (InvalidData) beyond <paramref name="maxBytes"/>, and
    /// the network file reader's errors (InvalidData) for damaged bytes.</exception>
    public static Network FromBytes(byte[] bytes, string source, long maxBytes = MaxBytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(source);
        if (bytes.LongLength > maxBytes)
            throw new MnistToolsException(ErrorIds.NetworkTooLargeToSerialize, FailureKind.InvalidData,
                $"{source} carries a network file of {bytes.LongLength:N0} bytes; at most {maxBytes:N0} are accepted. " +
                "Save the network with Save-Network where both sides can read it and pass the path instead.", source);
        using var stream = new MemoryStream(bytes, writable: false);
        return NetworkPersistence.FromSnapshot(NetworkFileReader.Read(stream, source), source);
    }

    private static MnistToolsException TooLarge(long bytes, long maxBytes, Network network) =>
        new(ErrorIds.NetworkTooLargeToSerialize, FailureKind.InvalidArgument,
            $"The network {network.Description} needs a file of at least {bytes:N0} bytes; a network crosses a process boundary " +
            $"(jobs, remoting, Export-Clixml) only up to {maxBytes:N0} bytes. Save it with Save-Network where the other side can " +
            "read it and pass the path instead.", network);
}
