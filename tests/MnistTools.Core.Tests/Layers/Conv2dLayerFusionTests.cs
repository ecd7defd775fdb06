using MnistTools.Layers;
using MnistTools.Numerics;
using static MnistTools.Tests.Layers.ReferenceLayers;

namespace MnistTools.Tests.Layers;

/// <summary>
/// <see cref="Conv2dLayer"/> with an activation runs it fused: forward in chunks of images (the convolution, then f on the
/// chunk while it is in cache), backward with dZ = dY ⊙ f'(Z) and db taken group by group inside
/// <see cref="Conv2dKernels.Conv2dBackward(System.Span{float}, System.ReadOnlySpan{float}, System.ReadOnlySpan{float}, Activation, System.ReadOnlySpan{float}, System.ReadOnlySpan{float}, in Conv2dShape, System.Span{float}, System.Span{float}, System.Span{float}, System.Span{float}, int, float)"/>.
/// Checked bit for bit against the unfused order (the convolution over the whole lane, then f over all of it; f' over
/// all of it, then the convolution's backward), and against the double reference, on the conv networks' layer shapes
/// (one and several chunks, a last partial chunk and group) and small odd ones, for every activation and both convolution
/// algorithms.
/// </summary>
public class Conv2dLayerFusionTests
{
    public static TheoryData<int, int, int, int, int, int, Padding, int> Shapes() => new()
    {
        // channels, height, width, filters, kernel, stride, padding, rows
        { 1, 28, 28, 32, 3, 1, Padding.Valid, 5 },  // the Keras net's first layer: one image per chunk, the direct forward path
        { 32, 13, 13, 64, 3, 1, Padding.Valid, 9 }, // its second: chunks of 4 images (one im2col group), then 1
        { 1, 28, 28, 6, 5, 1, Padding.Same, 13 },   // LeNet's first: chunks of 6, then 1
        { 6, 14, 14, 16, 5, 1, Padding.Valid, 23 }, // LeNet's second: chunks of 20 (4 groups of 5), then 3
        { 3, 7, 9, 5, 3, 2, Padding.Same, 3 },      // stride 2, odd sizes: one chunk
        { 2, 5, 6, 3, 2, 1, Padding.Valid, 1 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesTheUnfusedOrderBitForBitAndTheReference(int channels, int height, int width, int filters, int kernel, int stride, Padding padding, int rows)
    {
        var shape = Conv2dShape.Create(channels, height, width, filters, kernel, stride, padding);
        foreach (ConvolutionAlgorithm algorithm in Enum.GetValues<ConvolutionAlgorithm>())
            using (ComputeSettings.Override(convolution: algorithm))
                foreach (Activation activation in Activations.Nonlinear)
                    foreach (bool firstLayer in new[] { false, true })
                        Check(shape, activation, rows, firstLayer);
    }

    private static void Check(Conv2dShape shape, Activation activation, int rows, bool firstLayer)
    {
        string name = $"{shape} {ComputeSettings.Convolution} {activation} x{rows}{(firstLayer ? " no dX" : "")}";
        var layer = new Conv2dLayer(new TensorShape(shape.Channels, shape.Height, shape.Width), shape, activation);
        layer.Place(0);
        var random = new Random(17 + rows);
        float[] x = RandomFloats(random, rows * shape.InputSize), w = RandomFloats(random, shape.WeightCount, -0.5, 0.5);
        float[] b = RandomFloats(random, shape.Filters, -0.2, 0.2), dy = RandomFloats(random, rows * shape.OutputSize);
        float[] parameters = [.. w, .. b];
        int outputs = rows * shape.OutputSize;

        // The unfused order.
        float[] scratch = new float[shape.ScratchFloats(rows)];
        float[] expectedZ = new float[outputs], expectedY = new float[outputs];
        Conv2dKernels.Conv2dForward(x, w, b, shape, expectedZ, scratch, rows);
        ActivationFunctions.ActivationForward(activation, expectedZ, expectedY, ActivationFunctions.LeakyReLUSlope);
        float[] expectedDz = (float[])dy.Clone();
        ActivationFunctions.ActivationBackward(activation, expectedZ, expectedY, expectedDz, ActivationFunctions.LeakyReLUSlope);
        float[] expectedDw = new float[shape.WeightCount], expectedDb = new float[shape.Filters];
        float[] expectedDx = firstLayer ? [] : new float[rows * shape.InputSize];
        Conv2dKernels.Conv2dBackward(expectedDz, x, w, shape, expectedDw, expectedDb, expectedDx, scratch, rows);

        // The layer, with stale values everywhere it writes.
        float[] y = Stale(outputs), z = Stale(outputs), gradient = (float[])dy.Clone(), dw = Stale(shape.WeightCount), db = Stale(shape.Filters);
        float[] dx = firstLayer ? [] : Stale(rows * shape.InputSize);
        float[] layerScratch = Stale(layer.ScratchSize(rows));
        layer.Forward(parameters, new LayerLane(x, y, z, layerScratch, rows, LaneKey.Inference));
        Assert.Equal(expectedZ, z);
        Assert.Equal(expectedY, y);
        layer.Backward(parameters, new LayerLane(x, y, z, layerScratch, rows, LaneKey.Inference) { OutputGradient = gradient, InputGradient = dx },
            dw, db);
        Assert.Equal(expectedDz, gradient);
        Assert.Equal(expectedDw, dw);
        Assert.Equal(expectedDb, db);
        Assert.Equal(expectedDx, dx);

        // The reference: Y = f(conv(X)) from double sums, and the convolution's backward in double from dZ.
        var (referenceZ, magnitude) = Conv2dForward(ToDouble(x), ToDouble(w), ToDouble(b), shape, rows);
        AssertClose(z, referenceZ, magnitude, $"Z {name}");
        var reference = Conv2dBackward(ToDouble(gradient), ToDouble(x), ToDouble(w), shape, rows);
        AssertClose(dw, reference.WeightGradient, reference.WeightScale, $"dW {name}");
        AssertClose(db, reference.BiasGradient, reference.BiasScale, $"db {name}");
        if (!firstLayer) AssertClose(dx, reference.InputGradient, reference.InputScale, $"dX {name}");
        for (int i = 0; i < outputs; i++)
        {
            // dZ = dY · f'(Z), f' from the forward values.
            double derivative = activation switch
            {
                Activation.ReLU => z[i] > 0 ? 1 : 0,
                Activation.LeakyReLU => z[i] > 0 ? 1 : ActivationFunctions.LeakyReLUSlope,
                Activation.Sigmoid => y[i] * (1.0 - y[i]),
                Activation.Tanh => 1.0 - (double)y[i] * y[i],
                _ => throw new ArgumentOutOfRangeException(nameof(activation)),
            };
            Assert.True(Math.Abs(gradient[i] - dy[i] * derivative) <= 1e-6 * Math.Abs(dy[i]) + 1e-7, $"dZ {name} at {i}");
        }
    }

    /// <summary>Training's forward stores Z and f(Z) (from the registers on the direct and implicit paths): the same bits as
    /// Z from <see cref="Conv2dKernels.Conv2dForward"/> and f over it, with NaN, infinities, zeros and exact-zero sums
    /// (all-zero images: Z = b, some b = 0 or −0) among the inputs, and stale values in both outputs.</summary>
    [Theory]
    [MemberData(nameof(Shapes))]
    public void TrainingForwardStoresZAndYWithTheUnfusedBits(int channels, int height, int width, int filters, int kernel, int stride, Padding padding, int rows)
    {
        var shape = Conv2dShape.Create(channels, height, width, filters, kernel, stride, padding);
        var random = new Random(29 + rows);
        float[] x = RandomFloats(random, rows * shape.InputSize), w = RandomFloats(random, shape.WeightCount, -0.5, 0.5);
        float[] b = RandomFloats(random, shape.Filters, -0.2, 0.2);
        b[0] = 0f;
        if (shape.Filters > 1) b[1] = -0f;
        x.AsSpan(0, shape.InputSize).Clear();
        if (rows > 1)
        {
            x[shape.InputSize + 3] = float.NaN;
            x[shape.InputSize + 7] = float.PositiveInfinity;
            x[shape.InputSize + 11] = float.NegativeInfinity;
        }
        int outputs = rows * shape.OutputSize;
        var cases = Enum.GetValues<ConvolutionAlgorithm>().SelectMany(algorithm => Activations.Nonlinear.Select(activation => (algorithm, activation)));
        foreach ((ConvolutionAlgorithm algorithm, Activation activation) in cases)
        {
            using var scope = ComputeSettings.Override(convolution: algorithm);
            float[] scratch = new float[shape.ScratchFloats(rows)];
            float[] expectedZ = new float[outputs], expectedY = new float[outputs];
            Conv2dKernels.Conv2dForward(x, w, b, shape, expectedZ, scratch, rows);
            ActivationFunctions.ActivationForward(activation, expectedZ, expectedY, 0.1f);
            float[] z = Stale(outputs), y = Stale(outputs);
            Conv2dKernels.Conv2dForwardSaved(x, w, b, shape, z, y, Stale(shape.ScratchFloats(rows)), rows, activation, 0.1f);
            Assert.Equal(Bits(expectedZ), Bits(z));
            Assert.Equal(Bits(expectedY), Bits(y));
        }
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();

    private static float[] Stale(int count) => Enumerable.Repeat(float.NaN, count).ToArray();
}
