using System.Runtime.InteropServices;

namespace MnistTools.Layers;

/// <summary>
/// 2-D max pooling per channel (<see cref="MaxPool2dKernels"/>): X [C x H x W] → Y [C x OH x OW]; backward routes each
/// output's gradient to the first maximum of its window: for 2 x 2, stride 2 windows the forward pass saves which value
/// won (one byte per output, packed four to a saved float), other windows find it again from X and Y. No parameters.
/// After a ReLU convolution (<see cref="AppliesReLUDerivative"/>, 2 x 2 stride 2 only) its dX is that convolution's dZ:
/// X = ReLU(Z), so Z at the winner is positive exactly when Y is, and a window whose Y is not positive sends nothing
/// (ReLU' = 0 there; the other values of every window get 0 from the pooling anyway). The same bits as dX followed by
/// dZ = Z &gt; 0 ? dX : 0.
/// </summary>
internal sealed class MaxPool2dLayer : Layer
{
    private readonly MaxPool2dShape _shape;
    private readonly bool _reluDerivative;

    /// <param name="reluDerivative">The layer before is a ReLU convolution that leaves its derivative to this one
    /// (<see cref="Conv2dLayer.LeavesDerivativeToPooling"/>); 2 x 2, stride 2 windows only.</param>
    public MaxPool2dLayer(TensorShape inputShape, MaxPool2dShape shape, bool reluDerivative = false)
        : base(inputShape, new TensorShape(shape.Channels, shape.OutputHeight, shape.OutputWidth))
    {
        if (reluDerivative && !shape.SavesWinners)
            throw new ArgumentException("Only 2 x 2, stride 2 pooling applies ReLU's derivative.", nameof(reluDerivative));
        _shape = shape;
        _reluDerivative = reluDerivative;
    }

    /// <summary>The same layer, applying ReLU's derivative of the convolution before it.</summary>
    public MaxPool2dLayer AppliesReLUDerivativeOfPrevious() => new(InputShape, _shape, reluDerivative: true);

    /// <summary>Whether backward writes the ReLU convolution's dZ instead of dX.</summary>
    public bool AppliesReLUDerivative => _reluDerivative;

    public MaxPool2dShape Shape => _shape;

    public override string Kind => "MaxPool2d";

    /// <summary>The winners' bytes of one image, rounded up to whole floats.</summary>
    public override int SavedSize => _shape.SavesWinners ? (OutputSize + 3) / 4 : 0;

    public override void Forward(ReadOnlySpan<float> parameters, in LayerLane lane) =>
        MaxPool2dKernels.MaxPool2dForward(lane.Input, _shape, lane.Output, MemoryMarshal.AsBytes(lane.Saved), lane.Rows,
            positiveWinnersOnly: _reluDerivative);

    public override void Backward(ReadOnlySpan<float> parameters, in LayerLane lane, Span<float> weightGradient, Span<float> biasGradient)
    {
        if (!lane.InputGradient.IsEmpty)
            MaxPool2dKernels.MaxPool2dBackward(lane.OutputGradient, lane.Input, lane.Output, MemoryMarshal.AsBytes(lane.Saved), _shape,
                lane.InputGradient, lane.Rows);
    }
}
