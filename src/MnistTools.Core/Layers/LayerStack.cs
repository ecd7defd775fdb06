using MnistTools.Numerics;

namespace MnistTools.Layers;

/// <summary>
/// What a pass through a network computes with: the layers in order, the output head (its activation and the loss) and
/// the one flat parameter buffer in which each layer owns a slice (weights, then biases, in list order). A network holds
/// one; <see cref="Propagation"/> and <see cref="BatchBuffers"/> read it.
/// </summary>
internal sealed class LayerStack
{
    private readonly Layer[] _layers;
    /// <summary>The flat parameter buffer, 64-byte aligned: W_0's rows start on cache lines.</summary>
    private readonly AlignedFloats _parameters;

    /// <summary>Places every layer's parameters one after another and allocates the buffer (zeros).</summary>
    public LayerStack(Layer[] layers, Activation outputActivation, Loss loss)
    {
        _layers = layers;
        int count = 0;
        foreach (Layer layer in layers) count = layer.Place(count);
        _parameters = new AlignedFloats(count);
        OutputActivation = outputActivation;
        Loss = loss;
    }

    /// <summary>The layers that compute, input side first.</summary>
    public IReadOnlyList<Layer> Layers => _layers;

    /// <summary>Softmax or Sigmoid over the last layer's output.</summary>
    public Activation OutputActivation { get; }

    public Loss Loss { get; }

    /// <summary>Values of one image at the input.</summary>
    public int InputSize => _layers[0].InputSize;

    /// <summary>Classes scored.</summary>
    public int OutputSize => _layers[^1].OutputSize;

    /// <summary>The live parameter buffer [ParameterCount].</summary>
    public Span<float> Parameters => _parameters.Span;

    public int ParameterCount => _parameters.Length;
}
