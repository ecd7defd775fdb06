namespace MnistTools.Layers;

/// <summary>
/// Global average pooling (<see cref="AvgPool2dKernels"/>): X [C x H x W] → Y [C] (a vector, so a Dense may follow as
/// it is), each channel's mean over its H·W positions. No parameters; nothing saved.
/// </summary>
internal sealed class GlobalAvgPoolLayer : Layer
{
    private readonly int _spatial;

    public GlobalAvgPoolLayer(TensorShape inputShape) : base(inputShape, TensorShape.Vector(inputShape.Channels))
    {
        _spatial = inputShape.Height * inputShape.Width;
    }

    public override string Kind => "GlobalAvgPool";

    public override void Forward(ReadOnlySpan<float> parameters, in LayerLane lane) =>
        AvgPool2dKernels.GlobalAvgPoolForward(lane.Input, InputShape.Channels, _spatial, lane.Output, lane.Rows);

    public override void Backward(ReadOnlySpan<float> parameters, in LayerLane lane, Span<float> weightGradient, Span<float> biasGradient)
    {
        if (!lane.InputGradient.IsEmpty)
            AvgPool2dKernels.GlobalAvgPoolBackward(lane.OutputGradient, InputShape.Channels, _spatial, lane.InputGradient, lane.Rows);
    }
}
