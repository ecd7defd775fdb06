namespace MnistTools.Persistence;

/// <summary>
/// The MnistTools network file, version 2: a safetensors file (docs/persistence.md has the full spec).
/// <code>
/// [8 bytes]  N, unsigned little-endian: length of the JSON header
/// [N bytes]  UTF-8 JSON object, padded with spaces so that 8 + N is a multiple of 8:
///            "__metadata__": { string -> string } (format, version, input shape, layer list and hidden activation, training state, "user.*")
///            "&lt;tensor name&gt;": { "dtype": "F32", "shape": [...], "data_offsets": [begin, end] }
/// [rest]     the tensors, little-endian float32, offsets relative to the start of this region,
///            covering it exactly (no gaps, no overlaps, nothing after the last tensor)
/// </code>
/// Tensors: <c>layers.{l}.weight</c> (Dense [out, in], Conv2d [F, C, K, K], BatchNorm's γ [C]) and <c>layers.{l}.bias</c>
/// [out] (none with bias=false) for every layer l of the list that has parameters; the non-trainable state of the layers
/// that have one, <c>layers.{l}.running_mean</c> and <c>layers.{l}.running_var</c> [C] (BatchNorm); and for each optimizer buffer present
/// <c>optimizer.{velocity|first_moment|second_moment}.layers.{l}.weight|bias</c>. Version 1 files (a dense network as
/// layer_sizes, activation and output_activation instead of input_shape and layers) still read.
/// A network in an unfinished run with early stopping also holds the best epoch's buffers under <c>run.best.</c> (the
/// same names behind that prefix); its run state is the <c>run.*</c> metadata (<see cref="TrainingRunMetadata"/>).
/// </summary>
public static class NetworkFileFormat
{
    /// <summary>The value of <c>__metadata__.format</c>.</summary>
    public const string FormatName = "mnisttools.network";

    /// <summary>The version this module writes and the newest it reads.</summary>
    public const int Version = 2;

    /// <summary>Conventional file extension: the file is a valid safetensors file, which other tools recognise by it.</summary>
    public const string Extension = ".safetensors";

    /// <summary>Largest header accepted (the safetensors reference limit); a larger length means garbage.</summary>
    public const long MaxHeaderLength = 100_000_000;

    public const string MetadataKey = "__metadata__";

    /// <summary>Prefix of free-form user metadata keys inside <c>__metadata__</c>.</summary>
    public const string UserPrefix = "user.";

    internal const string KeyFormat = "format";
    internal const string KeyVersion = "format_version";
    internal const string KeyInputShape = "input_shape";
    internal const string KeyLayers = "layers";
    internal const string KeyLayerSizes = "layer_sizes";
    internal const string KeyActivation = "activation";
    internal const string KeyOutputActivation = "output_activation";
    internal const string KeyLoss = "loss";
    internal const string KeyInitializer = "initializer";
    internal const string KeySeed = "seed";
    internal const string KeyEpochs = "epochs_trained";
    internal const string KeyOptimizer = "optimizer";
    internal const string KeyOptimizerStep = "optimizer.step";
    internal const string KeyMomentum = "optimizer.momentum";
    internal const string KeyBeta1 = "optimizer.beta1";
    internal const string KeyBeta2 = "optimizer.beta2";
    internal const string KeyEpsilon = "optimizer.epsilon";
    /// <summary>AdamW's λ_w; files written before AdamW lack it and read as 0.</summary>
    internal const string KeyWeightDecay = "optimizer.weight_decay";

    /// <summary>Only in checkpoints: the identity of the run (32 hex digits) that may replace the file without -Force.</summary>
    internal const string KeyCheckpointRun = "checkpoint.run";

    /// <summary>Value of <c>optimizer</c> when the file holds no optimizer state.</summary>
    internal const string NoOptimizer = "None";

    internal const string ParametersBuffer = "";

    /// <summary>The buffer of non-trainable state: its tensors are the layers' state tensors (<c>layers.{l}.running_mean</c>...),
    /// named with the prefix before this mark.</summary>
    internal const string StateBuffer = "|state";

    /// <summary>Whether <paramref name="buffer"/> holds state rather than parameter-shaped values.</summary>
    internal static bool IsState(string buffer) => buffer.EndsWith(StateBuffer, StringComparison.Ordinal);

    /// <summary>The prefix of the tensor names of <paramref name="buffer"/>.</summary>
    internal static string NamePrefix(string buffer) => IsState(buffer) ? buffer[..^StateBuffer.Length] : buffer;
    internal const string VelocityBuffer = "optimizer.velocity.";
    internal const string FirstMomentBuffer = "optimizer.first_moment.";
    internal const string SecondMomentBuffer = "optimizer.second_moment.";

    /// <summary>Prefix of early stopping's best-epoch buffers (before a buffer's own prefix).</summary>
    internal const string BestPrefix = "run.best.";

    /// <summary>The optimizer buffers' prefixes, in file order.</summary>
    internal static readonly string[] OptimizerBuffers = { VelocityBuffer, FirstMomentBuffer, SecondMomentBuffer };

    /// <summary>Name of layer <paramref name="layer"/>'s weight tensor [out, in] inside the buffer named by <paramref name="prefix"/>.</summary>
    public static string WeightName(int layer, string prefix = "") => $"{prefix}layers.{layer}.weight";

    /// <summary>Name of layer <paramref name="layer"/>'s bias tensor [out] inside the buffer named by <paramref name="prefix"/>.</summary>
    public static string BiasName(int layer, string prefix = "") => $"{prefix}layers.{layer}.bias";

    /// <summary>One tensor of a buffer: its name, shape and where it sits in the flat [ParameterCount] buffer.</summary>
    internal readonly record struct TensorSlot(string Name, long[] Shape, int Offset, int Count);
}
