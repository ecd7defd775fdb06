namespace MnistTools;

/// <summary>The kind of one layer in a network's layer list.</summary>
public enum LayerKind
{
    /// <summary>Fully connected: every output unit sees every input value.</summary>
    Dense,
    /// <summary>2-D convolution over a [channels x height x width] input.</summary>
    Conv2d,
    /// <summary>2-D max pooling, per channel.</summary>
    MaxPool2d,
    /// <summary>Inverted dropout (training only; the identity at inference).</summary>
    Dropout,
    /// <summary>[channels x height x width] read as one vector (no computation).</summary>
    Flatten,
}

/// <summary>How a convolution treats the border of its input.</summary>
public enum Padding
{
    /// <summary>No padding: only windows that lie wholly inside the input; output floor((H - K) / S) + 1.</summary>
    Valid,
    /// <summary>Zero padding, TensorFlow's rule: output ceil(H / S); the padding total max((OH - 1) S + K - H, 0) is split
    /// with the smaller half before (top, left). For stride 1 and an odd kernel: (K - 1) / 2 on every side, output H.</summary>
    Same,
}

/// <summary>The activation a layer applies to its output. The first four have the values of <see cref="Activation"/>.</summary>
public enum LayerActivation
{
    /// <summary>1 / (1 + e^-z).</summary>
    Sigmoid,
    /// <summary>max(0, z).</summary>
    ReLU,
    /// <summary>tanh(z).</summary>
    Tanh,
    /// <summary>z for z &gt; 0, else 0.01 z.</summary>
    LeakyReLU,
    /// <summary>The identity: the layer's affine output as it is.</summary>
    None,
    /// <summary>e^z_i / Σ_j e^z_j over the layer's outputs; the last layer only.</summary>
    Softmax,
}
