using System.Diagnostics;
using System.Globalization;
using MnistTools.Layers;
using MnistTools.Numerics;
using MnistTools.Training;

namespace MnistTools.Benchmarks;

/// <summary>
/// `--profile-conv [filter]` (and the second half of `--profile`): where a training step of the convolutional networks
/// goes.
/// <list type="number">
/// <item>The whole step (<see cref="TrainingStep.Propagate"/> then <see cref="TrainingStep.Update"/>) on one thread (wall
///   and thread CPU time) and on two (wall; the caller's own chunks and its waits for the worker per step, from
///   <see cref="ParallelWorker.CallerWorkTicks"/> and <see cref="ParallelWorker.CallerWaitTicks"/>).</item>
/// <item>Each layer on one lane of half the batch (as a <see cref="TrainingStep"/> lane runs it), one thread, thread CPU
///   time: forward; backward-data (the backward pass less the same pass without dX); the weight gradient (the backward
///   pass without dX: dW, db and, for a layer with an activation, f'); a convolution's GFLOP/s for each of its three
///   products (2·F·C·K·K·OH·OW per image) beside the one-thread GEMM rate on 1024³. A layer with batch statistics
///   (BatchNorm) runs over the whole batch; its row shows half of that, a lane's share.</item>
/// <item>The same per layer kind, the loading of a lane, the loss, and the update (lane sums, optimizer and health check,
///   <see cref="TrainingStep.Update"/> alone); "the rest" is the one-thread step less all of these.</item>
/// </list>
/// Times are medians of timed batches.
/// </summary>
public static class ConvStepProfile
{
    /// <summary>Conv networks profiled here only (not in the end-to-end table): the BatchNorm network of
    /// ../shared/peers/torch_cnn.py (--net bnnet).</summary>
    private static readonly NetworkCase[] s_profileOnly =
    [
        new("bnnet (Conv 32 3 BN, Conv 32 3 BN, pool, Conv 64 3 BN, Conv 64 3 BN, pool, 128 BN, Dropout 0.4, 10)", [], Activation.ReLU,
            Activation.Softmax, Loss.CrossEntropy, Initializer.Default, 128, Optimizer.Adam, 1e-3f,
            ["Conv2d 32 3 bias=false", "BatchNorm ReLU", "Conv2d 32 3 bias=false", "BatchNorm ReLU", "MaxPool2d 2",
             "Conv2d 64 3 bias=false", "BatchNorm ReLU", "Conv2d 64 3 bias=false", "BatchNorm ReLU", "MaxPool2d 2",
             "Dense 128 bias=false", "BatchNorm ReLU", "Dropout 0.4", "Dense 10 Softmax"]),
    ];

    /// <param name="filter">Only the networks whose name contains this (case-insensitive), or LeNet-5, the Keras convnet
    /// and the bnnet (the augmented Keras case is left out unless the filter names it: "Augment").</param>
    public static void Run(string? filter)
    {
        MnistDataSet train = MnistFiles.Load(train: true);
        Console.WriteLine($"Conv step profile: {ComputeSettings.InstructionSet}, convolution {ComputeSettings.Convolution} (MNISTTOOLS_CONVOLUTION), clock: {(ThreadClock.Seconds() is null ? "wall" : "thread CPU time")}; " +
            $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; load average {LoadAverage()}");
        double gemm;
        using (ComputeSettings.Override(threads: 1)) gemm = GemmRate();
        Console.WriteLine($"GEMM 1024^3, one thread: {gemm:F1} GFLOP/s (thread CPU time)");
        foreach (NetworkCase @case in NetworkCase.All.Concat(s_profileOnly).Where(c => c.IsConvolutional && (filter is null
                     ? c.Augmentation == Augmentation.None
                     : c.Name.Contains(filter, StringComparison.OrdinalIgnoreCase))))
            Profile(@case, train, gemm);
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static double GemmRate()
    {
        const int size = 1024;
        var a = new AlignedFloats(size * size);
        var b = new AlignedFloats(size * size);
        var c = new AlignedFloats(size * size);
        a.AsSpan().Fill(0.5f);
        b.AsSpan().Fill(0.25f);
        double seconds = Measure(() => Gemm.Multiply(a.AsSpan(), b.AsSpan(), c.AsSpan(), size, size, size, false, false, false), 0.3).Cpu;
        return 2.0 * size * size * size / seconds / 1e9;
    }

    private sealed record Row(Layer Layer, int Index, double Forward, double BackwardData, double WeightGradient);

    private static void Profile(NetworkCase @case, MnistDataSet data, double gemm)
    {
        Network network = @case.CreateNetwork();
        int batch = @case.BatchSize, half = (batch + 1) / 2, stepsPerEpoch = data.Count / batch;
        var step = new TrainingStep(network, batch);
        OptimizerState state = OptimizerState.Create(@case.Optimizer, network.ParameterCount);
        TrainingOptions options = @case.CreateOptions();
        var order = new int[data.Count];
        ShuffleOrder.Fill(order, 1, 1);
        int position = 0;
        void Step()
        {
            if (position + batch > order.Length) position = 0;
            step.Propagate(new TrainingStep.Batch(data, order, position, batch, new LaneKey(true, 1, 1, state.Step, 0)));
            step.Update(state, Optimizers.Begin(state, options, options.EffectiveLearningRate));
            position += batch;
        }

        for (int warm = 0; warm < 30; warm++) Step();
        double oneThread, twoThreads, oneThreadCpu, update;
        using (ComputeSettings.Override(threads: 1))
        {
            (oneThread, oneThreadCpu) = Measure(Step);
            update = Measure(() => step.Update(state, Optimizers.Begin(state, options, options.EffectiveLearningRate))).Cpu;
        }
        long jobs0 = ParallelWorker.SharedJobs, late0 = ParallelWorker.LateJobs, work0 = ParallelWorker.CallerWorkTicks, wait0 = ParallelWorker.CallerWaitTicks;
        int steps0 = s_steps;
        (twoThreads, _) = Measure(() => { Step(); s_steps++; });
        int steps = Math.Max(1, s_steps - steps0);
        double perStep(long ticks) => ticks / (double)Stopwatch.Frequency / steps;
        double callerWork = perStep(ParallelWorker.CallerWorkTicks - work0), callerWait = perStep(ParallelWorker.CallerWaitTicks - wait0);
        long jobs = ParallelWorker.SharedJobs - jobs0, late = ParallelWorker.LateJobs - late0;

        Console.WriteLine();
        Console.WriteLine($"{@case.Name}, batch {batch}, {@case.OptimizerLabel}, {network.ParameterCount:N0} parameters; load average {LoadAverage()}");
        Console.WriteLine($"Whole step: one thread {oneThread * 1e3:F2} ms wall ({oneThreadCpu * 1e3:F2} ms CPU); two threads {twoThreads * 1e3:F2} ms wall " +
            $"(x{oneThread / twoThreads:F2}); epoch of {stepsPerEpoch} steps: {oneThread * stepsPerEpoch:F2} s / {twoThreads * stepsPerEpoch:F2} s");
        Console.WriteLine($"Two threads, per step: the caller's own chunks {callerWork * 1e3:F2} ms, waiting for the worker {callerWait * 1e3:F2} ms " +
            $"({jobs / (double)steps:F1} shared jobs per step, {late:N0} of {jobs:N0} late)");

        // Each layer on lane 0 (rows [0, half)), one thread, the step's own buffers' shapes.
        using var single = ComputeSettings.Override(threads: 1);
        IReadOnlyList<Layer> layers = network.Stack.Layers;
        var buffers = new BatchBuffers(network.Stack, batch, training: true, lanes: 2);
        var gradients = new LaneGradients(layers, batch);
        var key = new LaneKey(true, 1, 1, 1, 0);
        double load = Measure(() => buffers.Load(data, order.AsSpan(0, half), 0)).Cpu;
        buffers.Load(data, order.AsSpan(half, batch - half), half);
        ReadOnlySpan<float> parameters = network.Parameters;
        // A layer that runs with the next as one pass in the step (a ReLU convolution and its pooling) is timed with it.
        var paired = new bool[layers.Count + 1];
        void Forward(int l)
        {
            Layer layer = layers[l];
            if (l > 0 && paired[l - 1]) return;
            LayerLane lane = buffers.Lane(layers, l, 0, layer.UsesBatchStatistics ? batch : half, 0, key);
            if (l + 1 < layers.Count && !layer.UsesBatchStatistics && !layers[l + 1].UsesBatchStatistics
                && layer.ForwardWithNext(network.Parameters, lane, layers[l + 1], buffers.Lane(layers, l + 1, 0, half, 0, key)))
                paired[l] = true;
            else if (!layer.UsesBatchStatistics) layer.Forward(network.Parameters, lane);
            else layer.ForwardBatch(network.Parameters, network.State.Slice(layer.StateOffset, layer.StateSize), lane,
                buffers.Statistics[l].AsSpan(), false, 0, layer.BatchChannels);
        }
        void Backward(int l, bool withData)
        {
            Layer layer = layers[l];
            LayerLane lane = buffers.Lane(layers, l, 0, layer.UsesBatchStatistics ? batch : half, 0, key);
            if (!withData) lane = lane with { InputGradient = Span<float>.Empty };
            if (!layer.UsesBatchStatistics) layer.Backward(network.Parameters, lane, gradients.Weights(l), gradients.Biases(l));
            else layer.BackwardBatch(network.Parameters, lane, buffers.Statistics[l].AsSpan(), 0, layer.BatchChannels, gradients.Weights(l), gradients.Biases(l));
        }
        for (int l = 0; l < layers.Count; l++) Forward(l);
        Propagation.Backward(network.Stack, buffers, 0, half, 0, key, 1f / batch, gradients, layers.Count);
        for (int l = layers.Count - 1; l >= 0; l--) Backward(l, withData: true);

        var rows = new List<Row>();
        for (int l = 0; l < layers.Count; l++)
        {
            int index = l;
            double share = layers[l].UsesBatchStatistics ? 0.5 : 1;
            double forward = Measure(() => Forward(index)).Cpu * share;
            double full = l == 0 ? 0 : Measure(() => Backward(index, withData: true)).Cpu * share;
            double weights = layers[l].ParameterCount > 0 || l == 0 ? Measure(() => Backward(index, withData: false)).Cpu * share : 0;
            rows.Add(new Row(layers[l], l, forward, l == 0 ? 0 : Math.Max(0, full - weights), weights));
        }
        double loss = Measure(() =>
        {
            Propagation.Forward(network.Stack, buffers, 0, half, 0, key, firstLayer: layers.Count);
            Propagation.Loss(network.Stack, buffers, 0, half);
        }).Cpu;

        string Rate(double multiplyAdds, double seconds) => seconds > 0 ? (2 * multiplyAdds / seconds / 1e9).ToString("F1", CultureInfo.InvariantCulture) : "-";
        Console.WriteLine();
        Console.WriteLine($"Per layer, one lane of {half} images, one thread, µs of thread CPU time (GEMM 1024^3: {gemm:F1} GFLOP/s; " +
            "backward-data = backward less backward without dX; weight gradient = backward without dX: dW, db, f')");
        Console.WriteLine();
        Console.WriteLine("| layer | forward | backward-data | weight gradient | conv GFLOP/s: forward / data / weights | share of the one-thread step |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (Row row in rows)
        {
            string rates = "";
            if (row.Layer is Conv2dLayer conv)
            {
                double macs = (double)conv.Shape.MultiplyAdds * half;
                rates = $"{Rate(macs, row.Forward)} / {(row.Index == 0 ? "-" : Rate(macs, row.BackwardData))} / {Rate(macs, row.WeightGradient)}";
            }
            double total = row.Forward + row.BackwardData + row.WeightGradient;
            string forward = row.Index > 0 && paired[row.Index - 1] ? "in the layer before" : Micro(row.Forward);
            Console.WriteLine($"| {row.Index} {row.Layer}{(paired[row.Index] ? " (forward with the next)" : "")} | {forward} | {Micro(row.BackwardData)} | {Micro(row.WeightGradient)} | {rates} | {2 * total / oneThreadCpu:P0} |");
        }

        Console.WriteLine();
        Console.WriteLine($"Per kind and the rest of the step, ms per step (both lanes), one thread; the step: {oneThreadCpu * 1e3:F2} ms CPU");
        Console.WriteLine();
        Console.WriteLine("| part | forward | backward-data | weight gradient | total | share |");
        Console.WriteLine("|---|---|---|---|---|---|");
        double accounted = 0;
        foreach (IGrouping<string, Row> kind in rows.GroupBy(r => r.Layer.Kind))
        {
            double f = 2 * kind.Sum(r => r.Forward), d = 2 * kind.Sum(r => r.BackwardData), w = 2 * kind.Sum(r => r.WeightGradient);
            accounted += f + d + w;
            Console.WriteLine($"| {kind.Key} | {Milli(f)} | {Milli(d)} | {Milli(w)} | {Milli(f + d + w)} | {(f + d + w) / oneThreadCpu:P0} |");
        }
        void Line(string name, double seconds)
        {
            accounted += seconds;
            Console.WriteLine($"| {name} | | | | {Milli(seconds)} | {seconds / oneThreadCpu:P0} |");
        }
        Line("loading (bytes -> floats)", 2 * load);
        Line("output activation + loss", 2 * loss);
        Line($"update (lane sums, {@case.Optimizer}, health check)", update);
        Console.WriteLine($"| the rest (job hand-overs, cache misses between the parts) | | | | {Milli(oneThreadCpu - accounted)} | {(oneThreadCpu - accounted) / oneThreadCpu:P0} |");
        Console.WriteLine($"| two threads: waiting for the worker (caller) | | | | {Milli(callerWait)} | {callerWait / twoThreads:P0} of the two-thread step |");
    }

    private static int s_steps;

    private static string Micro(double seconds) => seconds > 0 ? (seconds * 1e6).ToString("F0", CultureInfo.InvariantCulture) : "-";

    private static string Milli(double seconds) => (seconds * 1e3).ToString("F2", CultureInfo.InvariantCulture);

    /// <summary>Median seconds per call of <paramref name="action"/>: (wall, thread CPU time or wall).</summary>
    private static (double Wall, double Cpu) Measure(Action action, double minimumSeconds = 0.5)
    {
        action();
        long start = Stopwatch.GetTimestamp();
        action();
        double once = Math.Max(Stopwatch.GetElapsedTime(start).TotalSeconds, 1e-7);
        int reps = Math.Max(1, (int)(0.05 / once));
        var wall = new List<double>();
        var cpu = new List<double>();
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < minimumSeconds || wall.Count < 7)
        {
            double? c0 = ThreadClock.Seconds();
            start = Stopwatch.GetTimestamp();
            for (int r = 0; r < reps; r++) action();
            wall.Add(Stopwatch.GetElapsedTime(start).TotalSeconds / reps);
            if (c0 is { } begin && ThreadClock.Seconds() is { } end) cpu.Add((end - begin) / reps);
        }
        double medianWall = EndToEnd.Median(wall);
        return (medianWall, cpu.Count > 0 ? EndToEnd.Median(cpu) : medianWall);
    }
}
