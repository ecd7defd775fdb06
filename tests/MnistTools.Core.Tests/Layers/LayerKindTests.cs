using MnistTools.Layers;

namespace MnistTools.Tests.Layers;

/// <summary>
/// The layer-kind registry: every kind reads its own word in any case and writes it back, each kind's spec type says
/// everything a network needs of it (shapes, parameters, the layer it builds, its tensors), and a network's per-layer
/// outputs line up with its layer list.
/// </summary>
public class LayerKindTests
{
    public static TheoryData<string, string, long, string> Examples() => new()
    {
        // spec, input shape, parameters, output shape
        { "Dense 16 ReLU", "20", 21 * 16, "16" },
        { "Conv2d 4 3 stride=2 padding=same Tanh", "2x9x9", (2 * 9 + 1) * 4, "4x5x5" },
        { "MaxPool2d 3 stride=2", "2x9x9", 0, "2x4x4" },
        { "Dropout 0.25", "2x9x9", 0, "2x9x9" },
        { "Flatten", "2x9x9", 0, "162" },
        { "BatchNorm ReLU", "2x9x9", 4, "2x9x9" },
        { "AvgPool2d 3 stride=2", "2x9x9", 0, "2x4x4" },
        { "GlobalAvgPool", "2x9x9", 0, "2" },
        { "Conv2d 4 3 bias=false", "2x9x9", 2 * 9 * 4, "4x7x7" },
    };

    [Theory]
    [MemberData(nameof(Examples))]
    public void EachKindGivesItsShapeAndParameters(string text, string input, long parameters, string output)
    {
        int[] inputShape = input.Split('x').Select(int.Parse).ToArray();
        LayerSpec spec = LayerSpec.Parse(text);
        var layers = new List<LayerSpec> { spec };
        if (!spec.Equals(new DenseSpec(16, Activation.ReLU))) layers.Add(new DenseSpec(3, Activation.Softmax));
        ResolvedLayer resolved = LayerSequence.CheckSequence(layers, inputShape)[0];
        Assert.Equal((parameters, output), (resolved.ParameterCount, ResolvedLayer.FormatShape(resolved.OutputShape)));
        long weights = resolved.WeightShape.Length == 0 ? 0 : resolved.WeightShape.Aggregate(1L, (a, b) => a * b);
        Assert.Equal(parameters, weights + resolved.BiasCount);
    }

    [Fact]
    public void TheRegistryListsEveryKindOnceAndFindsItsWordInAnyCase()
    {
        Assert.Equal(["Dense", "Conv2d", "MaxPool2d", "AvgPool2d", "GlobalAvgPool", "BatchNorm", "Dropout", "Flatten"], LayerKinds.All.Select(kind => kind.Name));
        foreach (LayerKind kind in LayerKinds.All)
        {
            Assert.Same(kind, LayerKinds.Find(kind.Name.ToUpperInvariant()));
            Assert.Same(kind, LayerKinds.Find(kind.Name.ToLowerInvariant()));
            Assert.False(string.IsNullOrWhiteSpace(kind.Summary));
        }
        Assert.Null(LayerKinds.Find("Conv3d"));
        // Every spec type of the core is in the registry: a kind added without its registry line fails here.
        Type[] specTypes = typeof(LayerSpec).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(LayerSpec)) && !t.IsAbstract).ToArray();
        Assert.Equal(specTypes.Length, LayerKinds.All.Count);
    }

    [Fact]
    public void EveryLayerOfTheListHasItsOutputInGetLayerOutputs()
    {
        var network = new Network([1, 12, 12],
            LayerSpec.ParseAll(["Conv2d 3 3 ReLU", "MaxPool2d 2", "Dropout 0.5", "Flatten", "Dense 8 Tanh", "Dense 4 Softmax"]), seed: 3);
        var pixels = new byte[144];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i * 37 % 256);
        float[][] outputs = network.GetLayerOutputs(pixels);
        IReadOnlyList<ResolvedLayer> layers = network.ResolvedLayers;
        Assert.Equal(layers.Count, outputs.Length);
        for (int l = 0; l < layers.Count; l++) Assert.Equal(layers[l].OutputSize, outputs[l].Length);
        // Dropout and Flatten leave their input's values as they are at inference.
        Assert.Equal(outputs[1], outputs[2]);
        Assert.Equal(outputs[2], outputs[3]);
        Assert.Equal(1f, outputs[^1].Sum(), 5);
    }
}
