using System.Diagnostics;
using MnistTools.Distortions;

namespace MnistTools.Benchmarks;

/// <summary>
/// What each distortion costs: the CPU time of one thread distorting all 60,000 MNIST training images (one epoch's
/// worth), the median of five passes. Training splits this between its two lanes; the end-to-end table's
/// "-Augment" rows show it inside a whole epoch.
/// </summary>
public static class AugmentationBenchmarks
{
    public static void Run()
    {
        MnistDataSet train = MnistFiles.Load(train: true);
        Console.WriteLine($"Distortions of the {train.Count:N0} MNIST training images on one thread ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)");
        Console.WriteLine();
        Console.WriteLine("| -Augment | CPU s per epoch (median of 5) | µs per image |");
        Console.WriteLine("|---|---|---|");
        var inputs = new float[train.ImageSize];
        foreach (Augmentation kind in Enum.GetValues<Augmentation>())
        {
            var augmenter = new ImageAugmenter(kind, train.Rows, train.Columns);
            var seconds = new List<double>();
            for (int pass = 0; pass < 6; pass++)
            {
                // This thread's CPU time (wall time where the OS has no thread clock): the JIT's and GC's threads stay out.
                var wall = Stopwatch.StartNew();
                double? before = ThreadClock.Seconds();
                for (int i = 0; i < train.Count; i++) augmenter.Distort(train.GetPixels(i), 1, pass + 1, i, inputs);
                if (pass > 0) seconds.Add(ThreadClock.Seconds() - before ?? wall.Elapsed.TotalSeconds);
            }
            seconds.Sort();
            double median = seconds[seconds.Count / 2];
            Console.WriteLine($"| {kind} | {median:F3} | {median / train.Count * 1e6:F1} |");
        }
    }
}
