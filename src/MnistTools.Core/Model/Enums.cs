namespace MnistTools;

/// <summary>Hidden-layer activation.</summary>
public enum Activation
{
    /// <summary>1 / (1 + e^-z).</summary>
    Sigmoid,
    /// <summary>max(0, z).</summary>
    ReLU,
    /// <summary>tanh(z).</summary>
    Tanh,
    /// <summary>z for z &gt; 0, else 0.01 z (see <see cref="Layers.ActivationFunctions.LeakyReLUSlope"/>).</summary>
    LeakyReLU,
}

/// <summary>Output-layer activation.</summary>
public enum OutputActivation
{
    Sigmoid,
    Softmax,
}

/// <summary>Cost function.</summary>
public enum Loss
{
    /// <summary>0.5 * sum (a - y)^2 per sample, averaged over the batch.</summary>
    Quadratic,
    /// <summary>With Softmax: -sum y ln a. With Sigmoid: -sum [y ln a + (1-y) ln(1-a)]. Averaged over the batch.</summary>
    CrossEntropy,
}

/// <summary>How weights are initialised (biases start at zero except for Normal, which draws them too).</summary>
public enum Initializer
{
    /// <summary>Xavier for Sigmoid/Tanh, He for ReLU/LeakyReLU.</summary>
    Default,
    /// <summary>N(0,1) weights and biases: the original numpy script's.</summary>
    Normal,
    /// <summary>Glorot/Xavier: N(0, 2/(fan_in+fan_out)).</summary>
    Xavier,
    /// <summary>N(0, 2/fan_in).</summary>
    He,
}

/// <summary>Parameter-update rule.</summary>
public enum Optimizer
{
    Sgd,
    Momentum,
    Adam,
}
