using System.Diagnostics;
using MnistTools.Numerics;

namespace MnistTools.Benchmarks;

/// <summary>
/// A fast Stopwatch measurement of every shape x path x thread count (median of timed batches after warm-up),
/// printed as a markdown table. `--quick`; the BenchmarkDotNet run gives the rigorous numbers.
/// </summary>
public static class QuickGemm
{
    public static void Run(string? filter = null, InstructionSet? onlyPath = null, int? onlyThreads = null, double secondsPerCell = 0.3)
    {
        Console.WriteLine("| shape | path | threads | GFLOP/s (median, wall) | GFLOP per CPU-second (1 thread) |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (GemmShape shape in GemmShapes().Where(s => filter is null || s.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)))
            foreach (InstructionSet path in Enum.GetValues<InstructionSet>().Reverse().Where(p => ComputeSettings.IsSupported(p) && (onlyPath is null || p == onlyPath)))
                foreach (int threads in new[] { 1, 2 }.Where(t => onlyThreads is null || t == onlyThreads))
                {
                    (double wall, double? cpu) = Measure(shape, path, threads, secondsPerCell);
                    Console.WriteLine($"| {shape.Name} | {path} | {threads} | {wall:F1} | {(threads == 1 && cpu is { } c ? c.ToString("F1") : "-")} |");
                }
    }

    private static IEnumerable<GemmShape> GemmShapes() => GemmShape.All;

    /// <summary>Median GFLOP/s of repeated multiplies, by wall time and by the calling thread's CPU time.</summary>
    public static (double Wall, double? Cpu) Measure(GemmShape shape, InstructionSet path, int threads, double seconds)
    {
        var data = new GemmData(shape);
        using var scope = ComputeSettings.Override(path, threads);
        data.Run();
        int reps = Math.Max(1, (int)(2e7 / shape.Flops));
        var samples = new List<double>();
        var cpuSamples = new List<double>();
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < seconds || samples.Count < 5)
        {
            double? cpuStart = ThreadClock.Seconds();
            long start = Stopwatch.GetTimestamp();
            for (int r = 0; r < reps; r++) data.Run();
            double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (cpuStart is { } c0 && ThreadClock.Seconds() is { } c1 && c1 > c0) cpuSamples.Add(shape.Flops * reps / (c1 - c0) / 1e9);
            samples.Add(shape.Flops * reps / elapsed / 1e9);
        }
        return (EndToEnd.Median(samples), cpuSamples.Count > 0 ? EndToEnd.Median(cpuSamples) : null);
    }
}

/// <summary>Seeded operands for one shape, 64-byte aligned like the trainer's buffers and the network's parameters.</summary>
public sealed class GemmData
{
    private readonly GemmShape _shape;
    private readonly AlignedFloats _a, _b, _c;

    public GemmData(GemmShape shape)
    {
        _shape = shape;
        var random = new Random(42);
        _a = Fill(random, shape.M * shape.K);
        _b = Fill(random, shape.K * shape.N);
        _c = new AlignedFloats(shape.M * shape.N);
    }

    public void Run() => Gemm.Multiply(_a, _b, _c, _shape.M, _shape.N, _shape.K, _shape.TransposeA, _shape.TransposeB, accumulate: false);

    private static AlignedFloats Fill(Random random, int count)
    {
        var values = new AlignedFloats(count);
        for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }
}
