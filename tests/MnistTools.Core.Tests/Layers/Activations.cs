using MnistTools.Layers;

namespace MnistTools.Tests.Layers;

/// <summary>The activations the tests run through: the hidden nonlinearities and the output heads.</summary>
internal static class Activations
{
    /// <summary>Every hidden activation that is not the identity.</summary>
    public static readonly Activation[] Nonlinear = [Activation.Sigmoid, Activation.ReLU, Activation.Tanh, Activation.LeakyReLU];

    /// <summary>Every activation the class scores may come out of.</summary>
    public static readonly Activation[] Output = [Activation.Sigmoid, Activation.Softmax];
}
