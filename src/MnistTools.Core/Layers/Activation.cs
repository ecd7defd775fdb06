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
    /// <summary>Error id of a hidden-layer activation that cannot stand there (Softmax).</summary>
    public const string HiddenInvalidErrorId = "ActivationInvalid";

    /// <summary>Error id of an output activation that cannot give class scores (anything but Softmax and Sigmoid).</summary>
    public const string OutputInvalidErrorId = "OutputActivationInvalid";

    /// <summary>Whether a hidden layer may apply <paramref name="activation"/> (everything but Softmax).</summary>
    public static bool IsHidden(Activation activation) => Enum.IsDefined(activation) && activation != Activation.Softmax;

    /// <summary>Whether the class scores may come out of <paramref name="activation"/> (Softmax or Sigmoid).</summary>
    public static bool IsOutput(Activation activation) => activation is Activation.Softmax or Activation.Sigmoid;

    /// <summary><paramref name="activation"/> when a hidden layer may apply it.</summary>
    /// <exception cref="MnistToolsException"><see cref="HiddenInvalidErrorId"/> (InvalidArgument) otherwise, against <paramref name="target"/>.</exception>
    public static Activation CheckHidden(Activation activation, string target) =>
        IsHidden(activation) ? activation
        : throw new MnistToolsException(HiddenInvalidErrorId, FailureKind.InvalidArgument,
            $"{activation} is not a hidden-layer activation: use Sigmoid, ReLU, Tanh, LeakyReLU or None (Softmax belongs to the last layer).", target);

    /// <summary><paramref name="activation"/> when the class scores may come out of it.</summary>
    /// <exception cref="MnistToolsException"><see cref="OutputInvalidErrorId"/> (InvalidArgument) otherwise, against <paramref name="target"/>.</exception>
    public static Activation CheckOutput(Activation activation, string target) =>
        IsOutput(activation) ? activation
        : throw new MnistToolsException(OutputInvalidErrorId, FailureKind.InvalidArgument,
            $"{activation} is not an output activation: the class scores come out of Softmax or Sigmoid.", target);
}
