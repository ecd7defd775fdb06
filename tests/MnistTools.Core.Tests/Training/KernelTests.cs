using MnistTools.Layers;
using MnistTools.Numerics;
using MnistTools.Randomness;
using MnistTools.Training;

namespace MnistTools.Tests.Training;

/// <summary>The element-wise kernels against their formulas, on lengths that exercise the vector body and the scalar tail.</summary>
public class KernelTests
{
    [Theory]
    [InlineData(Activation.Sigmoid, 37)]
    [InlineData(Activation.Tanh, 37)]
    [InlineData(Activation.ReLU, 37)]
    [InlineData(Activation.LeakyReLU, 37)]
    [InlineData(Activation.ReLU, 3)]
    [InlineData(Activation.LeakyReLU, 37, 0.1f)]
    [InlineData(Activation.LeakyReLU, 37, 0f)]
    [InlineData(Activation.LeakyReLU, 37, -0.5f)]
    [InlineData(Activation.LeakyReLU, 5, 0.3f)]
    public void ActivationForwardAndBackwardFollowTheFormulas(Activation activation, int n, float slope = ActivationFunctions.LeakyReLUSlope)
    {
        var random = new SeededRandom(5);
        float[] z = Enumerable.Range(0, n).Select(i => i == 0 ? 0f : (float)(3 * random.NextGaussian())).ToArray();
        float[] a = new float[n], g = Enumerable.Range(0, n).Select(_ => (float)random.NextGaussian()).ToArray();
        float[] dA = (float[])g.Clone();
        ActivationFunctions.ActivationForward(activation, z, a, slope);
        ActivationFunctions.ActivationBackward(activation, z, a, g, slope);
        for (int i = 0; i < n; i++)
        {
            double expectedA = ReferenceNetwork.Hidden(activation, z[i], slope);
            double derivative = activation switch
            {
                Activation.Sigmoid => expectedA * (1 - expectedA),
                Activation.Tanh => 1 - expectedA * expectedA,
                Activation.ReLU => z[i] > 0 ? 1 : 0,
                _ => z[i] > 0 ? 1 : slope,
            };
            Assert.Equal(expectedA, a[i], 5);
            Assert.Equal(dA[i] * derivative, g[i], 5);
        }
    }

    [Fact]
    public void PixelsAreScaledByDivisionBy255()
    {
        byte[] pixels = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        float[] inputs = new float[256];
        PixelScaling.ToInputs(pixels, inputs);
        for (int i = 0; i < 256; i++) Assert.Equal(i / 255f, inputs[i]);
    }

    [SkippableTheory]
    [InlineData(InstructionSet.Avx512)]
    [InlineData(InstructionSet.Avx2)]
    [InlineData(InstructionSet.Portable)]
    public void PixelScalingIsExactForEveryLevelAndLength(InstructionSet path)
    {
        Skip.IfNot(ComputeSettings.IsSupported(path), $"This CPU does not run {path}.");
        // Every length 0..70 (every vector tail of the 16- and 8-wide paths) at every start offset of a rotating
        // sequence, so each grey level meets each lane and the scalar tail.
        byte[] levels = Enumerable.Range(0, 256 + 70).Select(i => (byte)(i * 7 + 3)).ToArray();
        for (int length = 0; length <= 70; length++)
            for (int offset = 0; offset < 256; offset += length == 0 ? 256 : 1)
            {
                ReadOnlySpan<byte> pixels = levels.AsSpan(offset, length);
                float[] inputs = new float[length];
                PixelScaling.ToInputs(pixels, inputs, path);
                for (int i = 0; i < length; i++) Assert.Equal(pixels[i] / 255f, inputs[i]);
            }
        Assert.Throws<ArgumentException>(() => PixelScaling.ToInputs(new byte[3], new float[4]));
    }

    [Fact]
    public void SoftmaxStaysFiniteForHugeLogits()
    {
        float[] z = { 1000f, 0f, -1000f, 999f };
        float[] a = new float[4], max = new float[1], sum = new float[1], grad = new float[4];
        OutputLayer.OutputForward(Activation.Softmax, z, a, max, sum, 1, 4);
        Assert.All(a, v => Assert.True(float.IsFinite(v)));
        double loss = OutputLayer.LossAndGradient(Activation.Softmax, Loss.CrossEntropy, z, a, max, sum, new[] { 2 }, grad, 1, 4, 1f);
        Assert.Equal(2000 + Math.Log(1 + Math.Exp(-1)), loss, 3); // log Σ exp(z) − z_2, no overflow
        Assert.Equal(-1f, grad[2], 5);
    }
}
