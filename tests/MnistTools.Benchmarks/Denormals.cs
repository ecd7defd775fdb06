using System.Diagnostics;
using System.Numerics.Tensors;

namespace MnistTools.Benchmarks;

/// <summary>
/// The denormal trap in isolation: a plain momentum update (v = 0.9 v + g; w -= lr v, TensorPrimitives, no flush) over
/// 784-128-10's 101,770 parameters, with 0%, 6% and 100% of the velocity entries subnormal (as blank-pixel weights
/// become after an epoch: no gradient, velocity decaying by 0.9 per step).
/// </summary>
public static class Denormals
{
    /// <summary>Thread CPU seconds where available (a shared machine's descheduling is not counted), else wall.</summary>
    private static double Now() => ThreadClock.Seconds() ?? Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;

    public static void Run()
    {
        const int count = 101_770;
        Console.WriteLine("Momentum update of 101,770 parameters, velocity partly subnormal (no flush):");
        Console.WriteLine("| subnormal share of v | us/update (median) | slowdown |");
        Console.WriteLine("|---|---|---|");
        double baseline = 0;
        foreach (double share in new[] { 0.0, 0.06, 1.0 })
        {
            var random = new Random(3);
            float[] w = new float[count], v = new float[count], g = new float[count], v0 = new float[count];
            for (int i = 0; i < count; i++)
            {
                w[i] = (float)random.NextDouble();
                bool subnormal = random.NextDouble() < share;
                v0[i] = subnormal ? 1e-39f : (float)(random.NextDouble() * 1e-3);
                g[i] = subnormal ? 0f : (float)(random.NextDouble() * 1e-3);
            }
            var samples = new List<double>();
            for (int sample = 0; sample < 9; sample++)
            {
                v0.CopyTo(v, 0); // keep the subnormal share fixed: 1e-39 * 0.9^k stays subnormal for a few hundred steps
                double start = Now();
                const int reps = 50;
                for (int r = 0; r < reps; r++)
                {
                    TensorPrimitives.MultiplyAdd(v, 0.9f, g, v);
                    TensorPrimitives.MultiplyAdd(v, -0.01f, w, w);
                }
                samples.Add((Now() - start) * 1e6 / reps);
            }
            double median = EndToEnd.Median(samples);
            if (share == 0) baseline = median;
            Console.WriteLine($"| {share:P0} | {median:F1} | {median / baseline:F2}x |");
        }
    }
}
