namespace MnistTools.Layers;

/// <summary>
/// 2-D max pooling per channel (<see cref="MaxPool2dKernels"/>): X [C x H x W] → Y [C x OH x OW]; backward routes each
/// output's gradient to the first maximum of its window (found again from X and Y: nothing is saved). No parameters.
/// </summary>
internal sealed class MaxPool2dLayer : Layer
{
    private readonly MaxPool2dShape _shape;

    public MaxPool2dLayer(TensorShape inputShape, MaxPool2dShape shape)
        : base(inputShape, new TensorShape(shape.Channels, shape.OutputHeight, shape.OutputWidth))
    {
        _shape = shape;
    }

    public MaxPool2dShape Shape => _shape;

    public override string Kind => "MaxPool2d";

    public override void Forward(ReadOnlySpan<float> parameters, in LayerBand band) =>
        MaxPool2dKernels.MaxPool2dForward(band.Input, _shape, band.Output, band.Rows);

    public override void Backward(ReadOnlySpan<float> parameters, in LayerBand band, Span<float> weightGradient, Span<float> biasGradient)
    {
        if (!band.InputGradient.IsEmpty)
            MaxPool2dKernels.MaxPool2dBackward(band.OutputGradient, band.Input, band.Output, _shape, band.InputGradient, band.Rows);
    }
}
