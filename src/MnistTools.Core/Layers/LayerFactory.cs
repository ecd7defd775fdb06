namespace MnistTools.Layers;

/// <summary>The computing layers of a checked layer list (<see cref="LayerSpec.CheckSequence"/>), in order.</summary>
internal static class LayerFactory
{
    /// <summary>
    /// One <see cref="Layer"/> per spec, except Flatten, which reads the same row-major values as a vector and so needs no
    /// work. The last layer is linear: its Softmax or Sigmoid belongs to the output head (<see cref="OutputLayer"/>).
    /// </summary>
    public static Layer[] Create(IReadOnlyList<ResolvedLayer> layers)
    {
        var result = new List<Layer>(layers.Count);
        for (int l = 0; l < layers.Count; l++)
        {
            ResolvedLayer layer = layers[l];
            LayerSpec spec = layer.Spec;
            bool last = l == layers.Count - 1;
            TensorShape input = Shape(layer.InputShape);
            switch (spec.Kind)
            {
                case LayerKind.Dense:
                    result.Add(new DenseLayer(input, spec.Units, last ? null : Hidden(spec.Activation)));
                    break;
                case LayerKind.Conv2d:
                    result.Add(new Conv2dLayer(input, layer.ConvolutionShape, Hidden(spec.Activation)));
                    break;
                case LayerKind.MaxPool2d:
                    result.Add(new MaxPool2dLayer(input, layer.PoolingShape));
                    break;
                case LayerKind.Dropout:
                    result.Add(new DropoutLayer(input, (float)spec.Rate));
                    break;
                case LayerKind.Flatten:
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(layers), $"Unknown layer kind {spec.Kind}.");
            }
        }
        return result.ToArray();
    }

    /// <summary>[n] or [c, h, w] as a <see cref="TensorShape"/>.</summary>
    public static TensorShape Shape(IReadOnlyList<int> shape) =>
        shape.Count == 3 ? new TensorShape(shape[0], shape[1], shape[2]) : TensorShape.Vector(shape[0]);

    private static Activation? Hidden(LayerActivation activation) => activation switch
    {
        LayerActivation.None => null,
        LayerActivation.Softmax => throw new ArgumentOutOfRangeException(nameof(activation), "Softmax belongs to the last layer."),
        _ => (Activation)activation,
    };
}
