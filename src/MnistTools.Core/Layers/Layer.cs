namespace MnistTools.Layers;

/// <summary>
/// One layer of a network: a forward/backward pair over a lane of rows (images) of a batch, its slice of the network's
/// flat parameter buffer, and its output shape. A layer's parameters are <see cref="Units"/> rows of weights
/// (<see cref="WeightCount"/> in all, L2 applies) followed by <see cref="Units"/> biases, starting at
/// <see cref="ParameterOffset"/>. Every row of a lane is independent of the others in forward and in the input
/// gradient, so the trainer may cut a batch into lanes and run them on different cores.
/// A new layer kind is one subclass of this type: the trainer, the evaluator and prediction know nothing of kinds.
/// </summary>
internal abstract class Layer
{
    protected Layer(TensorShape inputShape, TensorShape outputShape)
    {
        InputShape = inputShape;
        OutputShape = outputShape;
    }

    /// <summary>What one image's input looks like.</summary>
    public TensorShape InputShape { get; }

    /// <summary>What one image's output looks like.</summary>
    public TensorShape OutputShape { get; }

    public int InputSize => InputShape.Size;

    public int OutputSize => OutputShape.Size;

    /// <summary>Where the layer's weights start in the flat parameter buffer (its biases follow them).</summary>
    public int ParameterOffset { get; private set; }

    /// <summary>Rows of the weight matrix (output units or filters), and so the number of biases; 0 without parameters.</summary>
    public virtual int Units => 0;

    /// <summary>Weights in all: <see cref="Units"/> rows of <see cref="WeightCount"/> / <see cref="Units"/>.</summary>
    public virtual int WeightCount => 0;

    /// <summary>Whether the layer has its <see cref="Units"/> biases in the parameter buffer; false for a Dense or Conv2d
    /// made with bias=false (a BatchNorm after it makes them redundant): its kernels then add zeros.</summary>
    public virtual bool HasBias => true;

    /// <summary>Biases in the parameter buffer: <see cref="Units"/>, or 0 without biases.</summary>
    public int BiasCount => HasBias ? Units : 0;

    public int ParameterCount => WeightCount + BiasCount;

    /// <summary>The activation the layer applies to its own output, or null (linear, or no such notion).</summary>
    public virtual Activation? Activation => null;

    /// <summary>Inputs each unit's weights see (the initializers' fan-in).</summary>
    public int FanIn => Units == 0 ? 0 : WeightCount / Units;

    /// <summary>The initializers' fan-out: units a single input feeds (Dense: units; Conv2d: filters · K · K).</summary>
    public virtual int FanOut => Units;

    public int BiasOffset => ParameterOffset + WeightCount;

    /// <summary>The layer kind as a user reads it (Dense, Conv2d...).</summary>
    public abstract string Kind { get; }

    /// <summary>Floats per image kept from forward for backward (e.g. pre-activations).</summary>
    public virtual int SavedSize => 0;

    /// <summary>Scratch floats one lane of <paramref name="rows"/> images needs in forward and backward.</summary>
    public virtual int ScratchSize(int rows) => 0;

    /// <summary>Places the layer's parameters at <paramref name="offset"/>; returns the offset after them.</summary>
    internal int Place(int offset)
    {
        ParameterOffset = offset;
        return checked(offset + ParameterCount);
    }

    public ReadOnlySpan<float> Weights(ReadOnlySpan<float> parameters) => parameters.Slice(ParameterOffset, WeightCount);

    /// <summary>b [Units]: the layer's slice of <paramref name="parameters"/>, or zeros for a layer without biases.</summary>
    public ReadOnlySpan<float> Biases(ReadOnlySpan<float> parameters) => HasBias ? parameters.Slice(BiasOffset, Units) : _zeroBiases ??= new float[Units];

    /// <summary>[Units] zeros, made on first use by a layer without biases.</summary>
    private float[]? _zeroBiases;

    /// <summary>Output (and saved values) of a lane: <see cref="LayerLane.Input"/> → <see cref="LayerLane.Output"/>.</summary>
    public abstract void Forward(ReadOnlySpan<float> parameters, in LayerLane lane);

    /// <summary>
    /// Inference only: the forward of this layer and <paramref name="next"/> as one pass, into <paramref name="nextLane"/>'s
    /// output, with the bits of the two forwards one after the other; this layer's own output is then not written. False
    /// (nothing done) where the pair does not run so.
    /// </summary>
    public virtual bool ForwardWithNext(ReadOnlySpan<float> parameters, in LayerLane lane, Layer next, in LayerLane nextLane) => false;

    /// <summary>Whether inference runs this layer and <paramref name="next"/> as one pass (<see cref="ForwardWithNext"/>),
    /// so that this layer's output is not written.</summary>
    public virtual bool RunsWithNext(Layer next) => false;

    /// <summary>
    /// Backward over a lane after its <see cref="Forward"/>. On entry <see cref="LayerLane.OutputGradient"/> holds
    /// d(loss)/d(output); the layer may overwrite it (it holds d(loss)/d(pre-activation) afterwards, which
    /// <see cref="WeightGradientUnits"/> reads). Writes the lane's bias gradient sums into <paramref name="biasGradient"/>
    /// [Units], its weight gradient into <paramref name="weightGradient"/> [WeightCount] unless that is empty (the trainer
    /// then asks <see cref="WeightGradientUnits"/> over the whole batch), and d(loss)/d(input) into
    /// <see cref="LayerLane.InputGradient"/> unless that is empty (the first layer).
    /// </summary>
    public abstract void Backward(ReadOnlySpan<float> parameters, in LayerLane lane, Span<float> weightGradient, Span<float> biasGradient);

    /// <summary>
    /// Whether the trainer computes this layer's weight gradient over the whole batch by blocks of units
    /// (<see cref="WeightGradientUnits"/>) rather than per lane: worth it where the weights outnumber the batch's inputs.
    /// </summary>
    public virtual bool WeightGradientByUnits(int batch) => false;

    /// <summary>
    /// dW[units first .. first + count) over all <paramref name="rows"/> rows of the batch, into <paramref name="gradient"/>
    /// [count x WeightCount / Units]. <paramref name="outputGradient"/> [rows x OutputSize] as Backward left it,
    /// <paramref name="input"/> [rows x InputSize].
    /// </summary>
    public virtual void WeightGradientUnits(ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> input, int rows, int first, int count,
        Span<float> gradient) => throw new NotSupportedException($"{Kind} computes its weight gradient per lane.");

    /// <summary>Whether <see cref="ForwardUnits"/> exists: forward of a block of output units for every row.</summary>
    public virtual bool CanForwardByUnits => false;

    /// <summary>Output (and saved values) of units [first, first + count) for all rows of <paramref name="lane"/>.</summary>
    public virtual void ForwardUnits(ReadOnlySpan<float> parameters, in LayerLane lane, int first, int count) =>
        throw new NotSupportedException($"{Kind} runs forward by rows only.");

    /// <summary>Floats of non-trainable state the layer keeps in the network's state buffer (BatchNorm: running mean [C],
    /// then running variance [C]), at <see cref="StateOffset"/>; 0 for most layers.</summary>
    public virtual int StateSize => 0;

    /// <summary>Where the layer's state starts in the network's flat state buffer.</summary>
    public int StateOffset { get; private set; }

    /// <summary>Places the layer's state at <paramref name="offset"/>; returns the offset after it.</summary>
    internal int PlaceState(int offset)
    {
        StateOffset = offset;
        return checked(offset + StateSize);
    }

    /// <summary>Writes the state of a new network into <paramref name="state"/> [StateSize].</summary>
    public virtual void InitializeState(Span<float> state) { }

    /// <summary>Writes fixed starting parameters (BatchNorm: γ = 1, β = 0) and returns true, drawing nothing; false when
    /// the initializer draws them.</summary>
    public virtual bool InitializeParameters(Span<float> weights, Span<float> biases) => false;

    /// <summary>
    /// Channels of a layer whose training forward and backward need every row of the batch at once (batch statistics);
    /// 0 for a layer whose rows are independent. The trainer runs such a layer over the whole batch, cut by channel ranges
    /// (<see cref="ForwardBatch"/>, <see cref="BackwardBatch"/>), and the other layers by rows around it; evaluation and
    /// prediction run <see cref="Forward"/> by rows as for any layer.
    /// </summary>
    public virtual int BatchChannels => 0;

    public bool UsesBatchStatistics => BatchChannels > 0;

    /// <summary>Floats a training batch keeps between <see cref="ForwardBatch"/> and <see cref="BackwardBatch"/> (not per row).</summary>
    public virtual int BatchStatisticsSize => 0;

    /// <summary>
    /// Training forward of channels [first, first + count) over every row of <paramref name="lane"/> (the whole batch):
    /// output and saved values of those channels, the batch's statistics into <paramref name="statistics"/>
    /// [BatchStatisticsSize], and, when <paramref name="updateState"/>, the running state [StateSize].
    /// </summary>
    public virtual void ForwardBatch(ReadOnlySpan<float> parameters, Span<float> state, in LayerLane lane, Span<float> statistics,
        bool updateState, int first, int count) => throw new NotSupportedException($"{Kind} runs forward by rows.");

    /// <summary>
    /// Training backward of channels [first, first + count) over the whole batch after <see cref="ForwardBatch"/>: those
    /// channels of d(input), and their weight and bias gradients over the whole batch into <paramref name="weightGradient"/>
    /// [WeightCount] and <paramref name="biasGradient"/> [Units] (only the channels' entries are written).
    /// </summary>
    public virtual void BackwardBatch(ReadOnlySpan<float> parameters, in LayerLane lane, ReadOnlySpan<float> statistics, int first, int count,
        Span<float> weightGradient, Span<float> biasGradient) => throw new NotSupportedException($"{Kind} runs backward by rows.");

    public override string ToString() => $"{Kind} {InputShape} -> {OutputShape}";
}
