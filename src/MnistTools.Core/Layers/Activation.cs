using MnistTools.Errors;

namespace MnistTools.Layers;

/// <summary>
/// The activation a layer applies to its output. Hidden layers take Sigmoid, ReLU, Tanh, LeakyReLU or None; the last
/// layer, whose outputs are the class scores, takes Softmax or Sigmoid (applied with the loss by the output head).
/// </summary>
public enum Activation
{
    /// <summary>1 / (1 + e^-z).</summary>
    Sigmoid,
    /// <summary>max(0, z).</summary>
    ReLU,
    /// <summary>tanh(z).</summary>
    Tanh,
    /// <summary>z for z &gt; 0, else 0.01 z (see <see cref="ActivationFunctions.LeakyReLUSlope"/>).</summary>
    LeakyReLU,
    /// <summary>The identity: the layer's affine output as it is.</summary>
    None,
    /// <summary>e^z_i / Σ_j e^z_j over the layer's outputs; the last layer only.</summary>
    Softmax,
}

/// <summary>Where each <see cref="Activation"/> may stand.</summary>
public static class ActivationRoles
{
    /// <summary>Whether a hidden layer may apply <paramref name="activation"/> (everything but Softmax).</summary>
    public static bool IsHidden(Activation activation) => Enum.IsDefined(activation) && activation != Activation.Softmax;

    /// <summary>Whether the class scores may come out of <paramref name="activation"/> (Softmax or Sigmoid).</summary>
    public static bool IsOutput(Activation activation) => activation is Activation.Softmax or Activation.Sigmoid;

    /// <summary><paramref name="activation"/> when a hidden layer may apply it.</summary>
    /// <exception cref="MnistToolsException"><see cref="ErrorIds.ActivationInvalid"/> (InvalidArgument) otherwise, against <paramref name="target"/>.</exception>
    public static Activation CheckHidden(Activation activation, string target) =>
        IsHidden(activation) ? activation
        : throw new MnistToolsException(ErrorIds.ActivationInvalid, FailureKind.InvalidArgument,
            $"{activation} is not a hidden-layer activation: use Sigmoid, ReLU, Tanh, LeakyReLU or None (Softmax belongs to the last layer).", target);

    /// <summary><paramref name="activation"/> when the class scores may come out of it.</summary>
    /// <exception cref="MnistToolsException"><see cref="ErrorIds.OutputActivationInvalid"/> (InvalidArgument) otherwise, against <paramref name="target"/>.</exception>
    public static Activation CheckOutput(Activation activation, string target) =>
        IsOutput(activation) ? activation
        : throw new MnistToolsException(ErrorIds.OutputActivationInvalid, FailureKind.InvalidArgument,
            $"{activation} is not an output activation: the class scores come out of Softmax or Sigmoid.", target);
}
