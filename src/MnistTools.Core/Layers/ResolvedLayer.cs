namespace MnistTools.Layers;

/// <summary>One layer of a checked layer list (<see cref="LayerSequence.CheckSequence"/>) with the shapes it maps between.
/// Shapes are [values] for vectors and [channels, height, width] for images.</summary>
/// <param name="Spec">The layer.</param>
/// <param name="InputShape">The shape the layer reads.</param>
/// <param name="OutputShape">The shape the layer writes.</param>
/// <param name="ParameterCount">Weights and biases (the kind's rule: Dense in·units + units, Conv2d F·C·K·K + F, 0 without parameters).</param>
/// <param name="IsImplied">A Flatten the list did not write, before a layer that reads a vector after an image shape.</param>
public sealed record ResolvedLayer(LayerSpec Spec, IReadOnlyList<int> InputShape, IReadOnlyList<int> OutputShape, long ParameterCount, bool IsImplied)
{
    /// <summary>Values per image in <see cref="InputShape"/>.</summary>
    public int InputSize => Product(InputShape);

    /// <summary>Values per image in <see cref="OutputShape"/>.</summary>
    public int OutputSize => Product(OutputShape);

    /// <summary>Rows of the weight matrix and biases (Dense units, Conv2d filters); 0 for layers without parameters.</summary>
    public int Units => Spec.ParameterRows(InputShape);

    /// <summary>Biases: one per row, none with <c>bias=false</c> or without parameters.</summary>
    public int BiasCount => Spec.HasBias ? Units : 0;

    /// <summary>Weights (the parameters less the biases).</summary>
    public int WeightCount => checked((int)(ParameterCount - BiasCount));

    /// <summary>Floats of non-trainable state (BatchNorm's running mean and variance); 0 for most layers.</summary>
    public int StateCount => checked((int)Spec.StateTensors(this).Sum(tensor => tensor.Shape.Aggregate(1L, (a, b) => a * b)));

    /// <summary>The weight tensor's shape: Dense [units, inputs], Conv2d [filters, channels, kernel, kernel]; empty without parameters.</summary>
    public long[] WeightShape => ParameterCount == 0 ? [] : Spec.WeightShape(this);

    /// <summary>A shape as text: <c>32x13x13</c>, <c>128</c>.</summary>
    public static string FormatShape(IReadOnlyList<int> shape) => string.Join("x", shape);

    private static int Product(IReadOnlyList<int> shape)
    {
        long product = 1;
        foreach (int size in shape) product *= size;
        return checked((int)product);
    }
}
