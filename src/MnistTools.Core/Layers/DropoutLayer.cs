using MnistTools.Randomness;

namespace MnistTools.Layers;

/// <summary>
/// Inverted dropout (<see cref="DropoutKernels"/>), active in training only: each value is kept with probability
/// 1 − rate and scaled by 1/(1 − rate), or set to 0. The mask is drawn from a <see cref="CounterRandom"/> keyed by
/// (seed, epoch, step) at position (row of the batch)·N + feature, and drawn again in backward (nothing is stored), so
/// one core and two draw the same masks. In evaluation and prediction the layer copies its input.
/// </summary>
internal sealed class DropoutLayer : Layer
{
    private readonly float _rate;

    public DropoutLayer(TensorShape shape, float rate) : base(shape, shape)
    {
        _rate = rate;
    }

    public float Rate => _rate;

    public override string Kind => "Dropout";

    public override void Forward(ReadOnlySpan<float> parameters, in LayerLane lane)
    {
        if (!lane.Key.Training || _rate == 0f)
        {
            lane.Input.CopyTo(lane.Output);
            return;
        }
        DropoutKernels.DropoutForward(lane.Input, Random(lane.Key), _rate, lane.Key.FirstRow, OutputSize, lane.Output, lane.Rows);
    }

    public override void Backward(ReadOnlySpan<float> parameters, in LayerLane lane, Span<float> weightGradient, Span<float> biasGradient)
    {
        if (lane.InputGradient.IsEmpty) return;
        if (_rate == 0f)
        {
            lane.OutputGradient.CopyTo(lane.InputGradient);
            return;
        }
        DropoutKernels.DropoutBackward(lane.OutputGradient, Random(lane.Key), _rate, lane.Key.FirstRow, OutputSize, lane.InputGradient, lane.Rows);
    }

    private static CounterRandom Random(in LaneKey key) => new(unchecked((ulong)(uint)key.Seed), key.Epoch, unchecked((int)key.Step));
}
