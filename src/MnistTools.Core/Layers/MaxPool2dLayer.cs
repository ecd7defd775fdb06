using System.Runtime.InteropServices;

namespace MnistTools.Layers;

/// <summary>
/// 2-D max pooling per channel (<see cref="MaxPool2dKernels"/>): X [C x H x W] → Y [C x OH x OW]; backward routes each
/// output's gradient to the first maximum of its window: for 2 x 2, stride 2 windows the forward pass saves which value
/// won (one byte per output, packed four to a saved float), other windows find it again from X and Y. No parameters.
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

    /// <summary>The winners' bytes of one image, rounded up to whole floats.</summary>
    public override int SavedSize => _shape.SavesWinners ? (OutputSize + 3) / 4 : 0;

    public override void Forward(ReadOnlySpan<float> parameters, in LayerLane lane) =>
        MaxPool2dKernels.MaxPool2dForward(lane.Input, _shape, lane.Output, MemoryMarshal.AsBytes(lane.Saved), lane.Rows);

    public override void Backward(ReadOnlySpan<float> parameters, in LayerLane lane, Span<float> weightGradient, Span<float> biasGradient)
    {
        if (!lane.InputGradient.IsEmpty)
            MaxPool2dKernels.MaxPool2dBackward(lane.OutputGradient, lane.Input, lane.Output, MemoryMarshal.AsBytes(lane.Saved), _shape,
                lane.InputGradient, lane.Rows);
    }
}
