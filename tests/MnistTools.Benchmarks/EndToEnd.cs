using System.Diagnostics;
using System.Globalization;
using MnistTools.Numerics;
using MnistTools.Training;

namespace MnistTools.Benchmarks;

/// <summary>
/// End-to-end training benchmark. Each (network, GEMM thread setting) runs in a fresh child process, so the peak
/// working set and allocation figures belong to that run alone. The child trains a few epochs on the 60,000 MNIST
/// training images and reports the trainer's loop time per epoch (the median over epochs 2..N: the first one includes JIT
/// compilation and the buffers' first touch); the parent prints a markdown table. The CPU time of
/// the training thread is printed too: with one GEMM thread it is the epoch's cost without the time spent descheduled
/// on a shared machine (with two it leaves out the worker's share).
/// </summary>
public static class EndToEnd
{
    private const string ResultPrefix = "E2E-RESULT|";

    /// <param name="filter">Only the networks whose name contains this (case-insensitive), or all.</param>
    public static void Run(int epochs, string? filter = null)
    {
        Console.WriteLine($"End-to-end: {epochs} epochs per network on 60,000 MNIST images ({MnistFiles.Folder}); " +
            $"instruction set {Numerics.ComputeSettings.InstructionSet}; convolution {Numerics.ComputeSettings.Convolution}; {Environment.ProcessorCount} CPUs; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine();
        Console.WriteLine("| network | batch | optimizer | threads | s/epoch (median) | epochs (s) | samples/s | CPU s/epoch of the training thread (median) | allocated/epoch (first; then max) | peak working set | test accuracy | jobs on the second core (late) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        var testLines = new List<string>();
        for (int index = 0; index < NetworkCases.Count; index++)
        {
            NetworkCase network = NetworkCases[index];
            if (filter is not null && !network.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)) continue;
            foreach (string threads in new[] { "auto", "1" })
            {
                string[] fields = RunChild(index, threads, epochs);
                Console.WriteLine($"| {network.Name} | {network.BatchSize} | {network.OptimizerLabel} | {threads} | {fields[0]} | {fields[1]} | {fields[2]} | {fields[3]} | {fields[4]} | {fields[5]} | {fields[6]} | {fields[7]} |");
                if (fields.Length > 9) testLines.Add($"| {network.Name} | {threads} | {fields[8].Trim()} | {fields[9].Trim()} |");
            }
        }
        if (testLines.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine("Test-Network (Evaluator) over the 10,000 test images, after the training above:");
            Console.WriteLine();
            Console.WriteLine("| network | threads | ms (median of 11) | ms (min) |");
            Console.WriteLine("|---|---|---|---|");
            testLines.ForEach(Console.WriteLine);
        }
    }

    private static IReadOnlyList<NetworkCase> NetworkCases => NetworkCase.All;

    private static string[] RunChild(int index, string threads, int epochs)
    {
        string self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(EndToEnd).Assembly.Location);
        foreach (string argument in new[] { "--e2e-one", index.ToString(CultureInfo.InvariantCulture), epochs.ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(argument);
        start.Environment.Remove("MNISTTOOLS_GEMM_THREADS");
        if (threads == "auto") start.Environment.Remove("MNISTTOOLS_THREADS");
        else start.Environment["MNISTTOOLS_THREADS"] = threads;
        using Process child = Process.Start(start)!;
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        string? line = output.Split('\n').FirstOrDefault(l => l.StartsWith(ResultPrefix, StringComparison.Ordinal));
        if (child.ExitCode != 0 || line is null) throw new InvalidOperationException($"The benchmark child failed (exit {child.ExitCode}):\n{output}");
        return line[ResultPrefix.Length..].Trim().Split('|');
    }

    /// <summary>The child: trains one network and prints one result line.</summary>
    public static void RunOne(int index, int epochs)
    {
        NetworkCase @case = NetworkCase.All[index];
        MnistDataSet train = MnistFiles.Load(train: true);
        MnistDataSet test = MnistFiles.Load(train: false);
        Network network = @case.CreateNetwork();
        var trainer = new Trainer(network, @case.CreateOptions());
        var seconds = new List<double>();
        var allocated = new List<long>();
        var cpu = new List<double>();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            double? cpuBefore = ThreadClock.Seconds();
            TrainingEpoch result = trainer.TrainEpoch(train);
            if (cpuBefore is { } c0 && ThreadClock.Seconds() is { } c1) cpu.Add(c1 - c0);
            allocated.Add(GC.GetTotalAllocatedBytes(precise: true) - before);
            seconds.Add(result.Seconds);
        }
        double median = Median(seconds.Count > 1 ? seconds.Skip(1).ToList() : seconds);
        var evaluator = new Evaluator(network);
        TestResult accuracy = evaluator.Evaluate(test);
        string testTime = "";
        if (@case.TimesTest)
        {
            var times = new List<double>();
            for (int run = 0; run < 11; run++)
            {
                long start = Stopwatch.GetTimestamp();
                evaluator.Evaluate(test);
                times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
            testTime = $"|{Median(times):F1} | {times.Min():F1}";
        }
        long peak = Process.GetCurrentProcess().PeakWorkingSet64;
        string steady = allocated.Count > 1 ? $"{allocated.Skip(1).Max():N0} B" : "-";
        Console.WriteLine(ResultPrefix + string.Join('|',
            $"{median:F3}",
            string.Join(", ", seconds.Select(s => s.ToString("F3", CultureInfo.InvariantCulture))),
            $"{train.Count / median:N0}",
            cpu.Count > 0 ? $"{Median(cpu):F3}" : "-",
            $"{allocated[0]:N0} B; {steady}",
            $"{peak / (1024.0 * 1024.0):F0} MiB",
            $"{accuracy.Accuracy:P2}",
            $"{ParallelWorker.SharedJobs:N0} ({ParallelWorker.LateJobs:N0})") + testTime);
    }

    internal static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
