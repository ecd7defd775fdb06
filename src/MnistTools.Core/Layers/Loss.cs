namespace MnistTools.Layers;

/// <summary>Cost function.</summary>
public enum Loss
{
    /// <summary>0.5 * sum (a - y)^2 per sample, averaged over the batch.</summary>
    Quadratic,
    /// <summary>With Softmax: -sum y ln a. With Sigmoid: -sum [y ln a + (1-y) ln(1-a)]. Averaged over the batch.</summary>
    CrossEntropy,
}
