using MnistTools.Layers;

namespace MnistTools.Tests.Layers;

/// <summary>
/// The oracle for the layer kernels: direct nested loops in double, written from the definitions (no im2col, no GEMM,
/// no grouping). Each sum also returns the sum of its terms' magnitudes, the scale of a float result's rounding error.
/// </summary>
internal static class ReferenceLayers
{
    /// <summary>Y[i, f, oy, ox] = b[f] + Σ_c,ky,kx W[f, c, ky, kx] · X[i, c, oy·S − PadTop + ky, ox·S − PadLeft + kx] (0 outside).</summary>
    public static (double[] Output, double[] Magnitude) Conv2dForward(double[] x, double[] w, double[] b, Conv2dShape s, int rows)
    {
        var y = new double[rows * s.Filters * s.OutputHeight * s.OutputWidth];
        var magnitude = new double[y.Length];
        for (int i = 0; i < rows; i++)
            for (int f = 0; f < s.Filters; f++)
                for (int oy = 0; oy < s.OutputHeight; oy++)
                    for (int ox = 0; ox < s.OutputWidth; ox++)
                    {
                        double sum = b[f], scale = Math.Abs(b[f]);
                        for (int c = 0; c < s.Channels; c++)
                            for (int ky = 0; ky < s.Kernel; ky++)
                                for (int kx = 0; kx < s.Kernel; kx++)
                                {
                                    int iy = oy * s.Stride - s.PadTop + ky, ix = ox * s.Stride - s.PadLeft + kx;
                                    if (iy < 0 || iy >= s.Height || ix < 0 || ix >= s.Width) continue;
                                    double term = w[((f * s.Channels + c) * s.Kernel + ky) * s.Kernel + kx] * x[((i * s.Channels + c) * s.Height + iy) * s.Width + ix];
                                    sum += term;
                                    scale += Math.Abs(term);
                                }
                        int o = ((i * s.Filters + f) * s.OutputHeight + oy) * s.OutputWidth + ox;
                        y[o] = sum;
                        magnitude[o] = scale;
                    }
        return (y, magnitude);
    }

    /// <summary>dW, db and dX of <see cref="Conv2dForward"/> for the upstream gradient dY, with their magnitude sums.</summary>
    public static (double[] WeightGradient, double[] BiasGradient, double[] InputGradient, double[] WeightScale, double[] BiasScale, double[] InputScale)
        Conv2dBackward(double[] dy, double[] x, double[] w, Conv2dShape s, int rows)
    {
        var dw = new double[s.WeightCount];
        var db = new double[s.Filters];
        var dx = new double[rows * s.InputSize];
        var dwScale = new double[dw.Length];
        var dbScale = new double[db.Length];
        var dxScale = new double[dx.Length];
        for (int i = 0; i < rows; i++)
            for (int f = 0; f < s.Filters; f++)
                for (int oy = 0; oy < s.OutputHeight; oy++)
                    for (int ox = 0; ox < s.OutputWidth; ox++)
                    {
                        double g = dy[((i * s.Filters + f) * s.OutputHeight + oy) * s.OutputWidth + ox];
                        db[f] += g;
                        dbScale[f] += Math.Abs(g);
                        for (int c = 0; c < s.Channels; c++)
                            for (int ky = 0; ky < s.Kernel; ky++)
                                for (int kx = 0; kx < s.Kernel; kx++)
                                {
                                    int iy = oy * s.Stride - s.PadTop + ky, ix = ox * s.Stride - s.PadLeft + kx;
                                    if (iy < 0 || iy >= s.Height || ix < 0 || ix >= s.Width) continue;
                                    int wi = ((f * s.Channels + c) * s.Kernel + ky) * s.Kernel + kx;
                                    int xi = ((i * s.Channels + c) * s.Height + iy) * s.Width + ix;
                                    dw[wi] += g * x[xi];
                                    dwScale[wi] += Math.Abs(g * x[xi]);
                                    dx[xi] += g * w[wi];
                                    dxScale[xi] += Math.Abs(g * w[wi]);
                                }
                    }
        return (dw, db, dx, dwScale, dbScale, dxScale);
    }

    /// <summary>Y = the maximum of each window, NaN when the window holds NaN.</summary>
    public static double[] MaxPoolForward(double[] x, MaxPool2dShape s, int rows)
    {
        var y = new double[rows * s.OutputSize];
        for (int plane = 0; plane < rows * s.Channels; plane++)
            for (int oy = 0; oy < s.OutputHeight; oy++)
                for (int ox = 0; ox < s.OutputWidth; ox++)
                    y[(plane * s.OutputHeight + oy) * s.OutputWidth + ox] = x[FirstMaximum(x, s, plane, oy, ox)];
        return y;
    }

    /// <summary>dX: each window's dY added at its first maximum (the first NaN when it holds one).</summary>
    public static double[] MaxPoolBackward(double[] dy, double[] x, MaxPool2dShape s, int rows)
    {
        var dx = new double[rows * s.InputSize];
        for (int plane = 0; plane < rows * s.Channels; plane++)
            for (int oy = 0; oy < s.OutputHeight; oy++)
                for (int ox = 0; ox < s.OutputWidth; ox++)
                    dx[FirstMaximum(x, s, plane, oy, ox)] += dy[(plane * s.OutputHeight + oy) * s.OutputWidth + ox];
        return dx;
    }

    /// <summary>Index into X of the window's first NaN, else of its first largest value (row by row).</summary>
    public static int FirstMaximum(double[] x, MaxPool2dShape s, int plane, int oy, int ox)
    {
        int best = -1;
        for (int dy = 0; dy < s.Size; dy++)
            for (int dx = 0; dx < s.Size; dx++)
            {
                int at = (plane * s.Height + oy * s.Stride + dy) * s.Width + ox * s.Stride + dx;
                if (double.IsNaN(x[at])) return FirstNaN(x, s, plane, oy, ox);
                if (best < 0 || x[at] > x[best]) best = at;
            }
        return best;
    }

    private static int FirstNaN(double[] x, MaxPool2dShape s, int plane, int oy, int ox)
    {
        for (int dy = 0; dy < s.Size; dy++)
            for (int dx = 0; dx < s.Size; dx++)
            {
                int at = (plane * s.Height + oy * s.Stride + dy) * s.Width + ox * s.Stride + dx;
                if (double.IsNaN(x[at])) return at;
            }
        throw new InvalidOperationException("no NaN");
    }

    public static double[] ToDouble(float[] values) => values.Select(v => (double)v).ToArray();

    public static float[] RandomFloats(Random random, int count, double low = -1, double high = 1)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(low + (high - low) * random.NextDouble());
        return values;
    }

    /// <summary>|actual − expected| ≤ 1e-5 · max(1, scale), scale the sum of the terms' magnitudes (the absolute floor
    /// is 1e-5 when the terms are small).</summary>
    public static void AssertClose(ReadOnlySpan<float> actual, double[] expected, double[] scale, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            double tolerance = 1e-5 * Math.Max(1, scale[i]);
            if (!(Math.Abs(actual[i] - expected[i]) <= tolerance))
                Assert.Fail($"{what}[{i}]: {actual[i]:R}, reference {expected[i]:R} (tolerance {tolerance:G3})");
        }
    }
}
