using MnistTools.Layers;
using static MnistTools.Tests.Layers.ReferenceLayers;

namespace MnistTools.Tests.Layers;

/// <summary>
/// <see cref="AvgPool2dKernels"/> against plain double references on every small shape (channels 1..3, sizes 1..9,
/// windows 1..4, strides 1..4 overlapping, touching and leaving gaps, 1..3 images); the references' gradients against
/// central differences.
/// </summary>
public class AvgPool2dKernelTests
{
    internal static double[] AvgPoolForward(double[] x, MaxPool2dShape s, int rows)
    {
        var y = new double[rows * s.OutputSize];
        for (int plane = 0; plane < rows * s.Channels; plane++)
            for (int oy = 0; oy < s.OutputHeight; oy++)
                for (int ox = 0; ox < s.OutputWidth; ox++)
                {
                    double sum = 0;
                    for (int dy = 0; dy < s.Size; dy++)
                        for (int dx = 0; dx < s.Size; dx++)
                            sum += x[(plane * s.Height + oy * s.Stride + dy) * s.Width + ox * s.Stride + dx];
                    y[(plane * s.OutputHeight + oy) * s.OutputWidth + ox] = sum / (s.Size * s.Size);
                }
        return y;
    }

    internal static double[] AvgPoolBackward(double[] dy, MaxPool2dShape s, int rows)
    {
        var dx = new double[rows * s.InputSize];
        for (int plane = 0; plane < rows * s.Channels; plane++)
            for (int oy = 0; oy < s.OutputHeight; oy++)
                for (int ox = 0; ox < s.OutputWidth; ox++)
                    for (int ky = 0; ky < s.Size; ky++)
                        for (int kx = 0; kx < s.Size; kx++)
                            dx[(plane * s.Height + oy * s.Stride + ky) * s.Width + ox * s.Stride + kx] +=
                                dy[(plane * s.OutputHeight + oy) * s.OutputWidth + ox] / (s.Size * s.Size);
        return dx;
    }

    private static IEnumerable<(MaxPool2dShape Shape, int Rows)> Shapes()
    {
        for (int channels = 1; channels <= 3; channels++)
            for (int height = 1; height <= 9; height++)
                for (int width = 1; width <= 9; width++)
                    for (int size = 1; size <= Math.Min(4, Math.Min(height, width)); size++)
                        for (int stride = 1; stride <= 4; stride++)
                            yield return (MaxPool2dShape.Create(channels, height, width, size, stride), 1 + (height + width + stride) % 3);
    }

    [Fact]
    public void AvgPoolMatchesTheReferenceOnEverySmallShape()
    {
        var random = new Random(11);
        int cases = 0;
        foreach (var (shape, rows) in Shapes())
        {
            float[] x = RandomFloats(random, rows * shape.InputSize), dy = RandomFloats(random, rows * shape.OutputSize);
            var y = new float[dy.Length];
            // A dirty dX: the kernel must overwrite it, 0 where no window reads.
            float[] dx = Enumerable.Repeat(float.NaN, x.Length).ToArray();
            AvgPool2dKernels.AvgPool2dForward(x, shape, y, rows);
            AvgPool2dKernels.AvgPool2dBackward(dy, shape, dx, rows);
            double[] window = Enumerable.Repeat((double)shape.Size * shape.Size, y.Length).ToArray();
            AssertClose(y, AvgPoolForward(ToDouble(x), shape, rows), window, $"Y {shape}");
            // Each input sits in at most ⌈K/S⌉² windows.
            double overlap = Math.Pow(Math.Ceiling((double)shape.Size / shape.Stride), 2);
            AssertClose(dx, AvgPoolBackward(ToDouble(dy), shape, rows), Enumerable.Repeat(overlap, x.Length).ToArray(), $"dX {shape}");
            cases++;
        }
        Assert.True(cases > 1500, $"only {cases} cases ran");
    }

    [Fact]
    public void GlobalAvgPoolMatchesTheReferenceOnEverySmallShape()
    {
        var random = new Random(12);
        for (int rows = 1; rows <= 5; rows++)
            for (int channels = 1; channels <= 3; channels++)
                foreach (int spatial in new[] { 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 49, 169 })
                {
                    float[] x = RandomFloats(random, rows * channels * spatial), dy = RandomFloats(random, rows * channels);
                    var y = new float[dy.Length];
                    float[] dx = Enumerable.Repeat(float.NaN, x.Length).ToArray();
                    AvgPool2dKernels.GlobalAvgPoolForward(x, channels, spatial, y, rows);
                    AvgPool2dKernels.GlobalAvgPoolBackward(dy, channels, spatial, dx, rows);
                    var expectedY = new double[y.Length];
                    var expectedDx = new double[x.Length];
                    for (int plane = 0; plane < rows * channels; plane++)
                        for (int s = 0; s < spatial; s++)
                        {
                            expectedY[plane] += (double)x[plane * spatial + s] / spatial;
                            expectedDx[plane * spatial + s] = (double)dy[plane] / spatial;
                        }
                    string what = $"B={rows} C={channels} S={spatial}";
                    AssertClose(y, expectedY, Enumerable.Repeat(1.0, y.Length).ToArray(), $"Y {what}");
                    AssertClose(dx, expectedDx, Enumerable.Repeat(1.0, x.Length).ToArray(), $"dX {what}");
                }
    }

    [Fact]
    public void TheReferenceGradientsMatchCentralDifferences()
    {
        var random = new Random(13);
        foreach (var shape in new[] { MaxPool2dShape.Create(2, 5, 6, 2, 2), MaxPool2dShape.Create(1, 7, 7, 3, 2), MaxPool2dShape.Create(3, 4, 5, 2, 1),
                     MaxPool2dShape.Create(1, 9, 8, 2, 3) })
        {
            const int rows = 2;
            double[] x = ToDouble(RandomFloats(random, rows * shape.InputSize)), w = ToDouble(RandomFloats(random, rows * shape.OutputSize));
            double[] analytic = AvgPoolBackward(w, shape, rows);
            CheckNumeric(x, analytic, () => Dot(w, AvgPoolForward(x, shape, rows)), shape.ToString());
        }
        foreach (var (channels, spatial) in new[] { (1, 1), (2, 9), (3, 16) })
        {
            const int rows = 3;
            double[] x = ToDouble(RandomFloats(random, rows * channels * spatial)), w = ToDouble(RandomFloats(random, rows * channels));
            double[] Forward()
            {
                var y = new double[rows * channels];
                for (int i = 0; i < x.Length; i++) y[i / spatial] += x[i] / spatial;
                return y;
            }
            double[] analytic = x.Select((_, i) => w[i / spatial] / spatial).ToArray();
            CheckNumeric(x, analytic, () => Dot(w, Forward()), $"global C={channels} S={spatial}");
        }

        static double Dot(double[] a, double[] b) => a.Zip(b, (p, q) => p * q).Sum();

        static void CheckNumeric(double[] values, double[] analytic, Func<double> loss, string what)
        {
            const double h = 1e-5;
            for (int i = 0; i < values.Length; i++)
            {
                double saved = values[i];
                values[i] = saved + h;
                double plus = loss();
                values[i] = saved - h;
                double minus = loss();
                values[i] = saved;
                double numeric = (plus - minus) / (2 * h);
                Assert.True(Math.Abs(numeric - analytic[i]) <= 1e-7 * Math.Max(1, Math.Abs(analytic[i])), $"{what}[{i}]: analytic {analytic[i]:R}, numeric {numeric:R}");
            }
        }
    }
}
