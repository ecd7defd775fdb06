using MnistTools.Errors;

namespace MnistTools.Layers;

/// <summary>
/// The rules of a whole layer list on an input shape (<see cref="CheckSequence"/>), whatever its kinds, and the dense
/// view of a list given by layer sizes (784,128,10 with a hidden and an output activation).
/// </summary>
public static class LayerSequence
{
    /// <summary>Most values one image may have at a layer's input or output.</summary>
    public const int MaxValuesPerImage = 1 << 20;

    /// <summary>Most parameters of a whole network.</summary>
    public const int MaxParameters = int.MaxValue / 4;

    /// <summary>
    /// Checks a layer list against an input shape and infers every layer's output shape. Inserts the implied Flatten
    /// before a layer that reads a vector after an image shape (marked <see cref="ResolvedLayer.IsImplied"/>). Rules: at
    /// least one layer; the last layer gives the class scores (Dense); Softmax on the last layer only; each kind's own
    /// shape rule (an image input for convolutions and pools, at least one output pixel); at most
    /// <see cref="MaxValuesPerImage"/> values per image at every layer; at most <see cref="MaxParameters"/> parameters in all.
    /// </summary>
    /// <param name="inputShape">[values] or [channels, height, width].</param>
    /// <exception cref="MnistToolsException">One of the error ids above; the message names the layer, its spec and the shapes.</exception>
    public static IReadOnlyList<ResolvedLayer> CheckSequence(IReadOnlyList<LayerSpec> layers, IReadOnlyList<int> inputShape)
    {
        ArgumentNullException.ThrowIfNull(layers);
        int[] shape = CheckInputShape(inputShape);
        if (layers.Count == 0)
            throw new MnistToolsException(ErrorIds.LayerSequenceInvalid, FailureKind.InvalidArgument, "A network needs at least one layer.", LayerSpec.ErrorTarget);
        if (layers[^1] is { GivesScores: false } last)
            throw new MnistToolsException(ErrorIds.LayerSequenceInvalid, FailureKind.InvalidArgument,
                $"The last layer must be Dense (its units are the class scores); layer {layers.Count} is '{last}'.", LayerSpec.ErrorTarget);

        var resolved = new List<ResolvedLayer>(layers.Count + 1);
        long parameters = 0;
        for (int l = 0; l < layers.Count; l++)
        {
            LayerSpec spec = layers[l] ?? throw new ArgumentNullException(nameof(layers), $"Layer {l + 1} is null.");
            if (spec.Activation == Activation.Softmax && l < layers.Count - 1)
                throw new MnistToolsException(ErrorIds.LayerSequenceInvalid, FailureKind.InvalidArgument,
                    $"Softmax is allowed on the last layer only; layer {l + 1} '{spec}' is followed by {layers.Count - 1 - l} more.", LayerSpec.ErrorTarget);
            if (spec.ReadsVector && shape.Length == 3)
            {
                int[] flat = [Values(shape)];
                resolved.Add(new ResolvedLayer(new FlattenSpec(), shape, flat, 0, IsImplied: true));
                shape = flat;
            }
            int index = l;
            int[] input = shape;
            int[] output = spec.OutputShape(input, reason => ShapeError(index, spec, input, reason), out long count);
            if (output.Length == 3 && (long)output[0] * output[1] * output[2] > MaxValuesPerImage)
                throw ShapeError(l, spec, shape, $"its output {ResolvedLayer.FormatShape(output)} has more than {MaxValuesPerImage} values.");
            parameters += count;
            if (parameters > MaxParameters)
                throw new MnistToolsException(ErrorIds.NetworkTooLarge, FailureKind.InvalidArgument,
                    $"The network has more than {MaxParameters} parameters (at layer {l + 1} '{spec}').", LayerSpec.ErrorTarget);
            resolved.Add(new ResolvedLayer(spec, shape, output, count, IsImplied: false));
            shape = output;
        }
        return resolved;
    }

    /// <summary>
    /// The output activation of a network's layer list: its last layer gives the class scores, so it must end in
    /// Softmax or Sigmoid (which the output head applies with the loss).
    /// </summary>
    /// <exception cref="MnistToolsException"><see cref="ErrorIds.OutputActivationInvalid"/> otherwise.</exception>
    public static Activation OutputActivationOf(IReadOnlyList<LayerSpec> layers)
    {
        LayerSpec last = layers[^1];
        return ActivationRoles.IsOutput(last.Activation) ? last.Activation
            : throw new MnistToolsException(ErrorIds.OutputActivationInvalid, FailureKind.InvalidArgument,
                $"The last layer '{last}' gives the class scores, so it must end in Softmax or Sigmoid (e.g. '{new DenseSpec(last is DenseSpec dense ? dense.Units : 10, Activation.Softmax)}').", LayerSpec.ErrorTarget);
    }

    /// <summary>
    /// The input size of a dense network given by layer sizes (input first), after checking them: at least two, each in
    /// 1..<see cref="LayerSpec.MaxSize"/>, at most <see cref="MaxParameters"/> parameters in all.
    /// </summary>
    /// <exception cref="MnistToolsException"><see cref="ErrorIds.LayerSizesTooFew"/>, <see cref="ErrorIds.LayerSizeOutOfRange"/> or
    /// <see cref="ErrorIds.NetworkTooLarge"/> (InvalidArgument), against LayerSizes.</exception>
    public static int CheckLayerSizes(IReadOnlyList<int> layerSizes)
    {
        ArgumentNullException.ThrowIfNull(layerSizes);
        if (layerSizes.Count < 2)
            throw new MnistToolsException(ErrorIds.LayerSizesTooFew, FailureKind.InvalidArgument,
                $"A network needs at least two layer sizes (input and output); got {layerSizes.Count}.", "LayerSizes");
        foreach (int size in layerSizes)
            if (size < 1 || size > LayerSpec.MaxSize)
                throw new MnistToolsException(ErrorIds.LayerSizeOutOfRange, FailureKind.InvalidArgument,
                    $"Every layer size must be in 1..{LayerSpec.MaxSize}; got {size}.", "LayerSizes");
        long parameters = 0;
        for (int l = 0; l + 1 < layerSizes.Count; l++)
        {
            parameters += ((long)layerSizes[l] + 1) * layerSizes[l + 1];
            if (parameters > MaxParameters)
                throw new MnistToolsException(ErrorIds.NetworkTooLarge, FailureKind.InvalidArgument,
                    $"The network has more than {MaxParameters} parameters.", "LayerSizes");
        }
        return layerSizes[0];
    }

    /// <summary>The layer list of a dense network given by layer sizes: <c>Dense n_1 activation, ..., Dense n_L outputActivation</c>.</summary>
    /// <exception cref="MnistToolsException">The layer-size errors of <see cref="CheckLayerSizes"/>; ActivationInvalid or
    /// OutputActivationInvalid for an activation that cannot stand where it is asked for.</exception>
    public static LayerSpec[] DenseSpecs(IReadOnlyList<int> layerSizes, Activation activation, Activation outputActivation)
    {
        CheckLayerSizes(layerSizes);
        ActivationRoles.CheckHidden(activation, "Activation");
        ActivationRoles.CheckOutput(outputActivation, "OutputActivation");
        var specs = new LayerSpec[layerSizes.Count - 1];
        for (int l = 0; l < specs.Length; l++)
            specs[l] = new DenseSpec(layerSizes[l + 1], l < specs.Length - 1 ? activation : outputActivation);
        return specs;
    }

    /// <summary>Units per layer, input first, when every layer that computes is Dense; null otherwise.</summary>
    public static int[]? DenseLayerSizes(IReadOnlyList<ResolvedLayer> layers)
    {
        var sizes = new List<int>(layers.Count + 1);
        foreach (ResolvedLayer layer in layers)
        {
            if (layer.Spec is FlattenSpec) continue;
            if (layer.Spec is not DenseSpec { Bias: true } dense) return null;
            if (sizes.Count == 0) sizes.Add(layer.InputSize);
            sizes.Add(dense.Units);
        }
        return sizes.ToArray();
    }

    /// <summary>Refuses a vector input for a kind that needs an image.</summary>
    internal static void RequireImage(LayerKind kind, int[] input, Func<string, MnistToolsException> misfit)
    {
        if (input.Length != 3)
            throw misfit($"{kind} needs an image input (channels x height x width), and a vector of {input[0]} is not one.");
    }

    /// <summary>Values per image of <paramref name="shape"/>, saturating at int.MaxValue.</summary>
    internal static int Values(IReadOnlyList<int> shape)
    {
        long product = 1;
        foreach (int size in shape) product = Math.Min(product * size, (long)int.MaxValue + 1); // stays below 2^62
        return (int)Math.Min(product, int.MaxValue);
    }

    private static int[] CheckInputShape(IReadOnlyList<int> inputShape)
    {
        string text = inputShape is null ? "(none)" : string.Join(",", inputShape);
        if (inputShape is not { Count: 1 or 3 } || inputShape.Any(size => size < 1) || Values(inputShape) > MaxValuesPerImage)
            throw new MnistToolsException(ErrorIds.InputShapeInvalid, FailureKind.InvalidArgument,
                $"The input shape {text} is not valid: give <values> or <channels>,<height>,<width>, each at least 1 and at most {MaxValuesPerImage} values in all.",
                "InputShape");
        return inputShape.ToArray();
    }

    private static MnistToolsException ShapeError(int index, LayerSpec spec, int[] input, string reason) =>
        new(ErrorIds.LayerShapeInvalid, FailureKind.InvalidArgument,
            $"Layer {index + 1} '{spec}' does not fit its input {ResolvedLayer.FormatShape(input)}: {reason}", LayerSpec.ErrorTarget);
}
