using MnistTools.Layers;
using System.Diagnostics;
using MnistTools.Numerics;
using MnistTools.Training;

namespace MnistTools.Benchmarks;

/// <summary>
/// Where a training step's time goes: the trainer's two passes (<see cref="TrainingStep"/>) timed over a whole epoch
/// with every chunk on this thread, and their parts measured by replaying them in isolation on the same shapes:
///   lanes pass   load and convert the rows; forward products Z = A·Wᵀ (per lane, or per half of the units for a wide
///                first layer); bias, activations, softmax, loss; backward products dA = dZ·W (per lane), activation
///                derivatives, small layers' partial dW
///   update pass  weight-gradient products dW = dZᵀ·A of the large layers (per block of output units, whole batch);
///                optimizer and check
/// Times are the calling thread's CPU time (<see cref="ThreadClock"/>) where available, so time spent descheduled on a
/// shared machine is not counted; run it with MNISTTOOLS_THREADS=1 so all the work is on that thread. With two
/// cores the two lanes run side by side, and so do the two halves of the update.
/// </summary>
public static class StepProfile
{
    public static void Run(int epochs)
    {
        MnistDataSet train = MnistFiles.Load(train: true);
        Console.WriteLine($"Step profile: epoch {epochs} of {epochs} (earlier ones warm up), GEMM path {ComputeSettings.InstructionSet}, " +
            $"threads {ComputeSettings.ForcedThreads?.ToString() ?? "auto"}, clock: {(ThreadClock.Seconds() is null ? "wall" : "thread CPU time")}");
        foreach (NetworkCase @case in NetworkCase.All.Where(c => !c.IsConvolutional)) Profile(@case, train, epochs);
    }

    private static void Profile(NetworkCase @case, MnistDataSet data, int epochs)
    {
        Network network = @case.CreateNetwork();
        int[] sizes = network.LayerSizes ?? throw new InvalidOperationException("A dense network has layer sizes.");
        int batch = @case.BatchSize, count = data.Count, steps = count / batch, half = (batch + 1) / 2;
        var step = new TrainingStep(network, batch);
        OptimizerState state = OptimizerState.Create(@case.Optimizer, network.ParameterCount);
        var options = new TrainingOptions { BatchSize = batch, Optimizer = @case.Optimizer, LearningRate = @case.LearningRate };
        var order = new int[count];
        double lanes = 0, update = 0, load = 0;
        var buffers = new BatchBuffers(network.Stack, batch, training: false, lanes: 1);
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            lanes = update = load = 0;
            ShuffleOrder.Fill(order, 1, epoch);
            for (int s = 0; s < steps; s++)
            {
                double t0 = Now();
                step.Propagate(new TrainingStep.Batch(data, order, s * batch, batch, new LaneKey(true, 1, epoch, state.Step, 0)));
                double t1 = Now();
                step.Update(state, Optimizers.Begin(state, options, options.EffectiveLearningRate));
                double t2 = Now();
                lanes += t1 - t0; update += t2 - t1;
            }
            // The load on its own, on the same rows (a second time: the rows are warmer than in the step, so a floor).
            double t3 = Now();
            for (int s = 0; s < steps; s++) buffers.Load(data, order.AsSpan(s * batch, batch), 0);
            load = Now() - t3;
        }
        (double laneGemm, double weightGemm) = ReplayGemm(sizes, batch, half);
        double Us(double seconds) => seconds * 1e6 / steps;
        double total = Us(lanes + update);
        Console.WriteLine();
        Console.WriteLine($"{@case.Name}, batch {batch} (2 lanes of {half}), {@case.OptimizerLabel}: {total:F1} us/step on one thread, {total * steps / 1e6:F3} s/epoch");
        Console.WriteLine("| phase | us/step | share |");
        Console.WriteLine("|---|---|---|");
        void Row(string name, double us) => Console.WriteLine($"| {name} | {us:F1} | {us / total:P0} |");
        Row("lanes: load batch (bytes -> floats)", Us(load));
        Row("lanes: GEMM, Z = A.Wt, dA = dZ.W, small layers' dW (replayed)", laneGemm);
        Row("lanes: bias, activations, softmax, loss, derivatives", Math.Max(0, Us(lanes) - Us(load) - laneGemm));
        Row("update: weight-gradient GEMM of the large layers, dW = dZt.A (replayed)", weightGemm);
        Row($"update: {@case.Optimizer} + parameter check", Math.Max(0, Us(update) - weightGemm));
    }

    /// <summary>Microseconds per step of the two passes' products, as the step cuts them (see <see cref="TrainingStep"/>).</summary>
    private static (double Lanes, double Weights) ReplayGemm(int[] sizes, int batch, int half)
    {
        var lanes = new List<GemmData>();
        var weights = new List<GemmData>();
        int[] laneRows = new[] { half, batch - half }.Where(r => r > 0).ToArray();
        bool splitFirst = sizes.Length >= 3 && (long)sizes[0] * sizes[1] >= TrainingStep.SplitFirstLayerWeights;
        for (int l = 0; l + 1 < sizes.Length; l++)
        {
            int inputs = sizes[l], outputs = sizes[l + 1];
            bool laneWeights = (long)inputs * outputs < (long)batch * inputs;
            if (l == 0 && splitFirst)
                for (int part = 0; part < 2; part++)
                    lanes.Add(new GemmData(new GemmShape("Z", batch, outputs * (part + 1) / 2 - outputs * part / 2, inputs, false, true)));
            foreach (int rows in laneRows)
            {
                if (l > 0 || !splitFirst) lanes.Add(new GemmData(new GemmShape("Z", rows, outputs, inputs, false, true)));
                if (l > 0) lanes.Add(new GemmData(new GemmShape("dX", rows, inputs, outputs, false, false)));
                if (laneWeights) lanes.Add(new GemmData(new GemmShape("dW", outputs, inputs, rows, true, false)));
            }
            if (laneWeights) continue;
            // dW in blocks of up to 96 output units per half (the step's block size for these layer widths), k = whole batch.
            int blockRows = Math.Clamp(96 * 1024 / inputs, 1, 96);
            for (int part = 0; part < 2; part++)
                for (int unit = outputs * part / 2; unit < outputs * (part + 1) / 2; unit += blockRows)
                    weights.Add(new GemmData(new GemmShape("dW", Math.Min(blockRows, outputs * (part + 1) / 2 - unit), inputs, batch, true, false)));
        }
        using var scope = ComputeSettings.Override(threads: 1);
        return (Time(lanes), Time(weights));
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
