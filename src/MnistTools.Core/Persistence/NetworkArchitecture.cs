using System.Globalization;
using MnistTools.Errors;
using MnistTools.Layers;

namespace MnistTools.Persistence;

/// <summary>
/// What a network file describes, whichever version wrote it: the input shape and the checked layer list, and from them
/// the tensors of each flat buffer. A version 1 file gives layer sizes and two activations, read as the equivalent
/// dense layer list on a vector input.
/// </summary>
internal sealed class NetworkArchitecture
{
    private NetworkArchitecture(int[] inputShape, IReadOnlyList<ResolvedLayer> layers)
    {
        InputShape = inputShape;
        Layers = layers;
        long count = 0, state = 0;
        foreach (ResolvedLayer layer in layers)
        {
            count += layer.ParameterCount;
            state += layer.StateCount;
        }
        ParameterCount = checked((int)count);
        StateCount = checked((int)state);
    }

    public int[] InputShape { get; }

    public IReadOnlyList<ResolvedLayer> Layers { get; }

    public int ParameterCount { get; }

    /// <summary>Floats of non-trainable state (BatchNorm's running statistics).</summary>
    public int StateCount { get; }

    /// <summary>Values of one flat buffer: <see cref="StateCount"/> for a state buffer, <see cref="ParameterCount"/> otherwise.</summary>
    public int BufferLength(string buffer) => NetworkFileFormat.IsState(buffer) ? StateCount : ParameterCount;

    /// <summary>The layer specs joined by ', ' (for messages).</summary>
    public string Description => string.Join(", ", Layers.Select(layer => layer.Spec.ToString()));

    /// <exception cref="MnistToolsException">InvalidArgument when the shapes or layers do not fit (LayerSpec's ids).</exception>
    public static NetworkArchitecture FromLayers(IReadOnlyList<int> inputShape, IReadOnlyList<LayerSpec> layers)
    {
        IReadOnlyList<ResolvedLayer> resolved = LayerSequence.CheckSequence(layers, inputShape);
        LayerSequence.OutputActivationOf(layers);
        return new NetworkArchitecture(inputShape.ToArray(), resolved);
    }

    /// <exception cref="MnistToolsException">InvalidArgument for bad layer sizes or activations (<see cref="LayerSequence.DenseSpecs"/>).</exception>
    public static NetworkArchitecture FromLayerSizes(IReadOnlyList<int> layerSizes, Activation activation, Activation outputActivation) =>
        FromLayers(new[] { LayerSequence.CheckLayerSizes(layerSizes) }, LayerSequence.DenseSpecs(layerSizes, activation, outputActivation));

    public static NetworkArchitecture FromSnapshot(NetworkSnapshot snapshot) =>
        snapshot.Layers is { } layers
            ? FromLayers(snapshot.InputShape ?? Array.Empty<int>(), layers)
            : FromLayerSizes(snapshot.LayerSizes ?? Array.Empty<int>(), snapshot.Activation, snapshot.OutputActivation);

    /// <summary>
    /// The tensors of one flat buffer (parameters or an optimizer buffer), in layout order: for layer i of the list
    /// (Flatten counted) with parameters, <c>layers.{i}.weight</c> (shaped as its kind says: Dense [out, in], Conv2d
    /// [F, C, K, K]) and <c>layers.{i}.bias</c> [out].
    /// </summary>
    public IEnumerable<NetworkFileFormat.TensorSlot> Slots(string prefix)
    {
        if (NetworkFileFormat.IsState(prefix))
        {
            string names = NetworkFileFormat.NamePrefix(prefix);
            int position = 0;
            for (int i = 0; i < Layers.Count; i++)
                foreach ((string suffix, long[] shape) in Layers[i].Spec.StateTensors(Layers[i]))
                {
                    int count = checked((int)shape.Aggregate(1L, (a, b) => a * b));
                    yield return new NetworkFileFormat.TensorSlot($"{names}layers.{i}.{suffix}", shape, position, count);
                    position += count;
                }
            yield break;
        }
        int offset = 0;
        for (int i = 0; i < Layers.Count; i++)
        {
            ResolvedLayer layer = Layers[i];
            if (layer.ParameterCount == 0) continue;
            long[] shape = layer.WeightShape;
            int biases = layer.BiasCount, weights = layer.WeightCount;
            yield return new NetworkFileFormat.TensorSlot(NetworkFileFormat.WeightName(i, prefix), shape, offset, weights);
            if (biases > 0)
                yield return new NetworkFileFormat.TensorSlot(NetworkFileFormat.BiasName(i, prefix), new long[] { biases }, offset + weights, biases);
            offset += weights + biases;
        }
    }

    /// <summary>[values] or [c, h, w] as "c,h,w".</summary>
    public static string FormatShape(IReadOnlyList<int> shape) => string.Join(',', shape.Select(v => v.ToString(CultureInfo.InvariantCulture)));
}
