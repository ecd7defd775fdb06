namespace MnistTools;

/// <summary>Which half of an MNIST-style set: the 60,000 training images or the 10,000 test images.</summary>
public enum MnistSubset
{
    /// <summary>train-images-idx3-ubyte / train-labels-idx1-ubyte.</summary>
    Train,
    /// <summary>t10k-images-idx3-ubyte / t10k-labels-idx1-ubyte.</summary>
    Test,
}
