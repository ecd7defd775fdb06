using MnistTools.Numerics;
using MnistTools.Training;

namespace MnistTools.Tests.Training;

/// <summary>The hot-path element-wise functions against double-precision references, special values and every tail length.</summary>
public class VectorMathTests
{
    /// <summary>Relative tolerance with an absolute floor near float's smallest normal.</summary>
    private static void AssertClose(double expected, float actual, double relative, string what)
    {
        if (double.IsNaN(expected)) { Assert.True(float.IsNaN(actual), $"{what}: expected NaN, got {actual}"); return; }
        if (double.IsInfinity(expected) || expected > float.MaxValue) { Assert.Equal((float)expected, actual); return; }
        Assert.True(Math.Abs(actual - expected) <= relative * Math.Abs(expected) + 1e-38, $"{what}: expected {expected:R}, got {actual:R}");
    }

    private static float[] Sweep()
    {
        var values = new List<float>();
        for (double x = -110; x <= 95; x += 0.013) values.Add((float)x);
        var random = new Random(12);
        for (int i = 0; i < 5000; i++) values.Add((float)(random.NextDouble() * 40 - 20));
        values.AddRange(new[] { 0f, -0f, 1e-30f, -1e-30f, 1e-7f, 88.72f, 88.7228f, 88.73f, -87.33f, -103.9f, -104f, -105f,
            float.MaxValue, float.MinValue, float.Epsilon, float.PositiveInfinity, float.NegativeInfinity, float.NaN });
        return values.ToArray();
    }

    [Fact]
    public void ExpIsWithinTwoUlpOfTheTrueValue()
    {
        float[] x = Sweep(), y = new float[x.Length];
        VectorMath.Exp(x, y);
        for (int i = 0; i < x.Length; i++)
        {
            double expected = Math.Exp(x[i]);
            if (expected < 1.2e-38) Assert.True(y[i] >= 0 && y[i] <= 2.4e-38f, $"exp({x[i]}) = {y[i]}"); // subnormal range: tiny, never negative
            else AssertClose(expected, y[i], 2.5e-7, $"exp({x[i]:R})");
        }
    }

    [Fact]
    public void SigmoidMatchesDoubleAndSaturates()
    {
        float[] x = Sweep(), y = new float[x.Length];
        VectorMath.Sigmoid(x, y);
        for (int i = 0; i < x.Length; i++)
        {
            double expected = 1 / (1 + Math.Exp(-(double)x[i]));
            if (expected < 1e-37) Assert.True(y[i] >= 0 && y[i] < 1e-37f, $"sigmoid({x[i]}) = {y[i]}");
            else AssertClose(expected, y[i], 4e-7, $"sigmoid({x[i]:R})");
        }
        float[] special = { float.NegativeInfinity, float.PositiveInfinity, float.NaN, 0f };
        float[] result = new float[4];
        VectorMath.Sigmoid(special, result);
        Assert.Equal(new[] { 0f, 1f }, result[..2]);
        Assert.True(float.IsNaN(result[2]));
        Assert.Equal(0.5f, result[3]);
    }

    [Fact]
    public void ReLUAndLeakyReLUKeepNaNAndInfinities()
    {
        float[] x = { -3f, -0f, 0f, 2.5f, float.NegativeInfinity, float.PositiveInfinity, float.NaN, -1e-40f };
        float[] relu = new float[x.Length], leaky = new float[x.Length];
        VectorMath.ReLU(x, relu);
        VectorMath.LeakyReLU(x, leaky, 0.01f);
        Assert.Equal(new[] { 0f, 0f, 0f, 2.5f, 0f, float.PositiveInfinity }, relu[..6]);
        Assert.True(float.IsNaN(relu[6]));
        Assert.Equal(0f, relu[7]);
        Assert.Equal(new[] { -0.03f, 0f, 0f, 2.5f, float.NegativeInfinity, float.PositiveInfinity }, leaky[..6]);
        Assert.True(float.IsNaN(leaky[6]));
    }

    [Fact]
    public void EveryLengthAndOffsetGivesTheSameBitsAsTheWholeSpan()
    {
        // Each element's result must not depend on whether it lands in the vector body or the padded tail.
        var random = new Random(4);
        float[] x = Enumerable.Range(0, 200).Select(_ => (float)(random.NextDouble() * 30 - 15)).ToArray();
        var functions = new (string Name, Action<float[], float[]> Apply)[]
        {
            ("Exp", (a, b) => VectorMath.Exp(a, b)), ("Sigmoid", (a, b) => VectorMath.Sigmoid(a, b)),
            ("ReLU", (a, b) => VectorMath.ReLU(a, b)), ("LeakyReLU", (a, b) => VectorMath.LeakyReLU(a, b, 0.01f)),
        };
        foreach ((string name, Action<float[], float[]> apply) in functions)
        {
            float[] whole = new float[x.Length];
            apply(x, whole);
            for (int length = 0; length <= 70; length++)
                for (int offset = 0; offset < 20; offset += 3)
                {
                    float[] part = x.AsSpan(offset, length).ToArray(), result = new float[length];
                    apply(part, result);
                    for (int i = 0; i < length; i++)
                        Assert.True(BitConverter.SingleToInt32Bits(whole[offset + i]) == BitConverter.SingleToInt32Bits(result[i]),
                            $"{name} length {length} offset {offset} element {i}");
                    apply(part, part); // in place
                    Assert.Equal(result, part);
                }
        }
        Assert.Throws<ArgumentException>(() => VectorMath.Exp(new float[3], new float[2]));
    }

    [Fact]
    public void ExpAndSigmoidAgreeWithTensorPrimitives()
    {
        // The library functions the hot path replaced (see docs/performance.md): the same values to a few ulp.
        float[] x = Sweep().Where(v => float.IsFinite(v) && v > -87f && v < 88f).ToArray();
        float[] ours = new float[x.Length], library = new float[x.Length];
        VectorMath.Exp(x, ours);
        System.Numerics.Tensors.TensorPrimitives.Exp(x, library);
        for (int i = 0; i < x.Length; i++) AssertClose(library[i], ours[i], 5e-7, $"exp({x[i]:R}) vs TensorPrimitives");
        VectorMath.Sigmoid(x, ours);
        System.Numerics.Tensors.TensorPrimitives.Sigmoid(x, library);
        for (int i = 0; i < x.Length; i++) AssertClose(library[i], ours[i], 5e-7, $"sigmoid({x[i]:R}) vs TensorPrimitives");
    }
}
