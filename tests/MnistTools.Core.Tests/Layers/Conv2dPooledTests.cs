using MnistTools.Layers;
using MnistTools.Numerics;
using static MnistTools.Tests.Layers.ReferenceLayers;

namespace MnistTools.Tests.Layers;

/// <summary>
/// The one-pass ReLU convolution and 2 x 2, stride 2 max pooling (<see cref="Conv2dPooled"/>, <see cref="Conv2dImplicitPooled"/>,
/// through <see cref="Layer.ForwardWithNext"/>): bit for bit the convolution's forward with ReLU followed by the
/// pooling's, values and winners, over every small shape the pairs take (filters around the blocks of 4, blocks of 64,
/// odd sizes whose last row and column no window reads, pooled rows wider than one vector, both paddings, 0..3 images),
/// with special values; where they apply; the predictor's scores equal those of the layer-by-layer pass; and a training
/// forward as one pass keeps every other layer's output and saved values.
/// </summary>
public class Conv2dPooledTests
{
    [SkippableFact]
    public void GivesTheBitsOfTheConvolutionThenThePoolingOnEverySmallShape()
    {
        Skip.IfNot(ComputeSettings.IsSupported(InstructionSet.Avx512), "This CPU does not run Avx512.");
        using var scope = ComputeSettings.Override(InstructionSet.Avx512, threads: 1);
        var random = new Random(29);
        int checkedShapes = 0;
        foreach (int channels in new[] { 1, 2, 3 })
            foreach (int kernel in new[] { 1, 2, 3, 5 })
                foreach (int filters in new[] { 1, 2, 3, 4, 5, 6, 8, 9, 10, 16, 32, 33 })
                    foreach ((int height, int width) in new[] { (2, 2), (5, 7), (8, 9), (13, 12), (28, 28), (11, 35), (6, 70) })
                        foreach (Padding padding in new[] { Padding.Valid, Padding.Same })
                        {
                            if (channels * kernel * kernel > Conv2dDirect.MaxPatch || (padding == Padding.Valid && (height < kernel + 1 || width < kernel + 1)))
                                continue;
                            var shape = Conv2dShape.Create(channels, height, width, filters, kernel, 1, padding);
                            var pooling = MaxPool2dShape.Create(filters, shape.OutputHeight, shape.OutputWidth, 2, 2);
                            Assert.True(Conv2dPooled.Applies(shape, pooling, InstructionSet.Avx512), $"{shape}");
                            Check(random, shape, pooling, rows: (checkedShapes % 4), specialValues: false);
                            checkedShapes++;
                        }
        Assert.True(checkedShapes > 400, $"only {checkedShapes} shapes");
    }

    [SkippableFact]
    public void TheDeepPairGivesTheBitsOfTheConvolutionThenThePooling()
    {
        Skip.IfNot(ComputeSettings.IsSupported(InstructionSet.Avx512), "This CPU does not run Avx512.");
        // Direct: under Winograd the 3x3 layers of 8+ channels keep their separate pooling.
        using var scope = ComputeSettings.Override(InstructionSet.Avx512, threads: 1, convolution: ConvolutionAlgorithm.Direct);
        var random = new Random(37);
        int checkedShapes = 0;
        foreach ((int channels, int kernel) in new[] { (4, 3), (32, 3), (2, 5), (40, 1) })
            foreach (int filters in new[] { 64, 128 })
                foreach ((int height, int width) in new[] { (13, 13), (4, 5), (10, 7), (6, 40) })
                    foreach (Padding padding in new[] { Padding.Valid, Padding.Same })
                    {
                        if (padding == Padding.Valid && (height < kernel + 1 || width < kernel + 1)) continue;
                        var shape = Conv2dShape.Create(channels, height, width, filters, kernel, 1, padding);
                        var pooling = MaxPool2dShape.Create(filters, shape.OutputHeight, shape.OutputWidth, 2, 2);
                        Assert.True(Conv2dImplicitPooled.Applies(shape, pooling, InstructionSet.Avx512), $"{shape}");
                        Assert.False(Conv2dPooled.Applies(shape, pooling, InstructionSet.Avx512), $"{shape}");
                        Check(random, shape, pooling, rows: checkedShapes % 4, specialValues: checkedShapes % 3 == 0);
                        checkedShapes++;
                    }
        Assert.True(checkedShapes > 50, $"only {checkedShapes} shapes");
    }

    [SkippableTheory]
    [InlineData(1, 28, 28, 32, 3, Padding.Valid, 3)] // the Keras net's first layer
    [InlineData(1, 28, 28, 6, 5, Padding.Same, 3)]   // LeNet's first
    [InlineData(2, 9, 40, 5, 3, Padding.Same, 2)]    // two vector pairs a row
    [InlineData(2, 9, 40, 10, 3, Padding.Same, 2)]   // a last block of 2 filters after two of 4
    public void KeepsNaNInfinitiesAndZerosAsTheTwoPassesDo(int channels, int height, int width, int filters, int kernel, Padding padding, int rows)
    {
        Skip.IfNot(ComputeSettings.IsSupported(InstructionSet.Avx512), "This CPU does not run Avx512.");
        using var scope = ComputeSettings.Override(InstructionSet.Avx512, threads: 1);
        var shape = Conv2dShape.Create(channels, height, width, filters, kernel, 1, padding);
        var pooling = MaxPool2dShape.Create(filters, shape.OutputHeight, shape.OutputWidth, 2, 2);
        Check(new Random(31 + width), shape, pooling, rows, specialValues: true);
    }

    [Fact]
    public void TakesOnlyShallowStrideOnePairsOnAvx512()
    {
        var shallow = Conv2dShape.Create(1, 28, 28, 32, 3, 1, Padding.Valid);
        var pooling = MaxPool2dShape.Create(32, 26, 26, 2, 2);
        Assert.Equal(ComputeSettings.IsSupported(InstructionSet.Avx512), Conv2dPooled.Applies(shallow, pooling, InstructionSet.Avx512));
        Assert.False(Conv2dPooled.Applies(shallow, pooling, InstructionSet.Avx2));
        Assert.False(Conv2dPooled.Applies(shallow, MaxPool2dShape.Create(32, 26, 26, 3, 3), InstructionSet.Avx512));
        Assert.False(Conv2dPooled.Applies(shallow, MaxPool2dShape.Create(32, 26, 26, 2, 1), InstructionSet.Avx512));
        var deep = Conv2dShape.Create(4, 13, 13, 8, 3, 1, Padding.Valid);
        Assert.False(Conv2dPooled.Applies(deep, MaxPool2dShape.Create(8, 11, 11, 2, 2), InstructionSet.Avx512));
        Assert.False(Conv2dImplicitPooled.Applies(deep, MaxPool2dShape.Create(8, 11, 11, 2, 2), InstructionSet.Avx512));
        foreach (int filters in new[] { 16, 32, 48, 80 })
            Assert.False(Conv2dImplicitPooled.Applies(Conv2dShape.Create(4, 13, 13, filters, 3, 1, Padding.Valid),
                MaxPool2dShape.Create(filters, 11, 11, 2, 2), InstructionSet.Avx512), $"{filters} filters");
        var keras = Conv2dShape.Create(32, 13, 13, 64, 3, 1, Padding.Valid);
        Assert.Equal(ComputeSettings.IsSupported(InstructionSet.Avx512),
            Conv2dImplicitPooled.Applies(keras, MaxPool2dShape.Create(64, 11, 11, 2, 2), InstructionSet.Avx512));
        var strided = Conv2dShape.Create(1, 28, 28, 8, 3, 2, Padding.Valid);
        Assert.False(Conv2dPooled.Applies(strided, MaxPool2dShape.Create(8, 13, 13, 2, 2), InstructionSet.Avx512));
    }

    public static TheoryData<string, string[]> Networks() => new()
    {
        { "Keras", ["Conv2d 32 3 ReLU", "MaxPool2d 2", "Conv2d 64 3 ReLU", "MaxPool2d 2", "Dropout 0.5", "Dense 10 Softmax"] },
        { "LeNet", ["Conv2d 6 5 padding=same ReLU", "MaxPool2d 2", "Conv2d 16 5 ReLU", "MaxPool2d 2", "Dense 120 ReLU", "Dense 84 ReLU", "Dense 10 Softmax"] },
        { "LeakyReLU", ["Conv2d 8 3 LeakyReLU", "MaxPool2d 2", "Dense 10 Softmax"] },
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void ThePredictorScoresAsTheLayerByLayerPass(string name, string[] layers)
    {
        var network = new Network([1, 28, 28], layers.Select(LayerSpec.Parse).ToArray(), seed: 5);
        var random = new Random(name.Length);
        const int Images = 37;
        byte[] pixels = new byte[Images * 784];
        random.NextBytes(pixels);
        float[] scores = new float[Images * 10];
        new Predictor(network).PredictPixels(pixels, Images, scores);
        for (int i = 0; i < Images; i++)
        {
            float[][] outputs = network.GetLayerOutputs(pixels.AsSpan(i * 784, 784));
            Assert.Equal(outputs[^1].Select(BitConverter.SingleToInt32Bits), scores.AsSpan(i * 10, 10).ToArray().Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void ATrainingForwardAsOnePassKeepsTheOutputsAndWinnersOfTheLayerByLayerPass(string name, string[] layers)
    {
        var network = new Network([1, 28, 28], layers.Select(LayerSpec.Parse).ToArray(), seed: 7);
        LayerStack stack = network.Stack;
        const int Rows = 9;
        var key = new LaneKey(Training: true, Seed: 3, Epoch: 1, Step: 2, FirstRow: 0);
        var random = new Random(name.Length + 1);
        (float[][] Outputs, float[][] Saved, float[] Scores) Run(bool everyOutput)
        {
            var buffers = new BatchBuffers(stack, Rows, training: true, lanes: 1);
            foreach (AlignedFloats output in buffers.Outputs) output.AsSpan().Fill(float.NaN);
            float[] input = RandomFloats(new Random(11), Rows * stack.InputSize, 0, 1);
            input.CopyTo(buffers.Input.AsSpan());
            Propagation.Forward(stack, buffers, 0, Rows, 0, key, everyOutput: everyOutput);
            return (buffers.Outputs.Select(o => o.AsSpan().ToArray()).ToArray(), buffers.Saved.Select(o => o.AsSpan().ToArray()).ToArray(),
                buffers.Scores.AsSpan().ToArray());
        }
        var layerByLayer = Run(everyOutput: true);
        var onePass = Run(everyOutput: false);
        IReadOnlyList<Layer> computing = stack.Layers;
        int pairs = 0;
        for (int l = 0; l < computing.Count; l++)
        {
            // The convolution of a pair writes nothing; every other layer's output and saved values are the same bits.
            bool pairedConvolution = l + 1 < computing.Count && computing[l] is Conv2dLayer { DerivativeInPooling: true } && computing[l + 1] is MaxPool2dLayer
                && onePass.Outputs[l].All(float.IsNaN);
            if (pairedConvolution)
            {
                pairs++;
                continue;
            }
            Assert.Equal(layerByLayer.Outputs[l].Select(BitConverter.SingleToInt32Bits), onePass.Outputs[l].Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(layerByLayer.Saved[l].Select(BitConverter.SingleToInt32Bits), onePass.Saved[l].Select(BitConverter.SingleToInt32Bits));
        }
        Assert.Equal(layerByLayer.Scores.Select(BitConverter.SingleToInt32Bits), onePass.Scores.Select(BitConverter.SingleToInt32Bits));
        // The Keras net pairs both convolutions (its first only under Winograd, which computes the second), LeNet its first
        // (its second has 16 filters), LeakyReLU none.
        bool winograd = ComputeSettings.Convolution == ConvolutionAlgorithm.Winograd;
        int expectedPairs = ComputeSettings.InstructionSet != InstructionSet.Avx512 ? 0 : name switch { "Keras" => winograd ? 1 : 2, "LeNet" => 1, _ => 0 };
        Assert.Equal(expectedPairs, pairs);
    }

    private static void Check(Random random, Conv2dShape shape, MaxPool2dShape pooling, int rows, bool specialValues)
    {
        string name = $"{shape} x{rows}";
        float[] x = RandomFloats(random, rows * shape.InputSize), w = RandomFloats(random, shape.WeightCount, -0.5, 0.5);
        // A bias mostly below 0: many outputs are 0 after ReLU, so whole windows tie at +0.
        float[] b = RandomFloats(random, shape.Filters, -0.3, 0.1);
        if (specialValues)
        {
            for (int i = 0; i < x.Length; i += 41) x[i] = (i / 41 % 5) switch { 0 => float.NaN, 1 => float.PositiveInfinity, 2 => float.NegativeInfinity, 3 => -0f, _ => 0f };
            for (int i = 0; i < x.Length; i += 13) x[i] = 0f;
            w[0] = -0f;
        }
        float[] scratch = new float[shape.ScratchFloats(rows)];

        float[] y = new float[rows * shape.OutputSize], expected = Enumerable.Repeat(float.NaN, rows * pooling.OutputSize).ToArray();
        Conv2dKernels.Conv2dForward(x, w, b, shape, y, scratch, rows, Activation.ReLU);
        byte[] expectedWinners = new byte[rows * pooling.OutputSize];
        MaxPool2dKernels.MaxPool2dForward(y, pooling, expected, expectedWinners, rows, positiveWinnersOnly: true);
        foreach (bool winners in new[] { false, true })
            CheckPair(shape, pooling, rows, x, w, b, scratch.Length, expected, winners ? expectedWinners : null, $"{name}{(winners ? " winners" : "")}");
        if (specialValues && rows > 0) Assert.Contains(expected, float.IsNaN);
    }

    /// <summary>The pair's kernel against the two passes' <paramref name="expected"/> values (and winners when given), with
    /// stale values in the outputs and one more value past them, which must stay.</summary>
    private static void CheckPair(Conv2dShape shape, MaxPool2dShape pooling, int rows, float[] x, float[] w, float[] b, int scratchLength,
        float[] expected, byte[]? expectedWinners, string name)
    {

        int count = rows * pooling.OutputSize;
        float[] actual = Enumerable.Repeat(-7f, count + 1).ToArray();
        byte[] winners = Enumerable.Repeat((byte)0xEE, count + 1).ToArray();
        Span<byte> kept = expectedWinners is null ? default : winners.AsSpan(0, count);
        float[] staleScratch = Enumerable.Repeat(float.NaN, scratchLength).ToArray();
        if (Conv2dPooled.Applies(shape, pooling, InstructionSet.Avx512))
        {
            Assert.True(Conv2dPooled.ScratchFloats(shape, pooling) <= shape.ScratchFloats(rows), $"scratch {name}");
            Conv2dPooled.Forward(x, w, b, shape, pooling, actual.AsSpan(0, count), staleScratch, rows, kept);
        }
        else
        {
            Assert.True(Conv2dImplicitPooled.ScratchFloats(shape) <= shape.ScratchFloats(rows), $"scratch {name}");
            Conv2dImplicitPooled.Forward(x, w, b, shape, pooling, actual.AsSpan(0, count), staleScratch, rows, kept);
        }
        Assert.Equal((byte)0xEE, winners[^1]);
        if (expectedWinners is not null)
            for (int i = 0; i < count; i++)
                Assert.True(expectedWinners[i] == winners[i], $"{name}: winner {i} is {winners[i]}, expected {expectedWinners[i]}");
        Assert.Equal(-7f, actual[^1]);
        int[] expectedBits = expected.Select(BitConverter.SingleToInt32Bits).ToArray();
        int[] actualBits = actual[..^1].Select(BitConverter.SingleToInt32Bits).ToArray();
        for (int i = 0; i < expectedBits.Length; i++)
            Assert.True(expectedBits[i] == actualBits[i], $"{name}: value {i} is {actual[i]}, expected {expected[i]}");
    }
}
