using System.Diagnostics;
using MnistTools.Layers;
using MnistTools.Numerics;
using MnistTools.Training;

namespace MnistTools.Benchmarks;

/// <summary>
/// `--profile-conv [filter]`: where a training step of the convolutional networks goes. First the whole step
/// (<see cref="TrainingStep.Propagate"/> then <see cref="TrainingStep.Update"/>) on one thread and on two, wall time per
/// step (the two-core split's gain); then each layer's Forward and Backward on one lane (a lane of half the batch, as a
/// <see cref="TrainingStep"/> lane runs it), the loss, and the update, by the thread's CPU time on one thread, with each
/// part's share of the one-thread step. Times are medians of timed batches.
/// </summary>
public static class ConvStepProfile
{
    public static void Run(string? filter)
    {
        MnistDataSet train = MnistFiles.Load(train: true);
        Console.WriteLine($"Conv step profile: {ComputeSettings.InstructionSet}, clock: {(ThreadClock.Seconds() is null ? "wall" : "thread CPU time")}; " +
            $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        foreach (NetworkCase @case in NetworkCase.All.Where(c => c.IsConvolutional && (filter is null || c.Name.Contains(filter, StringComparison.OrdinalIgnoreCase))))
            Profile(@case, train);
    }

    private static void Profile(NetworkCase @case, MnistDataSet data)
    {
        Network network = @case.CreateNetwork();
        int batch = @case.BatchSize, half = (batch + 1) / 2;
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
        double oneThread, twoThreads, oneThreadCpu;
        using (ComputeSettings.Override(threads: 1))
        {
            (oneThread, oneThreadCpu) = Measure(Step);
        }
        (twoThreads, _) = Measure(Step);
        long shared = ParallelWorker.SharedJobs;

        Console.WriteLine();
        Console.WriteLine($"{@case.Name}, batch {batch}, {@case.OptimizerLabel}, {network.ParameterCount:N0} parameters");
        Console.WriteLine($"Whole step: one thread {oneThread * 1e3:F2} ms wall ({oneThreadCpu * 1e3:F2} ms CPU); auto threads {twoThreads * 1e3:F2} ms wall " +
            $"(x{oneThread / twoThreads:F2}); epoch of {data.Count / batch} steps: {oneThread * (data.Count / batch):F2} s / {twoThreads * (data.Count / batch):F2} s; " +
            $"jobs on the second core so far {shared:N0}");

        // Each layer on lane 0 (rows [0, half)), one thread, the step's own buffers' shapes.
        using var single = ComputeSettings.Override(threads: 1);
        IReadOnlyList<Layer> layers = network.Stack.Layers;
        var buffers = new BatchBuffers(network.Stack, batch, training: true, lanes: 2);
        var gradients = new LaneGradients(layers, batch);
        buffers.Load(data, order.AsSpan(0, half), 0);
        var key = new LaneKey(true, 1, 1, 1, 0);
        Propagation.Forward(network.Stack, buffers, 0, half, 0, key);
        Propagation.Backward(network.Stack, buffers, 0, half, 0, key, 1f / batch, gradients);
        var rows = new List<(string Name, double Seconds)>();
        rows.Add(("load (bytes -> floats)", Measure(() => buffers.Load(data, order.AsSpan(0, half), 0)).Cpu));
        for (int l = 0; l < layers.Count; l++)
        {
            int index = l;
            Layer layer = layers[l];
            rows.Add(($"{l} {layer}: forward", Measure(() => layer.Forward(network.Parameters, buffers.Lane(layers, index, 0, half, 0, key))).Cpu));
        }
        rows.Add(("output activation + loss", Measure(() =>
        {
            Propagation.Forward(network.Stack, buffers, 0, half, 0, key, firstLayer: layers.Count);
            Propagation.Loss(network.Stack, buffers, 0, half);
        }).Cpu));
        for (int l = layers.Count - 1; l >= 0; l--)
        {
            int index = l;
            Layer layer = layers[l];
            rows.Add(($"{l} {layer}: backward{(l == 0 ? " (no dX)" : "")}", Measure(() =>
                layer.Backward(network.Parameters, buffers.Lane(layers, index, 0, half, 0, key), gradients.Weights(index), gradients.Biases(index))).Cpu));
        }
        double lanes = 2 * rows.Sum(r => r.Seconds);
        double update = Math.Max(0, oneThreadCpu - lanes);
        Console.WriteLine($"| part (one lane of {half} rows, one thread) | µs per lane | ms per step (both lanes) | share of the one-thread step |");
        Console.WriteLine("|---|---|---|---|");
        foreach ((string name, double seconds) in rows)
            Console.WriteLine($"| {name} | {seconds * 1e6:F0} | {2 * seconds * 1e3:F2} | {2 * seconds / oneThreadCpu:P0} |");
        Console.WriteLine($"| update ({@case.Optimizer}, lane sums) and the rest (the step less both lanes) | | {update * 1e3:F2} | {update / oneThreadCpu:P0} |");
    }

    /// <summary>Median seconds per call of <paramref name="action"/>: (wall, thread CPU time or wall).</summary>
    private static (double Wall, double Cpu) Measure(Action action)
    {
        action();
        long start = Stopwatch.GetTimestamp();
        action();
        double once = Math.Max(Stopwatch.GetElapsedTime(start).TotalSeconds, 1e-7);
        int reps = Math.Max(1, (int)(0.05 / once));
        var wall = new List<double>();
        var cpu = new List<double>();
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < 0.5 || wall.Count < 7)
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
