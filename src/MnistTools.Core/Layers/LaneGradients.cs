using MnistTools.Numerics;

namespace MnistTools.Layers;

/// <summary>
/// One lane's share of the parameter gradients: for every layer its bias gradient sums [Units], and its weight
/// gradient [WeightCount] for the layers that compute it per lane (<see cref="Layer.WeightGradientByUnits"/> false).
/// The trainer adds the two lanes' shares in lane order, so the sum does not depend on which core ran which lane.
/// </summary>
internal sealed class LaneGradients
{
    private readonly AlignedFloats _values;
    private readonly int[] _weightStart, _weightCount, _biasStart, _biasCount;

    public LaneGradients(IReadOnlyList<Layer> layers, int batchSize)
    {
        int count = layers.Count, total = 0;
        _weightStart = new int[count];
        _weightCount = new int[count];
        _biasStart = new int[count];
        _biasCount = new int[count];
        for (int l = 0; l < count; l++)
        {
            // Weight blocks first, then biases: the weights keep the 64-byte alignment of the buffer where they can.
            _weightStart[l] = total;
            _weightCount[l] = layers[l].WeightGradientByUnits(batchSize) ? 0 : layers[l].WeightCount;
            total = checked(total + _weightCount[l]);
        }
        for (int l = 0; l < count; l++)
        {
            _biasStart[l] = total;
            _biasCount[l] = layers[l].Units;
            total = checked(total + _biasCount[l]);
        }
        _values = new AlignedFloats(total);
    }

    /// <summary>Floats one lane's share holds (what the constructor allocates), without allocating; saturates at long.MaxValue.</summary>
    public static long Floats(IReadOnlyList<Layer> layers, int batchSize)
    {
        long total = 0;
        foreach (Layer layer in layers)
            total += (layer.WeightGradientByUnits(batchSize) ? 0L : layer.WeightCount) + layer.Units;
        return total;
    }

    /// <summary>Layer <paramref name="l"/>'s weight gradient [WeightCount], or empty when it is computed by units.</summary>
    public Span<float> Weights(int l) => _values.AsSpan(_weightStart[l], _weightCount[l]);

    /// <summary>Layer <paramref name="l"/>'s bias gradient sums [Units].</summary>
    public Span<float> Biases(int l) => _values.AsSpan(_biasStart[l], _biasCount[l]);
}
