namespace MnistTools.Tests;

/// <summary>
/// The tests' description of where a dense network's parameters live in the one flat parameter buffer (the oracles and
/// the file tests read it; the module's layers place themselves). This layout is part of the
/// saved-file and ONNX-export contract: for each layer l = 0..L-2, mapping LayerSizes[l] inputs to
/// LayerSizes[l+1] outputs, the weights W_l [out x in] (row-major: row o holds the weights into output
/// unit o), immediately followed by the biases b_l [out]. Layers follow each other with no gaps.
/// Gradients, momentum and Adam moments use the same layout.
/// </summary>
internal sealed class ParameterLayout
{
    private readonly int[] _sizes;
    private readonly int[] _weightOffsets;
    private readonly int[] _biasOffsets;

    public ParameterLayout(IReadOnlyList<int> layerSizes)
    {
        _sizes = layerSizes.ToArray();
        _weightOffsets = new int[LayerCount];
        _biasOffsets = new int[LayerCount];
        int offset = 0;
        for (int l = 0; l < LayerCount; l++)
        {
            _weightOffsets[l] = offset;
            offset += _sizes[l] * _sizes[l + 1];
            _biasOffsets[l] = offset;
            offset += _sizes[l + 1];
        }
        ParameterCount = offset;
    }

    /// <summary>Units per layer, input first.</summary>
    public IReadOnlyList<int> LayerSizes => _sizes;

    /// <summary>Number of weight layers (LayerSizes.Count - 1).</summary>
    public int LayerCount => _sizes.Length - 1;

    public int ParameterCount { get; }

    public int InputSize => _sizes[0];

    public int OutputSize => _sizes[^1];

    /// <summary>Offset of W_l [LayerSizes[l+1] x LayerSizes[l]].</summary>
    public int WeightOffset(int layer) => _weightOffsets[layer];

    /// <summary>Offset of b_l [LayerSizes[l+1]].</summary>
    public int BiasOffset(int layer) => _biasOffsets[layer];

    public int WeightCount(int layer) => _sizes[layer] * _sizes[layer + 1];

    public Span<float> Weights(Span<float> parameters, int layer) => parameters.Slice(_weightOffsets[layer], WeightCount(layer));

    public Span<float> Biases(Span<float> parameters, int layer) => parameters.Slice(_biasOffsets[layer], _sizes[layer + 1]);

    public ReadOnlySpan<float> Weights(ReadOnlySpan<float> parameters, int layer) => parameters.Slice(_weightOffsets[layer], WeightCount(layer));

    public ReadOnlySpan<float> Biases(ReadOnlySpan<float> parameters, int layer) => parameters.Slice(_biasOffsets[layer], _sizes[layer + 1]);
}
