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

    public override void Forward(ReadOnlySpan<float> parameters, in LayerLane lane) =>
        MaxPool2dKernels.MaxPool2dForward(lane.Input, _shape, lane.Output, lane.Rows);

    public override void Backward(ReadOnlySpan<float> parameters, in LayerLane lane, Span<float> weightGradient, Span<float> biasGradient)
    {
        if (!lane.InputGradient.IsEmpty)
            MaxPool2dKernels.MaxPool2dBackward(lane.OutputGradient, lane.Input, lane.Output, _shape, lane.InputGradient, lane.Rows);
    }
}
