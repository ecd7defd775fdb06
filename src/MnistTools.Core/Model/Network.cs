using MnistTools.Layers;
using MnistTools.Training;

namespace MnistTools;

/// <summary>
/// A feed-forward network of dense layers. All parameters live in one flat float buffer laid out as
/// <see cref="ParameterLayout"/> describes (per layer W [out x in] row-major, then b [out]).
/// Inputs are grey levels scaled to [0, 1] (pixel / 255f), one row per image.
/// Not thread-safe for training; <see cref="Predict"/> may run on several threads while nothing trains.
/// A network is used by one runspace (thread) at a time while it trains: training takes a cheap ownership guard
/// (<see cref="EnterTraining"/>), and another thread that tries to train, evaluate or predict with it meanwhile gets
/// the error NetworkInUse (Busy) instead of torn or corrupted weights.
/// </summary>
public sealed class Network
{
    private readonly ParameterLayout _layout;
    private readonly Layer[] _layers;
    /// <summary>The flat parameter buffer, 64-byte aligned (see <see cref="Numerics.AlignedFloats"/>): W_0's rows start on cache lines.</summary>
    private readonly Numerics.AlignedFloats _parameters;
    private readonly Dictionary<string, string> _metadata = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Managed thread id of the thread training this network, 0 when none.</summary>
    private int _trainingThread;

    /// <summary>Error id: another thread (runspace) is training this network.</summary>
    public const string InUseErrorId = "NetworkInUse";

    /// <summary>A new network with parameters drawn from <paramref name="seed"/> (see <see cref="WeightInitialization"/>).</summary>
    /// <exception cref="MnistToolsException">InvalidArgument for fewer than two layers, a size below 1, or an undefined enum value.</exception>
    public Network(IReadOnlyList<int> layerSizes, Activation activation = Activation.Sigmoid,
        OutputActivation outputActivation = OutputActivation.Sigmoid, Loss loss = Loss.Quadratic,
        Initializer initializer = Initializer.Default, int seed = 0)
        : this(new ParameterLayout(layerSizes ?? throw new MnistToolsException("LayerSizesMissing", FailureKind.InvalidArgument,
            "Layer sizes are required.", "LayerSizes")), activation, outputActivation, loss, initializer, seed)
    {
        WeightInitialization.Fill(_layout, _parameters.Span, initializer, activation, seed);
    }

    private Network(ParameterLayout layout, Activation activation, OutputActivation outputActivation, Loss loss, Initializer initializer, int seed)
    {
        CheckDefined(activation, "Activation");
        CheckDefined(outputActivation, "OutputActivation");
        CheckDefined(loss, "Loss");
        CheckDefined(initializer, "Initializer");
        _layout = layout;
        _layers = BuildLayers(layout, activation, outputActivation);
        _parameters = new Numerics.AlignedFloats(layout.ParameterCount);
        Activation = activation;
        OutputActivation = outputActivation;
        Loss = loss;
        Initializer = initializer;
        Seed = seed;
    }

    /// <summary>
    /// Rebuilds a network from saved state (Import-Network). <paramref name="parameters"/> must hold exactly
    /// <see cref="ParameterCount"/> values in the <see cref="ParameterLayout"/> order; the optimizer buffers too.
    /// </summary>
    /// <exception cref="MnistToolsException">InvalidData when lengths or values disagree with the architecture.</exception>
    public static Network Restore(IReadOnlyList<int> layerSizes, Activation activation, OutputActivation outputActivation, Loss loss,
        Initializer initializer, int seed, int epochsTrained, ReadOnlySpan<float> parameters,
        OptimizerState? optimizerState, IReadOnlyDictionary<string, string>? metadata)
    {
        Network network;
        try
        {
            network = new Network(new ParameterLayout(layerSizes ?? Array.Empty<int>()), activation, outputActivation, loss, initializer, seed);
        }
        catch (MnistToolsException e)
        {
            throw new MnistToolsException("NetworkStateInvalid", FailureKind.InvalidData, e.Message, e.Target, e);
        }
        if (parameters.Length != network.ParameterCount)
            throw new MnistToolsException("NetworkStateInvalid", FailureKind.InvalidData,
                $"The parameters hold {parameters.Length} values; a {string.Join('-', layerSizes!)} network has {network.ParameterCount}.", "Parameters");
        if (epochsTrained < 0)
            throw new MnistToolsException("NetworkStateInvalid", FailureKind.InvalidData, $"Epochs trained is negative ({epochsTrained}).", "EpochsTrained");
        parameters.CopyTo(network._parameters.Span);
        if (optimizerState is not null)
        {
            optimizerState.Validate(network.ParameterCount);
            network.OptimizerState = optimizerState.Clone();
        }
        network.EpochsTrained = epochsTrained;
        if (metadata is not null)
            foreach (var pair in metadata) network._metadata[pair.Key] = pair.Value;
        return network;
    }

    /// <summary>Units per layer, input first (a copy).</summary>
    public int[] LayerSizes => _layout.LayerSizes.ToArray();

    public Activation Activation { get; }

    public OutputActivation OutputActivation { get; }

    public Loss Loss { get; }

    /// <summary>The initializer asked for (Default resolves to Xavier or He by activation).</summary>
    public Initializer Initializer { get; }

    /// <summary>The seed the starting parameters were drawn from; also the default training seed.</summary>
    public int Seed { get; }

    public int ParameterCount => _layout.ParameterCount;

    /// <summary>Complete epochs of training applied so far (all runs together).</summary>
    public int EpochsTrained { get; internal set; }

    /// <summary>Where each layer's weights and biases sit in the flat buffer.</summary>
    public ParameterLayout Layout => _layout;

    public int InputSize => _layout.InputSize;

    public int OutputSize => _layout.OutputSize;

    /// <summary>The optimizer's carried state; null until the network has been trained.</summary>
    public OptimizerState? OptimizerState { get; internal set; }

    /// <summary>
    /// The unfinished run (schedule position, early stopping's best epoch) of the last Invoke-Training call that used a
    /// schedule or early stopping; null when there is none. Saved with the network, so a checkpoint can be continued.
    /// </summary>
    public TrainingRunState? RunState { get; internal set; }

    /// <summary>Free-form notes kept with the network (data set name, test accuracy...); saved with it.</summary>
    public IDictionary<string, string> Metadata => _metadata;

    /// <summary>A copy of the flat parameter buffer [ParameterCount].</summary>
    public float[] GetParameters() => _parameters.Span.ToArray();

    /// <summary>The live parameter buffer [ParameterCount].</summary>
    internal Span<float> Parameters => _parameters.Span;

    /// <summary>
    /// Forward pass over <paramref name="count"/> inputs.
    /// </summary>
    /// <param name="inputs">[count x InputSize], values pixel / 255f.</param>
    /// <param name="outputs">[count x OutputSize], the output layer's activations.</param>
    public void Predict(ReadOnlySpan<float> inputs, int count, Span<float> outputs)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count));
        if (inputs.Length < (long)count * InputSize)
            throw new ArgumentException($"inputs holds {inputs.Length} values; {count} rows of {InputSize} need {(long)count * InputSize}.", nameof(inputs));
        if (outputs.Length < (long)count * OutputSize)
            throw new ArgumentException($"outputs holds {outputs.Length} values; {count} rows of {OutputSize} need {(long)count * OutputSize}.", nameof(outputs));
        if (count == 0) return;
        CheckNotTrainedElsewhere("used for prediction");
        var buffers = new BatchBuffers(this, Math.Min(count, BatchBuffers.InferenceRows), training: false, bands: 1);
        for (int start = 0; start < count; start += buffers.MaxRows)
        {
            int rows = Math.Min(buffers.MaxRows, count - start);
            inputs.Slice(start * InputSize, rows * InputSize).CopyTo(buffers.Input.AsSpan(0, rows * InputSize));
            Propagation.Forward(this, buffers, 0, rows, 0, BandKey.Inference);
            buffers.Scores.AsSpan(0, rows * OutputSize).CopyTo(outputs.Slice(start * OutputSize, rows * OutputSize));
        }
    }

    /// <summary>
    /// Forward pass over <paramref name="count"/> images given as grey levels: each pixel is scaled to pixel / 255f
    /// exactly as in training and evaluation.
    /// </summary>
    /// <param name="pixels">[count x InputSize] grey levels 0..255.</param>
    /// <param name="outputs">[count x OutputSize], the output layer's activations.</param>
    public void PredictPixels(ReadOnlySpan<byte> pixels, int count, Span<float> outputs)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count));
        if (pixels.Length < (long)count * InputSize)
            throw new ArgumentException($"pixels holds {pixels.Length} values; {count} rows of {InputSize} need {(long)count * InputSize}.", nameof(pixels));
        if (outputs.Length < (long)count * OutputSize)
            throw new ArgumentException($"outputs holds {outputs.Length} values; {count} rows of {OutputSize} need {(long)count * OutputSize}.", nameof(outputs));
        if (count == 0) return;
        int chunk = Math.Min(count, BatchBuffers.InferenceRows);
        var inputs = new float[chunk * InputSize];
        for (int start = 0; start < count; start += chunk)
        {
            int rows = Math.Min(chunk, count - start);
            PixelScaling.ToInputs(pixels.Slice(start * InputSize, rows * InputSize), inputs.AsSpan(0, rows * InputSize));
            Predict(inputs, rows, outputs.Slice(start * OutputSize, rows * OutputSize));
        }
    }

    /// <summary>The layers, input side first: what each computes and holds.</summary>
    public IReadOnlyList<LayerSummary> Layers =>
        _layers.Select((layer, index) => new LayerSummary(index, layer.Kind, layer.OutputShape.ToString(), layer.ParameterCount, layer.Spec)).ToArray();

    /// <summary>The layer specs joined by ', ' (e.g. <c>Dense 128 ReLU, Dense 10 Softmax</c>).</summary>
    public string Architecture => string.Join(", ", _layers.Select(layer => layer.Spec));

    /// <summary>The layers that compute, in order; each owns its slice of <see cref="Parameters"/>.</summary>
    internal IReadOnlyList<Layer> LayerStack => _layers;

    /// <summary>Dense layers for <paramref name="layout"/>: the hidden ones with <paramref name="activation"/>, the last one
    /// linear (its output activation and the loss are the output head's).</summary>
    private static Layer[] BuildLayers(ParameterLayout layout, Activation activation, OutputActivation outputActivation)
    {
        var layers = new Layer[layout.LayerCount];
        int offset = 0;
        for (int l = 0; l < layers.Length; l++)
        {
            bool last = l == layers.Length - 1;
            layers[l] = new DenseLayer(TensorShape.Vector(layout.LayerSizes[l]), layout.LayerSizes[l + 1],
                last ? null : activation, last ? outputActivation.ToString() : activation.ToString());
            offset = layers[l].Place(offset);
            if (layers[l].ParameterOffset != layout.WeightOffset(l) || layers[l].BiasOffset != layout.BiasOffset(l))
                throw new InvalidOperationException("The layers' parameter slices disagree with the parameter layout.");
        }
        return layers;
    }

    /// <summary>True while some thread is training this network.</summary>
    public bool IsTraining => Volatile.Read(ref _trainingThread) != 0;

    /// <summary>
    /// Claims the network for training on the calling thread (re-entrant on that thread); pair with <see cref="ExitTraining"/>.
    /// </summary>
    /// <exception cref="MnistToolsException">NetworkInUse (Busy) when another thread is training it.</exception>
    public void EnterTraining()
    {
        int me = Environment.CurrentManagedThreadId;
        int owner = Interlocked.CompareExchange(ref _trainingThread, me, 0);
        if (owner != 0 && owner != me) throw InUse("trained");
    }

    /// <summary>Releases the claim taken by <see cref="EnterTraining"/> on this thread.</summary>
    public void ExitTraining() => Interlocked.CompareExchange(ref _trainingThread, 0, Environment.CurrentManagedThreadId);

    /// <summary>Refuses to read the weights while another thread is changing them (evaluation, prediction).</summary>
    /// <exception cref="MnistToolsException">NetworkInUse (Busy).</exception>
    public void CheckNotTrainedElsewhere(string what)
    {
        int owner = Volatile.Read(ref _trainingThread);
        if (owner != 0 && owner != Environment.CurrentManagedThreadId) throw InUse(what);
    }

    private MnistToolsException InUse(string what) =>
        new(InUseErrorId, FailureKind.Busy,
            $"The network {Description} is being trained in another runspace (thread), so it cannot be {what} now. " +
            "A network is used by one runspace at a time: wait for that training to finish, or give each runspace its own network " +
            "(New-Network with the same -Seed, or Import-Network from a saved file).", this);

    /// <summary>Reads like <c>784-128-10 ReLU/Softmax CrossEntropy, 101,770 parameters</c>.</summary>
    public string Description =>
        $"{string.Join('-', _layout.LayerSizes)} {Activation}/{OutputActivation} {Loss}, {ParameterCount.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} parameters";

    public override string ToString() => Description;

    private static void CheckDefined<T>(T value, string name) where T : struct, Enum
    {
        if (!Enum.IsDefined(value))
            throw new MnistToolsException("UnknownEnumValue", FailureKind.InvalidArgument, $"{value} is not a valid {name}.", name);
    }
}
