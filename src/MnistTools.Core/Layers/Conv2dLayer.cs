using System.Runtime.CompilerServices;

namespace MnistTools.Layers;

/// <summary>
/// A 2-D convolution with an optional activation f (<see cref="Conv2dKernels"/>). Per image: X [C x H x W] →
/// Z [F x OH x OW] = W ⊛ X + b, Y = f(Z) (Z saved when f exists). Parameters: W [F x C x K x K], then b [F].
/// The weight gradient is summed per band (the two lanes' shares are added by the trainer).
/// </summary>
internal sealed class Conv2dLayer : Layer
{
    private readonly Conv2dShape _shape;
    private readonly Activation? _activation;
    private readonly string _spec;

    public Conv2dLayer(TensorShape inputShape, Conv2dShape shape, Activation? activation, string spec)
        : base(inputShape, new TensorShape(shape.Filters, shape.OutputHeight, shape.OutputWidth))
    {
        _shape = shape;
        _activation = activation;
        _spec = spec;
    }

    public Conv2dShape Shape => _shape;

    public override int Units => _shape.Filters;

    public override Activation? Activation => _activation;

    public override int FanOut => _shape.Filters * _shape.Kernel * _shape.Kernel;

    public override int WeightCount => _shape.WeightCount;

    public override string Kind => "Conv2d";

    public override string Spec => _spec;

    public override int SavedSize => _activation is null ? 0 : OutputSize;

    public override int ScratchSize(int rows) => _shape.ScratchFloats(rows);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Forward(ReadOnlySpan<float> parameters, in LayerBand band)
    {
        Span<float> z = _activation is null ? band.Output : band.Saved;
        Conv2dKernels.Conv2dForward(band.Input, Weights(parameters), Biases(parameters), _shape, z, band.Scratch, band.Rows);
        if (_activation is { } activation) ActivationFunctions.ActivationForward(activation, z, band.Output);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Backward(ReadOnlySpan<float> parameters, in LayerBand band, Span<float> weightGradient, Span<float> biasGradient)
    {
        if (_activation is { } activation) ActivationFunctions.ActivationBackward(activation, band.Saved, band.Output, band.OutputGradient);
        Conv2dKernels.Conv2dBackward(band.OutputGradient, band.Input, Weights(parameters), _shape, weightGradient, biasGradient,
            band.InputGradient, band.Scratch, band.Rows);
    }
}
