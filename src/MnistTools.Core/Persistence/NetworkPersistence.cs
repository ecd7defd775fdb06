using MnistTools.Errors;
using MnistTools.Layers;
using MnistTools.Numerics;

namespace MnistTools.Persistence;

/// <summary>Saves and loads <see cref="Network"/>s through <see cref="NetworkSnapshot"/> and the network file format.</summary>
public static class NetworkPersistence
{
    /// <summary>A snapshot of <paramref name="network"/>: copies of its parameters, optimizer buffers and metadata.</summary>
    /// <param name="extraMetadata">Entries added to (and overriding) the network's own metadata in the snapshot only.</param>
    /// <exception cref="MnistToolsException">NetworkInUse (Busy) while another thread trains the network: the copy would be torn.</exception>
    /// <param name="checkpointRun">The run identity to store (checkpoints only; see <see cref="Network.CheckpointRunId"/>).</param>
    public static NetworkSnapshot ToSnapshot(Network network, IReadOnlyDictionary<string, string>? extraMetadata = null, string? checkpointRun = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        network.CheckNotTrainedElsewhere("copied");
        var metadata = new Dictionary<string, string>(network.Metadata, StringComparer.OrdinalIgnoreCase);
        if (extraMetadata is not null)
            foreach ((string key, string value) in extraMetadata) metadata[key] = value;
        OptimizerState? state = network.OptimizerState;
        return new NetworkSnapshot
        {
            InputShape = network.InputShape,
            Layers = network.LayerSpecs,
            Activation = network.Activation,
            OutputActivation = network.OutputActivation,
            Loss = network.Loss,
            Initializer = network.Initializer,
            Seed = network.Seed,
            EpochsTrained = network.EpochsTrained,
            Parameters = network.GetParameters(),
            State = network.StateCount > 0 ? network.GetState() : null,
            Optimizer = state?.Clone(),
            Run = network.RunState?.Clone(),
            CheckpointRun = checkpointRun,
            Metadata = metadata,
        };
    }

    /// <summary>A network rebuilt from <paramref name="snapshot"/>; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="MnistToolsException">InvalidData (target <paramref name="source"/>) when the state does not fit the architecture.</exception>
    public static Network FromSnapshot(NetworkSnapshot snapshot, string source)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        try
        {
            Network network = snapshot.Layers is { } layers
                ? Network.Restore(snapshot.InputShape ?? Array.Empty<int>(), layers, snapshot.Activation, snapshot.Loss, snapshot.Initializer,
                    snapshot.Seed, snapshot.EpochsTrained, snapshot.Parameters, snapshot.Optimizer, snapshot.Metadata)
                : Network.Restore(snapshot.LayerSizes ?? Array.Empty<int>(), snapshot.Activation, snapshot.OutputActivation, snapshot.Loss,
                    snapshot.Initializer, snapshot.Seed, snapshot.EpochsTrained, snapshot.Parameters, snapshot.Optimizer, snapshot.Metadata);
            if (snapshot.State is { } state)
            {
                if (state.Length != network.StateCount)
                    throw new MnistToolsException(ErrorIds.NetworkStateInvalid, FailureKind.InvalidData,
                        $"The state holds {state.Length} values; the network {network.Architecture} has {network.StateCount}.", "State");
                state.CopyTo(network.State);
            }
            if (snapshot.Run is { } run)
            {
                run.Validate(network.ParameterCount);
                if (run.BestParameters is not null && network.StateCount > 0 && run.BestState?.Length != network.StateCount)
                    throw new MnistToolsException(ErrorIds.TrainingRunStateInvalid, FailureKind.InvalidData,
                        $"The best epoch's running statistics hold {run.BestState?.Length ?? 0} values; the network has {network.StateCount}.", "Run");
                network.RunState = run.Clone();
            }
            network.CheckpointRunId = snapshot.CheckpointRun;
            return network;
        }
        catch (MnistToolsException e) when (e.Kind is FailureKind.InvalidData or FailureKind.InvalidArgument)
        {
            throw new MnistToolsException(ErrorIds.NetworkFileBadTensor, FailureKind.InvalidData, $"'{source}' does not describe a valid network: {e.Message}", source, e);
        }
    }

    /// <summary>Saves <paramref name="network"/> to <paramref name="path"/> atomically (see <see cref="NetworkFileWriter"/>).</summary>
    /// <exception cref="MnistToolsException">NetworkInUse (Busy, target the network) while another thread (runspace) trains
    /// it, since its weights change under the copy; the training thread itself may save it. NetworkNotFinite (InvalidData,
    /// target the path) when a parameter or optimizer value is NaN or infinite: such a network cannot classify, and a file
    /// of it would only spread the damage. The file format itself stores any float bit for bit; this refusal is the policy
    /// of saving a live network.</exception>
    public static void Save(Network network, string path, bool overwrite, IReadOnlyDictionary<string, string>? extraMetadata = null,
        CancellationToken cancellationToken = default, string? checkpointRun = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        network.CheckNotTrainedElsewhere("saved");
        NetworkSnapshot snapshot = ToSnapshot(network, extraMetadata, checkpointRun);
        CheckFinite(snapshot.Parameters, "parameters", path);
        CheckFinite(snapshot.State, "running statistics", path);
        CheckFinite(snapshot.Optimizer?.Velocity, "momentum velocity", path);
        CheckFinite(snapshot.Optimizer?.FirstMoment, "Adam first moment", path);
        CheckFinite(snapshot.Optimizer?.SecondMoment, "Adam second moment", path);
        CheckFinite(snapshot.Run?.BestParameters, "best epoch's parameters", path);
        CheckFinite(snapshot.Run?.BestOptimizerState?.Velocity, "best epoch's momentum velocity", path);
        CheckFinite(snapshot.Run?.BestOptimizerState?.FirstMoment, "best epoch's Adam first moment", path);
        CheckFinite(snapshot.Run?.BestOptimizerState?.SecondMoment, "best epoch's Adam second moment", path);
        NetworkFileWriter.Write(path, snapshot, overwrite, cancellationToken);
    }

    private static void CheckFinite(float[]? values, string what, string path)
    {
        if (values is null || FiniteCheck.AllFinite(values)) return;
        int index = Array.FindIndex(values, v => !float.IsFinite(v));
        string fullPath = Path.GetFullPath(path);
        throw new MnistToolsException(ErrorIds.NetworkNotFinite, FailureKind.InvalidData,
            $"Cannot save the network to '{fullPath}': its {what} hold a non-finite value ({values[index]} at index {index}). " +
            "A network with NaN or infinite values cannot classify; retrain it (with a lower learning rate) or load a saved copy.", fullPath);
    }

    /// <summary>Loads the network saved at <paramref name="path"/> (see <see cref="NetworkFileReader"/> for the checks and error ids).</summary>
    public static Network Load(string path, CancellationToken cancellationToken = default)
    {
        string fullPath = Path.GetFullPath(path);
        return FromSnapshot(NetworkFileReader.Read(fullPath, cancellationToken), fullPath);
    }
}
