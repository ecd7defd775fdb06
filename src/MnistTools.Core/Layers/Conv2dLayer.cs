using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MnistTools.Numerics;

namespace MnistTools.Layers;

/// <summary>
/// A 2-D convolution with an optional activation f (<see cref="Conv2dKernels"/>). Per image: X [C x H x W] →
/// Z [F x OH x OW] = W ⊛ X + b, Y = f(Z) (Z saved when f exists and the lane keeps saved values, as in training).
/// Parameters: W [F x C x K x K], then b [F].
/// The weight gradient is summed per lane (the two lanes' shares are added by the trainer).
/// A ReLU convolution whose output only a 2 x 2, stride 2 max pooling reads leaves ReLU's derivative to that pooling
/// (<see cref="LeavesDerivativeToPooling"/>): its dY is then dZ already, so it saves no Z and skips the f' pass.
/// </summary>
internal sealed class Conv2dLayer : Layer
{
    private readonly Conv2dShape _shape;
    private readonly Activation? _activation;
    private readonly bool _bias;
    private readonly float _slope;
    private readonly bool _derivativeInPooling;

    /// <param name="bias">False: no biases in the parameter buffer (b = 0), for a layer a BatchNorm follows.</param>
    /// <param name="slope">LeakyReLU's slope for negative inputs.</param>
    /// <param name="derivativeInPooling">ReLU only: the max pooling after this layer applies ReLU's derivative
    /// (<see cref="MaxPool2dLayer.AppliesReLUDerivative"/>).</param>
    public Conv2dLayer(TensorShape inputShape, Conv2dShape shape, Activation? activation, bool bias = true, float slope = ActivationFunctions.LeakyReLUSlope,
        bool derivativeInPooling = false)
        : base(inputShape, new TensorShape(shape.Filters, shape.OutputHeight, shape.OutputWidth))
    {
        if (derivativeInPooling && activation != Layers.Activation.ReLU)
            throw new ArgumentException("Only ReLU's derivative can be left to the pooling.", nameof(derivativeInPooling));
        _shape = shape;
        _activation = activation;
        _bias = bias;
        _slope = slope;
        _derivativeInPooling = derivativeInPooling;
    }

    /// <summary>The same layer, its ReLU's derivative applied by the max pooling after it: dY arrives as dZ.</summary>
    public Conv2dLayer LeavesDerivativeToPooling() => new(InputShape, _shape, _activation, _bias, _slope, derivativeInPooling: true);

    /// <summary>Whether the pooling after this layer applies its ReLU's derivative.</summary>
    public bool DerivativeInPooling => _derivativeInPooling;

    public override bool HasBias => _bias;

    public Conv2dShape Shape => _shape;

    public override int Units => _shape.Filters;

    public override Activation? Activation => _activation;

    public override int FanOut => _shape.Filters * _shape.Kernel * _shape.Kernel;

    public override int WeightCount => _shape.WeightCount;

    public override string Kind => "Conv2d";

    /// <summary>Z, for f' in backward; none without f or when the pooling after it applies ReLU's derivative.</summary>
    public override int SavedSize => _activation is null || _derivativeInPooling ? 0 : OutputSize;

    public override int ScratchSize(int rows) => _shape.ScratchFloats(rows);

    /// <summary>Output floats per forward chunk with an activation: Z and Y of a chunk (256 KiB) stay in L2 between the
    /// convolution writing Z and the activation reading it.</summary>
    private const int ChunkFloats = 32 * 1024;

    /// <summary>Images per forward chunk: about <see cref="ChunkFloats"/> outputs, a whole number of im2col groups (Y does
    /// not depend on the grouping, and whole groups keep the GEMMs as wide as one call over the lane would).</summary>
    private int ChunkImages(int rows)
    {
        int group = _shape.ImagesPerGroup(rows), images = Math.Max(1, ChunkFloats / OutputSize);
        return images < group ? images : images / group * group;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Forward(ReadOnlySpan<float> parameters, in LayerLane lane)
    {
        if (_activation is not { } activation)
        {
            Conv2dKernels.Conv2dForward(lane.Input, Weights(parameters), Biases(parameters), _shape, lane.Output, lane.Scratch, lane.Rows);
            return;
        }
        if (lane.Saved.IsEmpty)
        {
            // Inference, or training with ReLU' in the pooling after it: Y = f(Z) straight into the output.
            Conv2dKernels.Conv2dForward(lane.Input, Weights(parameters), Biases(parameters), _shape, lane.Output, lane.Scratch, lane.Rows, activation, _slope);
            return;
        }
        if (Conv2dKernels.StoresBoth(_shape, activation))
        {
            // Z and Y = f(Z) stored together from the kernel's registers.
            Conv2dKernels.Conv2dForwardSaved(lane.Input, Weights(parameters), Biases(parameters), _shape, lane.Saved, lane.Output, lane.Scratch,
                lane.Rows, activation, _slope);
            return;
        }
        // Z then Y = f(Z), a chunk of images at a time.
        int chunk = ChunkImages(lane.Rows), inputs = InputSize, outputs = OutputSize;
        for (int first = 0; first < lane.Rows; first += chunk)
        {
            int images = Math.Min(chunk, lane.Rows - first);
            Span<float> z = lane.Saved.Slice(first * outputs, images * outputs);
            Conv2dKernels.Conv2dForwardSaved(lane.Input.Slice(first * inputs, images * inputs), Weights(parameters), Biases(parameters), _shape, z,
                lane.Output.Slice(first * outputs, images * outputs), lane.Scratch, images, activation, _slope);
        }
    }

    /// <summary>A ReLU convolution followed by a 2 x 2, stride 2 max pooling: <see cref="Conv2dPooled"/> (shallow patches) or
    /// <see cref="Conv2dImplicitPooled"/> (filters in blocks of 64) where they apply on AVX-512, not under Winograd (whose
    /// sums they would not repeat). In inference; in training when the pooling applies ReLU's derivative (the pair of
    /// <see cref="LeavesDerivativeToPooling"/>), writing its winners, so that nothing reads this layer's output.</summary>
    public override bool ForwardWithNext(ReadOnlySpan<float> parameters, in LayerLane lane, Layer next, in LayerLane nextLane)
    {
        if (!lane.Saved.IsEmpty || next is not MaxPool2dLayer pooling || PooledKernel(pooling) is not { } shallow) return false;
        Span<byte> winners = MemoryMarshal.AsBytes(nextLane.Saved);
        if (!winners.IsEmpty && !(_derivativeInPooling && pooling.AppliesReLUDerivative)) return false;
        if (!winners.IsEmpty) winners = winners[..(lane.Rows * pooling.OutputSize)];
        if (shallow)
            Conv2dPooled.Forward(lane.Input, Weights(parameters), Biases(parameters), _shape, pooling.Shape, nextLane.Output, lane.Scratch, lane.Rows, winners);
        else
            Conv2dImplicitPooled.Forward(lane.Input, Weights(parameters), Biases(parameters), _shape, pooling.Shape, nextLane.Output, lane.Scratch, lane.Rows,
                winners);
        return true;
    }

    public override bool RunsWithNext(Layer next) => next is MaxPool2dLayer pooling && PooledKernel(pooling) is not null;

    /// <summary>Which kernel runs this layer and <paramref name="pooling"/> as one pass on this thread: true for
    /// <see cref="Conv2dPooled"/>, false for <see cref="Conv2dImplicitPooled"/>, null for none.</summary>
    private bool? PooledKernel(MaxPool2dLayer pooling)
    {
        if (_activation != Layers.Activation.ReLU || Conv2dWinograd.Applies(_shape)) return null;
        InstructionSet path = ComputeSettings.InstructionSet;
        if (Conv2dPooled.Applies(_shape, pooling.Shape, path)) return true;
        return Conv2dImplicitPooled.Applies(_shape, pooling.Shape, path) ? false : null;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Backward(ReadOnlySpan<float> parameters, in LayerLane lane, Span<float> weightGradient, Span<float> biasGradient)
    {
        if (_activation is { } activation && !_derivativeInPooling)
            Conv2dKernels.Conv2dBackward(lane.OutputGradient, lane.Saved, lane.Output, activation, lane.Input, Weights(parameters), _shape,
                weightGradient, biasGradient, lane.InputGradient, lane.Scratch, lane.Rows, _slope);
        else // no f, or dY is dZ already
            Conv2dKernels.Conv2dBackward(lane.OutputGradient, lane.Input, Weights(parameters), _shape, weightGradient, biasGradient,
                lane.InputGradient, lane.Scratch, lane.Rows);
    }
}
