using MnistTools.Layers;
using MnistTools.Numerics;
using static MnistTools.Tests.Layers.ReferenceLayers;

namespace MnistTools.Tests.Layers;

/// <summary>
/// A ReLU convolution followed by 2 x 2, stride 2 max pooling leaves ReLU's derivative to the pooling
/// (<see cref="Conv2dLayer.LeavesDerivativeToPooling"/>, <see cref="MaxPool2dLayer.AppliesReLUDerivative"/>): checked bit
/// for bit against the pair that does not (Z saved, f' in the convolution's backward) on every instruction set, for the
/// conv networks' first layers and odd sizes (columns and rows no window reads, planes at the lane's end on the scalar
/// path), with many zero outputs (ties at 0), signed zeros and NaN in dY; and which networks get the pair.
/// </summary>
public class MaxPool2dReLUDerivativeTests
{
    public static TheoryData<InstructionSet, int, int, int, int, int, Padding, int> Cases()
    {
        var data = new TheoryData<InstructionSet, int, int, int, int, int, Padding, int>();
        foreach (InstructionSet path in Enum.GetValues<InstructionSet>())
        {
            // channels, height, width, filters, kernel, padding, rows
            data.Add(path, 1, 28, 28, 6, 5, Padding.Same, 3);    // LeNet's first layer
            data.Add(path, 6, 14, 14, 16, 5, Padding.Valid, 5);  // LeNet's second
            data.Add(path, 1, 28, 28, 4, 3, Padding.Valid, 2);   // the Keras net's first (fewer filters)
            data.Add(path, 2, 13, 13, 3, 3, Padding.Valid, 3);   // 11 x 11: the last column and row read by no window
            data.Add(path, 1, 5, 36, 2, 2, Padding.Valid, 1);    // 4 x 35: more than 16 windows a row
        }
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void TheFusedPairGivesTheSameBitsAsTheConvolutionsOwnDerivative(InstructionSet path, int channels, int height, int width,
        int filters, int kernel, Padding padding, int rows)
    {
        Skip.IfNot(ComputeSettings.IsSupported(path), $"This CPU does not run {path}.");
        using var scope = ComputeSettings.Override(path, threads: 1);
        var shape = Conv2dShape.Create(channels, height, width, filters, kernel, 1, padding);
        var input = new TensorShape(channels, height, width);
        var pooling = MaxPool2dShape.Create(filters, shape.OutputHeight, shape.OutputWidth, 2, 2);
        var convolution = new Conv2dLayer(input, shape, Activation.ReLU);
        var pool = new MaxPool2dLayer(convolution.OutputShape, pooling);
        Conv2dLayer fusedConvolution = convolution.LeavesDerivativeToPooling();
        MaxPool2dLayer fusedPool = pool.AppliesReLUDerivativeOfPrevious();
        Assert.Equal(0, fusedConvolution.SavedSize);
        Assert.True(fusedPool.AppliesReLUDerivative);
        convolution.Place(0);
        fusedConvolution.Place(0);

        var random = new Random(3 + rows + width);
        // Weights around 0 with a negative bias: about half the outputs are 0 after ReLU, so whole windows tie at 0.
        float[] x = RandomFloats(random, rows * shape.InputSize), w = RandomFloats(random, shape.WeightCount, -0.5, 0.5);
        float[] b = RandomFloats(random, shape.Filters, -0.3, 0.1), parameters = [.. w, .. b];
        float[] dy = RandomFloats(random, rows * pooling.OutputSize);
        for (int i = 0; i < dy.Length; i += 7) dy[i] = i % 3 == 0 ? -0f : 0f;
        dy[^1] = float.NaN;

        var expected = Run(convolution, pool, shape, pooling, x, parameters, dy, rows);
        var actual = Run(fusedConvolution, fusedPool, shape, pooling, x, parameters, dy, rows);
        Assert.True(expected.Y.Count(v => v == 0) > expected.Y.Length / 5, "too few zero outputs to tie");
        Assert.Equal(Bits(expected.Y), Bits(actual.Y));
        Assert.Equal(Bits(expected.Pooled), Bits(actual.Pooled));
        Assert.Equal(Bits(expected.Dz), Bits(actual.Dz));
        Assert.Equal(Bits(expected.Dw), Bits(actual.Dw));
        Assert.Equal(Bits(expected.Db), Bits(actual.Db));
        Assert.Equal(Bits(expected.Dx), Bits(actual.Dx));
    }

    [Theory]
    [InlineData("Conv2d 4 3 ReLU", "MaxPool2d 2", true)]
    [InlineData("Conv2d 4 3 LeakyReLU", "MaxPool2d 2", false)]  // f' is not 0 for negative Z
    [InlineData("Conv2d 4 3", "MaxPool2d 2", false)]
    [InlineData("Conv2d 4 3 ReLU", "MaxPool2d 3", false)]       // no saved winners
    [InlineData("Conv2d 4 3 ReLU", "MaxPool2d 2 stride=1", false)]
    public void OnlyAReLUConvolutionBeforeTwoByTwoPoolingLeavesItsDerivative(string convolution, string pooling, bool fused)
    {
        var network = new Network([1, 12, 12], [LayerSpec.Parse(convolution), LayerSpec.Parse(pooling), LayerSpec.Parse("Dense 10 Softmax")]);
        IReadOnlyList<Layer> layers = network.Stack.Layers;
        Assert.Equal(fused, ((Conv2dLayer)layers[0]).DerivativeInPooling);
        Assert.Equal(fused, ((MaxPool2dLayer)layers[1]).AppliesReLUDerivative);
    }

    private sealed record Result(float[] Y, float[] Pooled, float[] Dz, float[] Dw, float[] Db, float[] Dx);

    /// <summary>Forward and backward through the pair; dZ is the convolution's dY on return (in place when it applies f').</summary>
    private static Result Run(Conv2dLayer convolution, MaxPool2dLayer pool, Conv2dShape shape, MaxPool2dShape pooling, float[] x, float[] parameters,
        float[] dy, int rows)
    {
        float[] y = Stale(rows * shape.OutputSize), z = new float[rows * convolution.SavedSize], scratch = Stale(convolution.ScratchSize(rows));
        float[] pooled = Stale(rows * pooling.OutputSize), winners = Stale(rows * pool.SavedSize);
        convolution.Forward(parameters, new LayerLane(x, y, z, scratch, rows, LaneKey.Inference));
        pool.Forward(parameters, new LayerLane(y, pooled, winners, [], rows, LaneKey.Inference));
        float[] dz = Stale(y.Length), dw = Stale(shape.WeightCount), db = Stale(shape.Filters), dx = Stale(x.Length);
        pool.Backward(parameters, new LayerLane(y, pooled, winners, [], rows, LaneKey.Inference) { OutputGradient = (float[])dy.Clone(), InputGradient = dz },
            [], []);
        convolution.Backward(parameters, new LayerLane(x, y, z, scratch, rows, LaneKey.Inference) { OutputGradient = dz, InputGradient = dx }, dw, db);
        return new Result(y, pooled, dz, dw, db, dx);
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();

    private static float[] Stale(int count) => Enumerable.Repeat(float.NaN, count).ToArray();
}
