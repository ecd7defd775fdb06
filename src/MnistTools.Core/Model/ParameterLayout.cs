namespace MnistTools;

/// <summary>
/// Where each layer's parameters live in the one flat parameter buffer. This layout is part of the
/// saved-file and ONNX-export contract: for each layer l = 0..L-2, mapping LayerSizes[l] inputs to
/// LayerSizes[l+1] outputs, the weights W_l [out x in] (row-major: row o holds the weights into output
/// unit o), immediately followed by the biases b_l [out]. Layers follow each other with no gaps.
/// Gradients, momentum and Adam moments use the same layout.
/// </summary>
public sealed class ParameterLayout
{
    private readonly int[] _sizes;
    private readonly int[] _weightOffsets;
    private readonly int[] _biasOffsets;

    public ParameterLayout(IReadOnlyList<int> layerSizes)
    {
        ArgumentNullException.ThrowIfNull(layerSizes);
        if (layerSizes.Count < 2)
            throw new MnistToolsException("LayerSizesTooFew", FailureKind.InvalidArgument,
                $"A network needs at least two layer sizes (input and output); got {layerSizes.Count}.", "LayerSizes");
        _sizes = layerSizes.ToArray();
        foreach (int size in _sizes)
            if (size < 1 || size > 1 << 20)
                throw new MnistToolsException("LayerSizeOutOfRange", FailureKind.InvalidArgument,
                    $"Every layer size must be in 1..{1 << 20}; got {size}.", "LayerSizes");
        _weightOffsets = new int[LayerCount];
        _biasOffsets = new int[LayerCount];
        long offset = 0;
        for (int l = 0; l < LayerCount; l++)
        {
            // Checked before any offset is narrowed to int: one layer alone can pass int.MaxValue (46341 x 46341).
            if (offset + (long)_sizes[l] * _sizes[l + 1] + _sizes[l + 1] > int.MaxValue / 4)
                throw new MnistToolsException(LayerSpec.NetworkTooLargeErrorId, FailureKind.InvalidArgument,
                    $"The network has more than {int.MaxValue / 4} parameters.", "LayerSizes");
            _weightOffsets[l] = (int)offset;
            offset += (long)_sizes[l] * _sizes[l + 1];
            _biasOffsets[l] = (int)offset;
            offset += _sizes[l + 1];
        }
        ParameterCount = (int)offset;
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
