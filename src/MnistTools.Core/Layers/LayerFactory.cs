namespace MnistTools.Layers;

/// <summary>The computing layers of a checked layer list (<see cref="LayerSequence.CheckSequence"/>).</summary>
internal static class LayerFactory
{
    /// <summary>
    /// One <see cref="Layer"/> per layer of the list, null where nothing computes (Flatten reads the same row-major values
    /// as a vector). The last layer is linear: its Softmax or Sigmoid belongs to the output head (<see cref="OutputLayer"/>).
    /// </summary>
    public static Layer?[] Create(IReadOnlyList<ResolvedLayer> layers)
    {
        var result = new Layer?[layers.Count];
        for (int l = 0; l < layers.Count; l++)
            result[l] = layers[l].Spec.CreateLayer(layers[l], isLast: l == layers.Count - 1);
        // A ReLU convolution read only by a 2 x 2, stride 2 max pooling: the pooling's backward applies ReLU' (the same
        // bits), so the convolution keeps no Z and runs no f' pass.
        for (int l = 1; l < result.Length; l++)
            if (result[l] is MaxPool2dLayer { Shape.SavesWinners: true } pool && result[l - 1] is Conv2dLayer { Activation: Activation.ReLU } conv)
            {
                result[l - 1] = conv.LeavesDerivativeToPooling();
                result[l] = pool.AppliesReLUDerivativeOfPrevious();
            }
        return result;
    }
}
