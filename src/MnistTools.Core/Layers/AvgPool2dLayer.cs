namespace MnistTools.Layers;

/// <summary>
/// 2-D average pooling per channel over valid windows (<see cref="AvgPool2dKernels"/>): X [C x H x W] → Y [C x OH x OW],
/// the same window geometry as <see cref="MaxPool2dLayer"/>. No parameters; nothing saved.
/// </summary>
internal sealed class AvgPool2dLayer : Layer
{
    private readonly MaxPool2dShape _shape;

    public AvgPool2dLayer(TensorShape inputShape, MaxPool2dShape shape)
        : base(inputShape, new TensorShape(shape.Channels, shape.OutputHeight, shape.OutputWidth))
    {
        if (shape.InputSize != inputShape.Size) throw new ArgumentException($"The pooling shape {shape} does not fit the input {inputShape}.", nameof(shape));
        _shape = shape;
    }

    public MaxPool2dShape Shape => _shape;

    public override string Kind => "AvgPool2d";

    public override void Forward(ReadOnlySpan<float> parameters, in LayerLane lane) =>
        AvgPool2dKernels.AvgPool2dForward(lane.Input, _shape, lane.Output, lane.Rows);

    public override void Backward(ReadOnlySpan<float> parameters, in LayerLane lane, Span<float> weightGradient, Span<float> biasGradient)
    {
        if (!lane.InputGradient.IsEmpty)
            AvgPool2dKernels.AvgPool2dBackward(lane.OutputGradient, _shape, lane.InputGradient, lane.Rows);
    }
}
