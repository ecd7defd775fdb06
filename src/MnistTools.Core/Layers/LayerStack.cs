using MnistTools.Numerics;

namespace MnistTools.Layers;

/// <summary>
/// What a pass through a network computes with: the layers in order, the output head (its activation and the loss), the
/// one flat parameter buffer in which each layer owns a slice (weights, then biases, in list order) and the flat
/// non-trainable state (BatchNorm's running statistics), likewise sliced. A network holds one; <see cref="Propagation"/>
/// and <see cref="BatchBuffers"/> read it.
/// </summary>
internal sealed class LayerStack
{
    private readonly Layer[] _layers;
    /// <summary>The flat parameter buffer, 64-byte aligned: W_0's rows start on cache lines.</summary>
    private readonly AlignedFloats _parameters;
    /// <summary>The flat non-trainable state, each layer's slice at its <see cref="Layer.StateOffset"/>; empty for most networks.</summary>
    private readonly float[] _state;

    /// <summary>Places every layer's parameters one after another and allocates the buffer (zeros); places every layer's
    /// state and writes its starting values.</summary>
    public LayerStack(Layer[] layers, Activation outputActivation, Loss loss)
    {
        _layers = layers;
        int count = 0;
        foreach (Layer layer in layers) count = layer.Place(count);
        _parameters = new AlignedFloats(count);
        int size = 0;
        foreach (Layer layer in layers) size = layer.PlaceState(size);
        _state = new float[size];
        foreach (Layer layer in layers) layer.InitializeState(_state.AsSpan(layer.StateOffset, layer.StateSize));
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

    /// <summary>The live non-trainable state [StateCount].</summary>
    public Span<float> State => _state;

    public int StateCount => _state.Length;
}
