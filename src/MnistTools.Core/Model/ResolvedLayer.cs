using MnistTools.Layers;

namespace MnistTools;

/// <summary>One layer of a checked layer list (<see cref="LayerSpec.CheckSequence"/>) with the shapes it maps between.
/// Shapes are [values] for vectors and [channels, height, width] for images.</summary>
/// <param name="Spec">The layer.</param>
/// <param name="InputShape">The shape the layer reads.</param>
/// <param name="OutputShape">The shape the layer writes.</param>
/// <param name="ParameterCount">Weights and biases: Dense in·units + units, Conv2d F·C·K·K + F, others 0.</param>
/// <param name="IsImplied">A Flatten the list did not write, before a Dense that follows an image shape.</param>
public sealed record ResolvedLayer(LayerSpec Spec, IReadOnlyList<int> InputShape, IReadOnlyList<int> OutputShape, long ParameterCount, bool IsImplied)
{
    /// <summary>Values per image in <see cref="InputShape"/>.</summary>
    public int InputSize => Product(InputShape);

    /// <summary>Values per image in <see cref="OutputShape"/>.</summary>
    public int OutputSize => Product(OutputShape);

    /// <summary>Rows of the weight matrix and biases: Dense units, Conv2d filters, 0 for layers without parameters.</summary>
    public int Units => Spec.Kind switch { LayerKind.Dense => Spec.Units, LayerKind.Conv2d => Spec.Filters, _ => 0 };

    /// <summary>Weights (the parameters less the biases).</summary>
    public int WeightCount => checked((int)(ParameterCount - Units));

    /// <summary>The convolution's sizes (Conv2d only).</summary>
    internal Conv2dShape ConvolutionShape => Spec.Kind == LayerKind.Conv2d
        ? Conv2dShape.Create(InputShape[0], InputShape[1], InputShape[2], Spec.Filters, Spec.Kernel, Spec.Stride, Spec.Padding)
        : throw new InvalidOperationException($"{Spec} is not a convolution.");

    /// <summary>The pooling's sizes (MaxPool2d only).</summary>
    internal MaxPool2dShape PoolingShape => Spec.Kind == LayerKind.MaxPool2d
        ? MaxPool2dShape.Create(InputShape[0], InputShape[1], InputShape[2], Spec.Kernel, Spec.Stride)
        : throw new InvalidOperationException($"{Spec} is not a pooling.");

    /// <summary>A shape as text: <c>32x13x13</c>, <c>128</c>.</summary>
    public static string FormatShape(IReadOnlyList<int> shape) => string.Join("x", shape);

    private static int Product(IReadOnlyList<int> shape)
    {
        long product = 1;
        foreach (int size in shape) product *= size;
        return checked((int)product);
    }
}
