using MnistTools.Errors;
using MnistTools.Layers;
using MnistTools.Numerics;
using MnistTools.Training;

namespace MnistTools;

/// <summary>
/// A feed-forward network: a checked layer list (<see cref="LayerSequence"/>) and the layers that compute it. All
/// parameters live in one flat float buffer, each layer's weights then biases in list order (the kind says their shape:
/// Dense W [out x in] row-major, Conv2d W [F x C x K x K]).
/// Inputs are grey levels scaled to [0, 1] (pixel / 255f), one row per image.
/// Not thread-safe for training; <see cref="Predict"/> may run on several threads while nothing trains.
/// A network is used by one runspace (thread) at a time while it trains: training takes a cheap ownership guard
/// (<see cref="EnterTraining"/>), and another thread that tries to train, evaluate or predict with it meanwhile gets
/// the error NetworkInUse (Busy) instead of torn or corrupted weights.
/// </summary>
public sealed class Network
{
    private readonly int[] _inputShape;
    /// <summary>The layer list as the user sees it, Flatten included.</summary>
    private readonly ResolvedLayer[] _resolved;
    /// <summary>The layers that compute (Flatten reads the same values as a vector and is not one of them), the output
    /// head and the flat parameter buffer.</summary>
    private readonly LayerStack _stack;
    /// <summary>Units per layer, input first, when every computing layer is Dense; null otherwise.</summary>
    private readonly int[]? _layerSizes;
    /// <summary>Per layer of <see cref="_resolved"/>: whether a layer of <see cref="_stack"/> computes it.</summary>
    private readonly bool[] _computes;
    private readonly Dictionary<string, string> _metadata = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Managed thread id of the thread training this network, 0 when none.</summary>
    private int _trainingThread;

    /// <summary>
    /// A new dense network with parameters drawn from <paramref name="seed"/> (see <see cref="WeightInitialization"/>):
    /// the same as the layer list <c>Dense n_1 activation, ..., Dense n_L outputActivation</c> on an input of n_0 values.
    /// </summary>
    /// <exception cref="MnistToolsException">InvalidArgument for fewer than two layers, a size below 1, or an undefined enum value.</exception>
    public Network(IReadOnlyList<int> layerSizes, Activation activation = Activation.Sigmoid,
        Activation outputActivation = Activation.Sigmoid, Loss loss = Loss.Quadratic,
        Initializer initializer = Initializer.Default, int seed = 0)
        : this(DenseInput(layerSizes), LayerSequence.DenseSpecs(layerSizes!, activation, outputActivation), loss, initializer, seed, activation)
    {
        WeightInitialization.Fill(_stack.Layers, _stack.Parameters, initializer, Activation, seed);
    }

    /// <summary>
    /// A new network of <paramref name="layers"/> on images of <paramref name="inputShape"/> ([values] or
    /// [channels, height, width]), with parameters drawn from <paramref name="seed"/>. The last layer is Dense with
    /// Softmax or Sigmoid.
    /// </summary>
    /// <exception cref="MnistToolsException">InvalidArgument: a layer list or shape that does not fit (see <see cref="LayerSequence.CheckSequence"/>).</exception>
    public Network(IReadOnlyList<int> inputShape, IReadOnlyList<LayerSpec> layers, Loss loss = Loss.CrossEntropy,
        Initializer initializer = Initializer.Default, int seed = 0)
        : this(inputShape?.ToArray() ?? throw new MnistToolsException(ErrorIds.InputShapeInvalid, FailureKind.InvalidArgument,
            "An input shape is required.", "InputShape"), layers, loss, initializer, seed, hiddenActivation: null)
    {
        WeightInitialization.Fill(_stack.Layers, _stack.Parameters, initializer, Activation, seed);
    }

    /// <param name="hiddenActivation">The network's <see cref="Activation"/> when the caller names it (a dense network
    /// given by layer sizes, which may have no hidden layer to carry it); null to take it from the layer list.</param>
    private Network(int[] inputShape, IReadOnlyList<LayerSpec> specs, Loss loss, Initializer initializer, int seed, Activation? hiddenActivation)
    {
        CheckDefined(loss, "Loss");
        CheckDefined(initializer, "Initializer");
        _resolved = LayerSequence.CheckSequence(specs ?? throw new MnistToolsException(ErrorIds.LayerSequenceInvalid, FailureKind.InvalidArgument,
            "A layer list is required.", LayerSpec.ErrorTarget), inputShape).ToArray();
        _inputShape = inputShape;
        OutputActivation = LayerSequence.OutputActivationOf(specs);
        // The hidden activation: as named, else the first hidden Dense or Conv2d layer's (Sigmoid when there is none);
        // the Default initializer of the last layer follows it.
        Activation = hiddenActivation ?? _resolved.Take(_resolved.Length - 1).Select(layer => layer.Spec.Activation)
            .Where(a => a is not Activation.None and not Activation.Softmax).DefaultIfEmpty(Activation.Sigmoid).First();
        Loss = loss;
        Initializer = initializer;
        Seed = seed;
        Layer?[] built = LayerFactory.Create(_resolved);
        _stack = new LayerStack(built.OfType<Layer>().ToArray(), OutputActivation, loss);
        _computes = built.Select(layer => layer is not null).ToArray();
        _layerSizes = LayerSequence.DenseLayerSizes(_resolved);
    }

    /// <summary>The input of a dense network given by layer sizes, after checking the sizes (their rules and error ids).</summary>
    private static int[] DenseInput(IReadOnlyList<int>? layerSizes) =>
        [LayerSequence.CheckLayerSizes(layerSizes ?? throw new MnistToolsException(ErrorIds.LayerSizesMissing, FailureKind.InvalidArgument,
            "Layer sizes are required.", "LayerSizes"))];

    /// <summary>
    /// Rebuilds a dense network from saved state (a version 1 network file). <paramref name="parameters"/> must hold
    /// exactly <see cref="ParameterCount"/> values, layer by layer (weights, then biases); the optimizer buffers too.
    /// </summary>
    /// <exception cref="MnistToolsException">NetworkStateInvalid (InvalidData) when lengths or values disagree with the architecture.</exception>
    public static Network Restore(IReadOnlyList<int> layerSizes, Activation activation, Activation outputActivation, Loss loss,
        Initializer initializer, int seed, int epochsTrained, ReadOnlySpan<float> parameters,
        OptimizerState? optimizerState, IReadOnlyDictionary<string, string>? metadata)
    {
        Network network;
        try
        {
            network = new Network(DenseInput(layerSizes), LayerSequence.DenseSpecs(layerSizes, activation, outputActivation), loss, initializer, seed, activation);
        }
        catch (MnistToolsException e)
        {
            throw new MnistToolsException(ErrorIds.NetworkStateInvalid, FailureKind.InvalidData, e.Message, e.Target, e);
        }
        return network.RestoreState(epochsTrained, parameters, optimizerState, metadata);
    }

    /// <summary>
    /// Rebuilds a network of any layer list from saved state (a version 2 network file); see the dense overload.
    /// <paramref name="activation"/> is the saved <see cref="Activation"/>, which a layer list without hidden layers cannot carry.
    /// </summary>
    public static Network Restore(IReadOnlyList<int> inputShape, IReadOnlyList<LayerSpec> layers, Activation activation, Loss loss,
        Initializer initializer, int seed, int epochsTrained, ReadOnlySpan<float> parameters, OptimizerState? optimizerState,
        IReadOnlyDictionary<string, string>? metadata)
    {
        Network network;
        try
        {
            ActivationRoles.CheckHidden(activation, "Activation");
            network = new Network(inputShape?.ToArray() ?? Array.Empty<int>(), layers, loss, initializer, seed, activation);
        }
        catch (MnistToolsException e)
        {
            throw new MnistToolsException(ErrorIds.NetworkStateInvalid, FailureKind.InvalidData, e.Message, e.Target, e);
        }
        return network.RestoreState(epochsTrained, parameters, optimizerState, metadata);
    }

    private Network RestoreState(int epochsTrained, ReadOnlySpan<float> parameters, OptimizerState? optimizerState,
        IReadOnlyDictionary<string, string>? metadata)
    {
        if (parameters.Length != ParameterCount)
            throw new MnistToolsException(ErrorIds.NetworkStateInvalid, FailureKind.InvalidData,
                $"The parameters hold {parameters.Length} values; the network {Architecture} has {ParameterCount}.", "Parameters");
        if (epochsTrained < 0)
            throw new MnistToolsException(ErrorIds.NetworkStateInvalid, FailureKind.InvalidData, $"Epochs trained is negative ({epochsTrained}).", "EpochsTrained");
        parameters.CopyTo(_stack.Parameters);
        if (optimizerState is not null)
        {
            optimizerState.Validate(ParameterCount);
            OptimizerState = optimizerState.Clone();
        }
        EpochsTrained = epochsTrained;
        if (metadata is not null)
            foreach (var pair in metadata) _metadata[pair.Key] = pair.Value;
        return this;
    }

    /// <summary>One image's shape: [values] or [channels, height, width] (a copy).</summary>
    public int[] InputShape => _inputShape.ToArray();

    /// <summary>Whether every layer that computes is Dense (the network has <see cref="LayerSizes"/>).</summary>
    public bool IsDense => _layerSizes is not null;

    /// <summary>Units per layer, input first (a copy), for dense networks; null when a layer is not Dense.</summary>
    public int[]? LayerSizes => _layerSizes?.ToArray();

    /// <summary>The hidden activation (of every hidden layer of a dense network built from layer sizes; else the first hidden layer's).</summary>
    public Activation Activation { get; }

    /// <summary>The last layer's activation, applied with the loss.</summary>
    public Activation OutputActivation { get; }

    public Loss Loss { get; }

    /// <summary>The initializer asked for (Default resolves to Xavier or He by activation).</summary>
    public Initializer Initializer { get; }

    /// <summary>The seed the starting parameters were drawn from; also the default training seed.</summary>
    public int Seed { get; }

    public int ParameterCount => _stack.ParameterCount;

    /// <summary>Complete epochs of training applied so far (all runs together).</summary>
    public int EpochsTrained { get; internal set; }

    /// <summary>Values of one image (the product of <see cref="InputShape"/>).</summary>
    public int InputSize => _stack.InputSize;

    /// <summary>Classes the network scores.</summary>
    public int OutputSize => _stack.OutputSize;

    /// <summary>The optimizer's carried state; null until the network has been trained.</summary>
    public OptimizerState? OptimizerState { get; internal set; }

    /// <summary>
    /// The unfinished run (schedule position, early stopping's best epoch) of the last Invoke-Training call that used a
    /// schedule or early stopping; null when there is none. Saved with the network, so a checkpoint can be continued.
    /// </summary>
    public TrainingRunState? RunState { get; internal set; }

    /// <summary>
    /// The identity of the checkpoints this network writes (32 hex digits), stored in each checkpoint and taken over by a
    /// network imported from one; null until its first checkpoint. A checkpoint replaces only a file with the same identity
    /// or one that holds the network's present state (see <see cref="Training.TrainingRun"/>).
    /// </summary>
    internal string? CheckpointRunId { get; set; }

    /// <summary>Free-form notes kept with the network (data set name, test accuracy...); saved with it.</summary>
    public IDictionary<string, string> Metadata => _metadata;

    /// <summary>A copy of the flat parameter buffer [ParameterCount].</summary>
    public float[] GetParameters() => _stack.Parameters.ToArray();

    /// <summary>
    /// A copy of the weights of layer <paramref name="index"/> of <see cref="Layers"/>: Dense [units x inputs],
    /// Conv2d [filters x channels x kernel x kernel], row-major; empty for a layer without parameters.
    /// </summary>
    public float[] GetWeights(int index)
    {
        if (index < 0 || index >= _resolved.Length) throw new ArgumentOutOfRangeException(nameof(index));
        int offset = 0;
        for (int l = 0; l < index; l++) offset += (int)_resolved[l].ParameterCount;
        return _stack.Parameters.Slice(offset, _resolved[index].WeightCount).ToArray();
    }

    /// <summary>Floats of non-trainable state (BatchNorm's running statistics); 0 for a network without such layers.</summary>
    public int StateCount => _stack.StateCount;

    /// <summary>A copy of the flat non-trainable state [StateCount]: per BatchNorm layer, in layer order, its running
    /// mean [C] then its running variance [C].</summary>
    public float[] GetState() => _stack.State.ToArray();

    /// <summary>The live non-trainable state [StateCount].</summary>
    internal Span<float> State => _stack.State;

    /// <summary>The live parameter buffer [ParameterCount].</summary>
    internal Span<float> Parameters => _stack.Parameters;

    /// <summary>
    /// Forward pass over <paramref name="count"/> inputs, on both cores (<see cref="Predictor"/>). Each call makes its own
    /// predictor and buffers; keep a <see cref="Predictor"/> for many calls.
    /// </summary>
    /// <param name="inputs">[count x InputSize], values pixel / 255f.</param>
    /// <param name="outputs">[count x OutputSize], the output layer's activations.</param>
    /// <param name="threadCount">Threads, 1..<see cref="Numerics.ComputeSettings.MaxThreads"/>; null decides by problem size.
    /// The bits are the same for any count.</param>
    public void Predict(ReadOnlySpan<float> inputs, int count, Span<float> outputs, int? threadCount = null)
    {
        Numerics.ComputeSettings.CheckThreadCount(threadCount);
        new Predictor(this).Predict(inputs, count, outputs, threadCount);
    }

    /// <summary>
    /// Forward pass over <paramref name="count"/> images given as grey levels: each pixel is scaled to pixel / 255f
    /// exactly as in training and evaluation. Each call makes its own <see cref="Predictor"/>; keep one for many calls.
    /// </summary>
    /// <param name="pixels">[count x InputSize] grey levels 0..255.</param>
    /// <param name="outputs">[count x OutputSize], the output layer's activations.</param>
    /// <param name="threadCount">Threads, 1..<see cref="Numerics.ComputeSettings.MaxThreads"/>; null decides by problem size.</param>
    public void PredictPixels(ReadOnlySpan<byte> pixels, int count, Span<float> outputs, int? threadCount = null)
    {
        Numerics.ComputeSettings.CheckThreadCount(threadCount);
        new Predictor(this).PredictPixels(pixels, count, outputs, threadCount);
    }

    /// <summary>The layers, input side first: what each computes and holds.</summary>
    public IReadOnlyList<LayerSummary> Layers =>
        _resolved.Select((layer, index) => new LayerSummary(index, layer.Spec.Kind.Name, ResolvedLayer.FormatShape(layer.OutputShape),
            (int)layer.ParameterCount, layer.Spec.ToString())).ToArray();

    /// <summary>The layer specs (Flatten included) joined by ', ' (e.g. <c>Dense 128 ReLU, Dense 10 Softmax</c>).</summary>
    public string Architecture => string.Join(", ", _resolved.Select(layer => layer.Spec.ToString()));

    /// <summary>The checked layer list with every layer's input and output shape, Flatten included.</summary>
    public IReadOnlyList<ResolvedLayer> ResolvedLayers => _resolved;

    /// <summary>The layer list as specs, Flatten included (a copy).</summary>
    public LayerSpec[] LayerSpecs => _resolved.Select(layer => layer.Spec).ToArray();

    /// <summary>The layers that compute, in order (each owns its slice of <see cref="Parameters"/>), and the output head.</summary>
    internal LayerStack Stack => _stack;

    /// <summary>
    /// What every layer of <see cref="Layers"/> outputs for one image given as grey levels (inference: dropout is the
    /// identity): element l holds layer l's output, shaped as <see cref="LayerSummary.OutputShape"/> says (row-major;
    /// Flatten's is its input's values); the last element is the class scores after the output activation.
    /// </summary>
    /// <param name="pixels">[InputSize] grey levels 0..255.</param>
    public float[][] GetLayerOutputs(ReadOnlySpan<byte> pixels)
    {
        if (pixels.Length != InputSize)
            throw new ArgumentException($"pixels holds {pixels.Length} values; the network takes {InputSize}.", nameof(pixels));
        CheckNotTrainedElsewhere("used for prediction");
        WorkingMemory.CheckInference(Stack, 1);
        var buffers = new BatchBuffers(Stack, 1, training: false, lanes: 1);
        PixelScaling.ToInputs(pixels, buffers.Input.AsSpan(0, InputSize));
        Propagation.Forward(Stack, buffers, 0, 1, 0, LaneKey.Inference);
        var outputs = new float[_resolved.Length][];
        int computing = -1;
        for (int l = 0; l < _resolved.Length; l++)
        {
            if (_computes[l]) computing++;
            // A layer that computes nothing (Flatten) outputs the previous layer's (or the input's) values.
            outputs[l] = computing < 0 ? buffers.Input.AsSpan(0, InputSize).ToArray()
                : buffers.Outputs[computing].AsSpan(0, _stack.Layers[computing].OutputSize).ToArray();
        }
        buffers.Scores.AsSpan(0, OutputSize).CopyTo(outputs[^1]);
        return outputs;
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
        new(ErrorIds.NetworkInUse, FailureKind.Busy,
            $"The network {Description} is being trained in another runspace (thread), so it cannot be {what} now. " +
            "A network is used by one runspace at a time: wait for that training to finish, or give each runspace its own network " +
            "(New-Network with the same -Seed, or Import-Network from a saved file).", this);

    /// <summary>Reads like <c>784-128-10 ReLU/Softmax CrossEntropy, 101,770 parameters</c> for a dense network, and like
    /// <c>1x28x28 Conv2d 32 3 ReLU, MaxPool2d 2, Flatten, Dense 10 Softmax; CrossEntropy, 54,410 parameters</c> otherwise.</summary>
    public string Description
    {
        get
        {
            string parameters = ParameterCount.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
            bool uniform = _layerSizes is not null && _resolved.Take(_resolved.Length - 1).All(layer => layer.Spec.Activation == Activation);
            return uniform
                ? $"{string.Join('-', _layerSizes!)} {Activation}/{OutputActivation} {Loss}, {parameters} parameters"
                : $"{string.Join('x', _inputShape)} {Architecture}; {Loss}, {parameters} parameters";
        }
    }

    public override string ToString() => Description;

    private static void CheckDefined<T>(T value, string name) where T : struct, Enum
    {
        if (!Enum.IsDefined(value))
            throw new MnistToolsException(ErrorIds.UnknownEnumValue, FailureKind.InvalidArgument, $"{value} is not a valid {name}.", name);
    }
}
