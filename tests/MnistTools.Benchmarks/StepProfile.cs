using System.Diagnostics;
using MnistTools.Numerics;
using MnistTools.Training;

namespace MnistTools.Benchmarks;

/// <summary>
/// Where a training step's time goes: the trainer's per-batch sequence as <see cref="TrainingStep"/> runs it (two
/// half-batch lanes, each: load and convert its rows, forward, loss and backward; then the fused update: lane gradient
/// sum, optimizer and parameter check), timed phase by phase over a whole epoch with both lanes on this thread; the GEMM
/// part of forward and backward is measured by replaying the lanes' matrix products (same shapes and flags) in isolation.
/// Times are the calling thread's CPU time (<see cref="ThreadClock"/>) where available, so time spent descheduled on a
/// shared machine is not counted; run it with MNISTTOOLS_GEMM_THREADS=1 so all the work is on that thread. With two
/// cores the lanes run side by side, and so do the two halves of the update.
/// </summary>
public static class StepProfile
{
    public static void Run(int epochs)
    {
        MnistDataSet train = MnistFiles.Load(train: true);
        Console.WriteLine($"Step profile: epoch {epochs} of {epochs} (earlier ones warm up), GEMM path {GemmSettings.Path}, " +
            $"threads {GemmSettings.ForcedThreads?.ToString() ?? "auto"}, clock: {(ThreadClock.Seconds() is null ? "wall" : "thread CPU time")}");
        foreach (NetworkCase @case in NetworkCase.All) Profile(@case, train, epochs);
    }

    private static void Profile(NetworkCase @case, MnistDataSet data, int epochs)
    {
        Network network = @case.CreateNetwork();
        ParameterLayout layout = network.Layout;
        int batch = @case.BatchSize, count = data.Count, steps = count / batch;
        int half = (batch + 1) / 2;
        var lanes = new[] { new Workspace(layout, half, training: true), new Workspace(layout, half, training: true) };
        OptimizerState state = OptimizerState.Create(@case.Optimizer, network.ParameterCount);
        state.Momentum = 0.9f;
        var order = new int[count];
        var ticks = new double[4];
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            Array.Clear(ticks);
            ShuffleOrder.Fill(order, 1, epoch);
            for (int step = 0; step < steps; step++)
            {
                for (int lane = 0; lane < 2; lane++)
                {
                    int offset = Math.Min(batch, lane * half), rows = Math.Min(half, batch - offset);
                    Workspace workspace = lanes[lane];
                    double t0 = Now();
                    workspace.LoadBatch(data, order.AsSpan(step * batch + offset, rows));
                    double t1 = Now();
                    Propagation.Forward(network, workspace.Input, rows, workspace);
                    double t2 = Now();
                    Propagation.Backward(network, workspace.Input, rows, 1f / batch, workspace);
                    double t3 = Now();
                    ticks[0] += t1 - t0; ticks[1] += t2 - t1; ticks[2] += t3 - t2;
                }
                double t4 = Now();
                Optimizers.UpdateRange(state, layout, network.Parameters, lanes[0].Gradients, lanes[1].Gradients, 0, network.ParameterCount,
                    Optimizers.Begin(state, @case.LearningRate, 0f));
                ticks[3] += Now() - t4;
            }
        }
        (double forwardGemm, double backwardGemm) = ReplayGemm(layout, half);
        forwardGemm *= 2; backwardGemm *= 2;
        double Us(double seconds) => seconds * 1e6 / steps;
        double total = Us(ticks.Sum());
        double forward = Us(ticks[1]), backward = Us(ticks[2]);
        Console.WriteLine();
        Console.WriteLine($"{@case.Name}, batch {batch} (2 lanes of {half}), {@case.OptimizerLabel}: {total:F1} us/step on one thread, {total * steps / 1e6:F3} s/epoch");
        Console.WriteLine("| phase | us/step | share |");
        Console.WriteLine("|---|---|---|");
        void Row(string name, double us) => Console.WriteLine($"| {name} | {us:F1} | {us / total:P0} |");
        Row("load batch (bytes -> floats)", Us(ticks[0]));
        Row("forward: GEMM (replayed)", forwardGemm);
        Row("forward: bias, activations, softmax", Math.Max(0, forward - forwardGemm));
        Row("backward: GEMM (replayed)", backwardGemm);
        Row("backward: loss, bias grads, activation grads", Math.Max(0, backward - backwardGemm));
        Row($"update: lane sum + {@case.Optimizer} + parameter check", Us(ticks[3]));
    }

    /// <summary>Microseconds per step of the step's products: Z = X.Wt per layer; dW = dZt.X per layer, dX = dZ.W above the first.</summary>
    private static (double Forward, double Backward) ReplayGemm(ParameterLayout layout, int batch)
    {
        var random = new Random(1);
        var forward = new List<GemmData>();
        var backward = new List<GemmData>();
        for (int l = 0; l < layout.LayerCount; l++)
        {
            int inputs = layout.LayerSizes[l], outputs = layout.LayerSizes[l + 1];
            forward.Add(new GemmData(new GemmShape("Z", batch, outputs, inputs, false, true)));
            backward.Add(new GemmData(new GemmShape("dW", outputs, inputs, batch, true, false)));
            if (l > 0) backward.Add(new GemmData(new GemmShape("dX", batch, inputs, outputs, false, false)));
        }
        return (Time(forward), Time(backward));
    }

    /// <summary>Seconds: thread CPU time if the OS gives it, else wall time.</summary>
    private static double Now() => ThreadClock.Seconds() ?? Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;

    private static double Time(List<GemmData> products)
    {
        for (int warm = 0; warm < 50; warm++) foreach (GemmData p in products) p.Run();
        var samples = new List<double>();
        for (int sample = 0; sample < 7; sample++)
        {
            const int reps = 200;
            double start = Now();
            for (int r = 0; r < reps; r++) foreach (GemmData p in products) p.Run();
            samples.Add((Now() - start) * 1e6 / reps);
        }
        return EndToEnd.Median(samples);
    }
}
