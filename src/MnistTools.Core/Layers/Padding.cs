namespace MnistTools.Layers;

/// <summary>How a convolution treats the border of its input.</summary>
public enum Padding
{
    /// <summary>No padding: only windows that lie wholly inside the input; output floor((H - K) / S) + 1.</summary>
    Valid,
    /// <summary>Zero padding, TensorFlow's rule: output ceil(H / S); the padding total max((OH - 1) S + K - H, 0) is split
    /// with the smaller half before (top, left). For stride 1 and an odd kernel: (K - 1) / 2 on every side, output H.</summary>
    Same,
}
