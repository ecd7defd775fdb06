using System.Runtime.CompilerServices;

namespace MnistTools.Layers;

/// <summary>
/// Batch normalisation per channel (<see cref="BatchNormKernels"/>) with an optional activation f: after a convolution
/// X [C x H x W] is normalised per channel over the batch and the H·W positions, after a dense layer X [N] per feature
/// (C = N, S = 1). Per image: Z = X̂·γ + β, Y = f(Z); ReLU runs inside the kernels, another f after them on a saved Z
/// (training).
/// Parameters: γ [C] as the layer's "weights" (starting at 1; L2 applies to them like any weight), then β [C] as its
/// biases (starting at 0). State (not trained, in the network's state buffer): running mean [C], then running variance
/// [C], starting at 0 and 1. Training runs <see cref="ForwardBatch"/> and <see cref="BackwardBatch"/> over the whole
/// batch by channel ranges; evaluation and prediction run <see cref="Forward"/> with the running statistics.
/// </summary>
internal sealed class BatchNormLayer : Layer
{
    public const float DefaultMomentum = 0.1f;
    public const float DefaultEpsilon = 1e-5f;

    private readonly Activation? _activation;
    private readonly int _channels, _spatial;
    private readonly float _slope;

    /// <param name="shape">One image's input (and output) shape: channels x height x width, or a vector of features.</param>
    /// <param name="momentum">PyTorch's momentum: the weight of the batch's statistics in the running ones, in (0, 1].</param>
    /// <param name="epsilon">Added to the variance, &gt; 0.</param>
    /// <param name="slope">LeakyReLU's slope for negative inputs.</param>
    public BatchNormLayer(TensorShape shape, Activation? activation, float momentum = DefaultMomentum, float epsilon = DefaultEpsilon,
        float slope = ActivationFunctions.LeakyReLUSlope)
        : base(shape, shape)
    {
        if (!(momentum > 0f && momentum <= 1f)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "The momentum must lie in (0, 1].");
        if (!(epsilon > 0f) || !float.IsFinite(epsilon)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "Epsilon must be positive and finite.");
        _activation = activation;
        _channels = shape.Channels;
        _spatial = shape.Height * shape.Width;
        Momentum = momentum;
        Epsilon = epsilon;
        _slope = slope;
    }

    public float Momentum { get; }

    public float Epsilon { get; }

    public override Activation? Activation => _activation;

    public override string Kind => "BatchNorm";

    public override int Units => _channels;

    public override int WeightCount => _channels;

    /// <summary>ReLU is fused into the kernels (backward recomputes Z from X): only another activation keeps Z.</summary>
    public override int SavedSize => _activation is null or Layers.Activation.ReLU ? 0 : OutputSize;

    /// <summary>The activation the kernels apply themselves (ReLU), rather than <see cref="ActivationFunctions"/> after them.</summary>
    private bool FusedReLU => _activation == Layers.Activation.ReLU;

    public override int StateSize => 2 * _channels;

    public override int BatchChannels => _channels;

    /// <summary>The batch's μ [C], then 1/σ [C].</summary>
    public override int BatchStatisticsSize => 2 * _channels;

    public override void InitializeState(Span<float> state)
    {
        state.Slice(0, _channels).Clear();
        state.Slice(_channels, _channels).Fill(1f);
    }

    public override bool InitializeParameters(Span<float> weights, Span<float> biases)
    {
        weights.Fill(1f);
        biases.Clear();
        return true;
    }

    /// <summary>Inference: the running statistics, Y = f(Z) written in place into the output.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Forward(ReadOnlySpan<float> parameters, in LayerLane lane)
    {
        if (lane.Key.Training)
            throw new InvalidOperationException("In training BatchNorm runs over the whole batch (ForwardBatch), not by rows.");
        ReadOnlySpan<float> state = lane.State;
        BatchNormKernels.InferenceForward(lane.Input, Weights(parameters), Biases(parameters), state.Slice(0, _channels), state.Slice(_channels, _channels),
            lane.Output, lane.Rows, _channels, _spatial, Epsilon, FusedReLU);
        if (_activation is { } activation && !FusedReLU) ActivationFunctions.ActivationForward(activation, lane.Output, lane.Output, _slope);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void ForwardBatch(ReadOnlySpan<float> parameters, Span<float> state, in LayerLane lane, Span<float> statistics,
        bool updateState, int first, int count)
    {
        if (count == 0) return;
        Span<float> z = _activation is null || FusedReLU ? lane.Output : lane.Saved;
        BatchNormKernels.TrainingForward(lane.Input, Weights(parameters), Biases(parameters), z, statistics.Slice(0, _channels),
            statistics.Slice(_channels, _channels), state.Slice(0, _channels), state.Slice(_channels, _channels), lane.Rows, _channels, _spatial,
            first, count, Momentum, Epsilon, updateState, FusedReLU);
        if (_activation is not { } activation || FusedReLU) return;
        // The channel range is one contiguous run of values in each row.
        int start = first * _spatial, length = count * _spatial;
        for (int r = 0; r < lane.Rows; r++)
            ActivationFunctions.ActivationForward(activation, z.Slice(r * OutputSize + start, length), lane.Output.Slice(r * OutputSize + start, length), _slope);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void BackwardBatch(ReadOnlySpan<float> parameters, in LayerLane lane, ReadOnlySpan<float> statistics, int first, int count,
        Span<float> weightGradient, Span<float> biasGradient)
    {
        if (count == 0) return;
        if (_activation is { } activation && !FusedReLU)
        {
            int start = first * _spatial, length = count * _spatial;
            for (int r = 0; r < lane.Rows; r++)
            {
                int at = r * OutputSize + start;
                ActivationFunctions.ActivationBackward(activation, lane.Saved.Slice(at, length), lane.Output.Slice(at, length), lane.OutputGradient.Slice(at, length), _slope);
            }
        }
        BatchNormKernels.TrainingBackward(lane.OutputGradient, lane.Input, Weights(parameters), statistics.Slice(0, _channels),
            statistics.Slice(_channels, _channels), weightGradient, biasGradient, lane.InputGradient, lane.Rows, _channels, _spatial, first, count,
            FusedReLU ? Biases(parameters) : default);
    }

    public override void Backward(ReadOnlySpan<float> parameters, in LayerLane lane, Span<float> weightGradient, Span<float> biasGradient) =>
        throw new InvalidOperationException("In training BatchNorm runs over the whole batch (BackwardBatch), not by rows.");
}
