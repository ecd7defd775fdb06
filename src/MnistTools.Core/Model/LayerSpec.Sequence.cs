using MnistTools.Layers;

namespace MnistTools;

public sealed partial record LayerSpec
{
    /// <summary>Error id of a layer list whose order is wrong (empty, Softmax before the last layer, not ending in Dense).</summary>
    public const string SequenceInvalidErrorId = "LayerSequenceInvalid";

    /// <summary>Error id of a last layer that does not end in Softmax or Sigmoid (the output activation of the class scores).</summary>
    public const string OutputActivationInvalidErrorId = "OutputActivationInvalid";

    /// <summary>Error id of a layer whose input shape does not fit it (a kernel larger than its input, a pool that leaves
    /// nothing, a convolution after a vector).</summary>
    public const string ShapeInvalidErrorId = "LayerShapeInvalid";

    /// <summary>Error id of an input shape that is not [values] or [channels, height, width] of positive sizes.</summary>
    public const string InputShapeInvalidErrorId = "InputShapeInvalid";

    /// <summary>Error id of a network with more parameters than the module holds (the same limit as dense networks).</summary>
    public const string NetworkTooLargeErrorId = "NetworkTooLarge";

    /// <summary>Most values one image may have at a layer's input or output.</summary>
    public const int MaxValuesPerImage = 1 << 20;

    /// <summary>Most parameters of a whole network.</summary>
    public const int MaxParameters = int.MaxValue / 4;

    /// <summary>
    /// Checks a layer list against an input shape and infers every layer's output shape. Inserts the implied Flatten
    /// before a Dense that follows an image shape (marked <see cref="ResolvedLayer.IsImplied"/>). Rules: at least one
    /// layer; the last layer is Dense (the class scores); Softmax on the last layer only; Conv2d and MaxPool2d need an
    /// image input and must leave at least one output pixel; at most <see cref="MaxValuesPerImage"/> values per image at
    /// every layer; at most <see cref="MaxParameters"/> parameters in all.
    /// </summary>
    /// <param name="inputShape">[values] or [channels, height, width].</param>
    /// <exception cref="MnistToolsException">One of the error ids above; the message names the layer, its spec and the shapes.</exception>
    public static IReadOnlyList<ResolvedLayer> CheckSequence(IReadOnlyList<LayerSpec> layers, IReadOnlyList<int> inputShape)
    {
        ArgumentNullException.ThrowIfNull(layers);
        int[] shape = CheckInputShape(inputShape);
        if (layers.Count == 0)
            throw new MnistToolsException(SequenceInvalidErrorId, FailureKind.InvalidArgument, "A network needs at least one layer.", ErrorTarget);
        if (layers[^1] is { Kind: not LayerKind.Dense } last)
            throw new MnistToolsException(SequenceInvalidErrorId, FailureKind.InvalidArgument,
                $"The last layer must be Dense (its units are the class scores); layer {layers.Count} is '{last}'.", ErrorTarget);

        var resolved = new List<ResolvedLayer>(layers.Count + 1);
        long parameters = 0;
        for (int l = 0; l < layers.Count; l++)
        {
            LayerSpec spec = layers[l] ?? throw new ArgumentNullException(nameof(layers), $"Layer {l + 1} is null.");
            if (spec.Activation == LayerActivation.Softmax && l < layers.Count - 1)
                throw new MnistToolsException(SequenceInvalidErrorId, FailureKind.InvalidArgument,
                    $"Softmax is allowed on the last layer only; layer {l + 1} '{spec}' is followed by {layers.Count - 1 - l} more.", ErrorTarget);
            if (spec.Kind == LayerKind.Dense && shape.Length == 3)
            {
                int[] flat = [Values(shape)];
                resolved.Add(new ResolvedLayer(Flatten(), shape, flat, 0, IsImplied: true));
                shape = flat;
            }
            int[] output = OutputShape(spec, l, shape, out long count);
            if (output.Length == 3 && (long)output[0] * output[1] * output[2] > MaxValuesPerImage)
                throw ShapeError(l, spec, shape, $"its output {ResolvedLayer.FormatShape(output)} has more than {MaxValuesPerImage} values.");
            parameters += count;
            if (parameters > MaxParameters)
                throw new MnistToolsException(NetworkTooLargeErrorId, FailureKind.InvalidArgument,
                    $"The network has more than {MaxParameters} parameters (at layer {l + 1} '{spec}').", ErrorTarget);
            resolved.Add(new ResolvedLayer(spec, shape, output, count, IsImplied: false));
            shape = output;
        }
        return resolved;
    }

    /// <summary>
    /// The output activation of a network's layer list: its last layer gives the class scores, so it must end in
    /// Softmax or Sigmoid (which the output head applies with the loss).
    /// </summary>
    /// <exception cref="MnistToolsException"><see cref="OutputActivationInvalidErrorId"/> otherwise.</exception>
    public static OutputActivation OutputActivationOf(IReadOnlyList<LayerSpec> layers)
    {
        LayerSpec last = layers[^1];
        return last.Activation switch
        {
            LayerActivation.Softmax => MnistTools.OutputActivation.Softmax,
            LayerActivation.Sigmoid => MnistTools.OutputActivation.Sigmoid,
            _ => throw new MnistToolsException(OutputActivationInvalidErrorId, FailureKind.InvalidArgument,
                $"The last layer '{last}' gives the class scores, so it must end in Softmax or Sigmoid (e.g. 'Dense {last.Units} Softmax').", ErrorTarget),
        };
    }

    private static int[] OutputShape(LayerSpec spec, int index, int[] input, out long parameters)
    {
        parameters = 0;
        switch (spec.Kind)
        {
            case LayerKind.Dense:
                parameters = ((long)input[0] + 1) * spec.Units;
                return [spec.Units];
            case LayerKind.Conv2d:
            {
                RequireImage(spec, index, input);
                int height = Conv2dShape.OutputExtent(input[1], spec.Kernel, spec.Stride, spec.Padding, out _);
                int width = Conv2dShape.OutputExtent(input[2], spec.Kernel, spec.Stride, spec.Padding, out _);
                if (height < 1 || width < 1)
                    throw ShapeError(index, spec, input, $"a {spec.Kernel}x{spec.Kernel} kernel is larger than the {input[1]}x{input[2]} input (padding=valid).");
                parameters = ((long)input[0] * spec.Kernel * spec.Kernel + 1) * spec.Filters;
                return [spec.Filters, height, width];
            }
            case LayerKind.MaxPool2d:
            {
                RequireImage(spec, index, input);
                int height = MaxPool2dShape.OutputExtent(input[1], spec.Kernel, spec.Stride);
                int width = MaxPool2dShape.OutputExtent(input[2], spec.Kernel, spec.Stride);
                if (height < 1 || width < 1)
                    throw ShapeError(index, spec, input, $"a {spec.Kernel}x{spec.Kernel} window is larger than the {input[1]}x{input[2]} input and leaves nothing.");
                return [input[0], height, width];
            }
            case LayerKind.Flatten:
                return [Values(input)];
            default:
                return input;
        }
    }

    private static void RequireImage(LayerSpec spec, int index, int[] input)
    {
        if (input.Length != 3)
            throw ShapeError(index, spec, input, $"{spec.Kind} needs an image input (channels x height x width), and a vector of {input[0]} is not one.");
    }

    private static int[] CheckInputShape(IReadOnlyList<int> inputShape)
    {
        string text = inputShape is null ? "(none)" : string.Join(",", inputShape);
        if (inputShape is not { Count: 1 or 3 } || inputShape.Any(size => size < 1) || Values(inputShape) > MaxValuesPerImage)
            throw new MnistToolsException(InputShapeInvalidErrorId, FailureKind.InvalidArgument,
                $"The input shape {text} is not valid: give <values> or <channels>,<height>,<width>, each at least 1 and at most {MaxValuesPerImage} values in all.",
                "InputShape");
        return inputShape.ToArray();
    }

    private static int Values(IReadOnlyList<int> shape)
    {
        long product = 1;
        foreach (int size in shape) product = Math.Min(product * size, (long)int.MaxValue + 1); // stays below 2^62
        return (int)Math.Min(product, int.MaxValue);
    }

    private static MnistToolsException ShapeError(int index, LayerSpec spec, int[] input, string reason) =>
        new(ShapeInvalidErrorId, FailureKind.InvalidArgument,
            $"Layer {index + 1} '{spec}' does not fit its input {ResolvedLayer.FormatShape(input)}: {reason}", ErrorTarget);
}
