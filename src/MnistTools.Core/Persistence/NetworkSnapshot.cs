using MnistTools.Layers;

namespace MnistTools.Persistence;

/// <summary>
/// Everything a network file holds, as plain data: the architecture, the training state and the
/// parameters in the flat buffer's order (each layer's weights, then its biases). The file layer reads and writes only this
/// record, so it does not depend on how <c>Network</c> keeps its state.
/// </summary>
public sealed class NetworkSnapshot
{
    /// <summary>One image's shape, [values] or [channels, height, width]; null with <see cref="LayerSizes"/> (a version 1 file).</summary>
    public int[]? InputShape { get; init; }

    /// <summary>The layer list (Flatten included); null with <see cref="LayerSizes"/> (a version 1 file).</summary>
    public IReadOnlyList<LayerSpec>? Layers { get; init; }

    /// <summary>Units per layer, input first (e.g. 784,20,16,10), for a dense network described the version 1 way, with
    /// <see cref="Activation"/> and <see cref="OutputActivation"/>; null when <see cref="Layers"/> describes the network.</summary>
    public int[]? LayerSizes { get; init; }

    public Activation Activation { get; init; }

    public Activation OutputActivation { get; init; }

    public Loss Loss { get; init; }

    public Initializer Initializer { get; init; }

    public int Seed { get; init; }

    public int EpochsTrained { get; init; }

    /// <summary>[ParameterCount], layer by layer: the weights (Dense [out x in], Conv2d [F x C x K x K], row-major), then the biases.</summary>
    public required float[] Parameters { get; init; }

    /// <summary>[StateCount], layer by layer: the non-trainable state (BatchNorm's running mean [C] then variance [C]); null
    /// for a network without state.</summary>
    public float[]? State { get; init; }

    /// <summary>The optimizer's state, so that training resumes exactly; null when the network was never trained.</summary>
    public OptimizerState? Optimizer { get; init; }

    /// <summary>The unfinished training run (schedule position, early stopping's best epoch); null when there is none.</summary>
    public TrainingRunState? Run { get; init; }

    /// <summary>The identity of the training run whose checkpoint this is (32 hex digits); null for a file that is not a checkpoint.</summary>
    public string? CheckpointRun { get; init; }

    /// <summary>Free-form key/value pairs (data set name, test accuracy, ...). Keys are case-sensitive.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}
