using System.Diagnostics;
using MnistTools.Layers;
using MnistTools.Numerics;
using MnistTools.Randomness;

namespace MnistTools.Benchmarks;

/// <summary>
/// `--conv [filter]`: single-threaded GFLOP/s of the convolution kernels per layer shape of the Keras convnet and LeNet-5
/// (a lane of 64 images, one lane's half of a 128 batch), next to the 1024^3 GEMM on the same thread; the GEMMs alone and
/// the im2col/col2im times; then the pooling and dropout kernels on the same lanes. Rates are medians of timed batches
/// by the thread's CPU time (on a shared machine wall time also counts time the thread waited for a core), wall time
/// alongside. FLOPs: forward, weight gradient and input gradient 2·MACs each (MACs = F·C·K·K·OH·OW per image).
/// </summary>
internal static class ConvBenchmarks
{
    private const int Rows = 64;

    public static IReadOnlyList<(string Name, Conv2dShape Shape)> Convolutions { get; } =
    [
        ("Keras conv2 32x13x13 -> 64 3x3", Conv2dShape.Create(32, 13, 13, 64, 3, 1, Padding.Valid)),
        ("Keras conv1 1x28x28 -> 32 3x3", Conv2dShape.Create(1, 28, 28, 32, 3, 1, Padding.Valid)),
        ("LeNet conv1 1x28x28 -> 6 5x5 same", Conv2dShape.Create(1, 28, 28, 6, 5, 1, Padding.Same)),
        ("LeNet conv2 6x14x14 -> 16 5x5", Conv2dShape.Create(6, 14, 14, 16, 5, 1, Padding.Valid)),
    ];

    public static void Run(string? filter, double secondsPerCell = 0.4)
    {
        using var scope = ComputeSettings.Override(threads: 1);
        Console.WriteLine($"Single thread, {ComputeSettings.InstructionSet}, lanes of {Rows} images. GFLOP/s: median of timed batches by the thread's CPU time (wall time in brackets).");
        var gemm = new GemmData(GemmShape.Issue[0]);
        var reference = Measure(gemm.Run, GemmShape.Issue[0].Flops, secondsPerCell);
        Console.WriteLine($"GEMM 1024^3: {reference.Cpu:F1} ({reference.Wall:F1}), best batch {reference.Best:F1}");
        Console.WriteLine();
        Console.WriteLine("| convolution | forward | backward dW + db | backward dX | backward both | % of GEMM 1024^3 (forward / dW / dX) |");
        Console.WriteLine("|---|---|---|---|---|---|");
        var details = new List<string>();
        foreach ((string name, Conv2dShape shape) in Convolutions.Where(c => filter is null || c.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)))
        {
            var data = new ConvData(shape, Rows);
            double flops = 2.0 * shape.MultiplyAdds * Rows;
            var forward = Measure(data.Forward, flops, secondsPerCell);
            var weights = Measure(data.BackwardWeights, flops, secondsPerCell);
            var both = Measure(data.BackwardAll, 2 * flops, secondsPerCell);
            // dX alone: the time of the whole backward pass less the weight-only one.
            double input = flops / (2 * flops / both.Cpu - flops / weights.Cpu), inputWall = flops / (2 * flops / both.Wall - flops / weights.Wall);
            // A difference of two noisy times can come out negative; then there is no figure.
            string Rate(double value) => value > 0 ? value.ToString("F1", System.Globalization.CultureInfo.InvariantCulture) : "-";
            Console.WriteLine($"| {name} | {forward.Cpu:F1} ({forward.Wall:F1}) | {weights.Cpu:F1} ({weights.Wall:F1}) | {Rate(input)} ({Rate(inputWall)}) | {both.Cpu:F1} ({both.Wall:F1}) " +
                $"| {100 * forward.Cpu / reference.Cpu:F0}% / {100 * weights.Cpu / reference.Cpu:F0}% / {100 * input / reference.Cpu:F0}% |");
            var forwardGemm = Measure(data.ForwardGemm, flops, secondsPerCell);
            var weightGemm = Measure(data.WeightGemm, flops, secondsPerCell);
            var inputGemm = Measure(data.InputGemm, flops, secondsPerCell);
            var gather = Measure(data.GatherOnly, 1e9, secondsPerCell);
            var scatter = Measure(data.ScatterOnly, 1e9, secondsPerCell);
            details.Add($"| {name} | {shape.ImagesPerGroup(Rows)} | {forwardGemm.Cpu:F1} / {weightGemm.Cpu:F1} / {inputGemm.Cpu:F1} | {1e6 / gather.Cpu / Rows:F2} | {1e6 / scatter.Cpu / Rows:F2} " +
                $"| {forward.Best:F1} / {weights.Best:F1} / {both.Best:F1} |");
        }
        Console.WriteLine();
        Console.WriteLine("| convolution | images per GEMM | the GEMMs alone, GFLOP/s (forward / dW / dX) | im2col µs per image | col2im µs per image | best batch GFLOP/s (forward / dW + db / both) |");
        Console.WriteLine("|---|---|---|---|---|---|");
        details.ForEach(Console.WriteLine);

        Console.WriteLine();
        Console.WriteLine("| kernel | µs per lane of 64 (CPU, wall) | ns per image (CPU) |");
        Console.WriteLine("|---|---|---|");
        foreach ((string name, MaxPool2dShape shape) in new[]
                 {
                     ("MaxPool2d 2 on 32x26x26", MaxPool2dShape.Create(32, 26, 26, 2, 2)),
                     ("MaxPool2d 2 on 64x11x11", MaxPool2dShape.Create(64, 11, 11, 2, 2)),
                     ("MaxPool2d 2 on 6x28x28", MaxPool2dShape.Create(6, 28, 28, 2, 2)),
                     ("MaxPool2d 2 on 16x10x10", MaxPool2dShape.Create(16, 10, 10, 2, 2)),
                 })
        {
            var random = new Random(5);
            float[] x = Fill(random, Rows * shape.InputSize), y = new float[Rows * shape.OutputSize], dy = Fill(random, y.Length), dx = new float[x.Length];
            byte[] winners = new byte[y.Length];
            Time($"{name} forward (inference)", () => MaxPool2dKernels.MaxPool2dForward(x, shape, y, Rows), secondsPerCell);
            Time($"{name} forward (training: Y and winners)", () => MaxPool2dKernels.MaxPool2dForward(x, shape, y, winners, Rows), secondsPerCell);
            Time($"{name} backward", () => MaxPool2dKernels.MaxPool2dBackward(dy, x, y, winners, shape, dx, Rows), secondsPerCell);
        }
        {
            var random = new Random(6);
            const int features = 1600;
            float[] x = Fill(random, Rows * features), y = new float[x.Length];
            var key = new CounterRandom(1, 3, 17);
            Time("Dropout 0.5 forward, 1600 features", () => DropoutKernels.DropoutForward(x, key, 0.5f, 64, features, y, Rows), secondsPerCell);
            Time("Dropout 0.5 backward, 1600 features", () => DropoutKernels.DropoutBackward(x, key, 0.5f, 64, features, y, Rows), secondsPerCell);
        }
    }

    private static void Time(string name, Action action, double seconds)
    {
        var (wall, cpu, _) = Measure(action, 1e9, seconds); // "GFLOP/s" of 1e9 flops per call = calls per second
        Console.WriteLine($"| {name} | {1e6 / cpu:F1} ({1e6 / wall:F1}) | {1e9 / cpu / Rows:F0} |");
    }

    /// <summary>Median GFLOP/s of <paramref name="action"/> doing <paramref name="flops"/> per call: wall and thread CPU time.</summary>
    private static (double Wall, double Cpu, double Best) Measure(Action action, double flops, double seconds)
    {
        action();
        long start = Stopwatch.GetTimestamp();
        action();
        double once = Math.Max(Stopwatch.GetElapsedTime(start).TotalSeconds, 1e-7);
        int reps = Math.Max(1, (int)(0.02 / once));
        var wall = new List<double>();
        var cpu = new List<double>();
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < seconds || wall.Count < 7)
        {
            double? cpuStart = ThreadClock.Seconds();
            start = Stopwatch.GetTimestamp();
            for (int r = 0; r < reps; r++) action();
            double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (cpuStart is { } c0 && ThreadClock.Seconds() is { } c1 && c1 > c0) cpu.Add(flops * reps / (c1 - c0) / 1e9);
            wall.Add(flops * reps / elapsed / 1e9);
        }
        double medianWall = EndToEnd.Median(wall);
        return (medianWall, cpu.Count > 0 ? EndToEnd.Median(cpu) : medianWall, cpu.Count > 0 ? cpu.Max() : wall.Max());
    }

    private static float[] Fill(Random random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }

    /// <summary>Seeded operands and workspaces of one convolution over a lane of images.</summary>
    private sealed class ConvData
    {
        private readonly Conv2dShape _shape;
        private readonly int _rows;
        private readonly AlignedFloats _x, _w, _b, _y, _dy, _dw, _db, _dx, _scratch, _columns, _products;

        public ConvData(Conv2dShape shape, int rows)
        {
            _shape = shape;
            _rows = rows;
            var random = new Random(42);
            _x = Aligned(random, rows * shape.InputSize);
            _w = Aligned(random, shape.WeightCount);
            _b = Aligned(random, shape.Filters);
            _dy = Aligned(random, rows * shape.OutputSize);
            _y = new AlignedFloats(rows * shape.OutputSize);
            _dw = new AlignedFloats(shape.WeightCount);
            _db = new AlignedFloats(shape.Filters);
            _dx = new AlignedFloats(rows * shape.InputSize);
            _scratch = new AlignedFloats(shape.ScratchFloats(rows));
            int columns = shape.ImagesPerGroup(rows) * shape.OutputPixels;
            _columns = Aligned(random, shape.PatchSize * columns);
            _products = new AlignedFloats(shape.Filters * columns);
        }

        public void Forward() => Conv2dKernels.Conv2dForward(_x, _w, _b, _shape, _y, _scratch, _rows);

        public void BackwardWeights() => Conv2dKernels.Conv2dBackward(_dy, _x, _w, _shape, _dw, _db, [], _scratch, _rows);

        public void BackwardAll() => Conv2dKernels.Conv2dBackward(_dy, _x, _w, _shape, _dw, _db, _dx, _scratch, _rows);

        /// <summary>The forward GEMMs alone on ready columns (the ceiling of the forward pass at this grouping).</summary>
        public void ForwardGemm()
        {
            int group = _shape.ImagesPerGroup(_rows), n = group * _shape.OutputPixels;
            for (int first = 0; first < _rows; first += group)
                Gemm.Multiply(_w, _columns, _products, _shape.Filters, Math.Min(group, _rows - first) * _shape.OutputPixels, _shape.PatchSize, false, false, false);
        }

        public unsafe void GatherOnly()
        {
            int group = _shape.ImagesPerGroup(_rows);
            int vector = Im2Col.VectorWidth(ComputeSettings.InstructionSet);
            fixed (float* x = _x.Span, col = _scratch.Span)
                for (int first = 0; first < _rows; first += group)
                    Im2Col.Gather(x + first * _shape.InputSize, x + _x.Length, Math.Min(group, _rows - first), _shape, col, vector);
        }

        public unsafe void ScatterOnly()
        {
            int group = _shape.ImagesPerGroup(_rows);
            int vector = Im2Col.VectorWidth(ComputeSettings.InstructionSet);
            fixed (float* dx = _dx.Span, col = _scratch.Span)
                for (int first = 0; first < _rows; first += group)
                    Im2Col.Scatter(col, Math.Min(group, _rows - first), _shape, dx + first * _shape.InputSize, vector);
        }

        public void WeightGemm()
        {
            int group = _shape.ImagesPerGroup(_rows);
            for (int first = 0; first < _rows; first += group)
                Gemm.Multiply(_products, _columns, _dw, _shape.Filters, _shape.PatchSize, Math.Min(group, _rows - first) * _shape.OutputPixels, false, true, first > 0);
        }

        public void InputGemm()
        {
            int group = _shape.ImagesPerGroup(_rows);
            for (int first = 0; first < _rows; first += group)
                Gemm.Multiply(_w, _products, _columns, _shape.PatchSize, Math.Min(group, _rows - first) * _shape.OutputPixels, _shape.Filters, true, false, false);
        }

        private static AlignedFloats Aligned(Random random, int count)
        {
            var values = new AlignedFloats(count);
            for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
            return values;
        }
    }
}
