using System.Diagnostics;
using MnistTools.Layers;
using MnistTools.Numerics;
using MnistTools.Training;

namespace MnistTools.Benchmarks;

/// <summary>
/// Inference with the Keras convnet (untrained, seed 1: the time does not depend on the weights' values) over the 10,000
/// MNIST test images, through the core API the cmdlets call: Test-Network (<see cref="Evaluator"/>), Get-Classification of
/// the set (<see cref="Predictor.PredictPixels"/> in the cmdlet's calls of 2,048 images) and of 1,000 single images on one
/// kept predictor; wall time, median of the runs, on two threads and one. Then where one thread's pass goes (thread CPU
/// time, summed over the set): pixel scaling, each layer's forward, the softmax, the loss and the confusion counts; and
/// the forward's CPU time per image for several chunk sizes. The cmdlets themselves: Inference.ps1 beside this file.
/// </summary>
public static class InferenceBenchmark
{
    private static readonly string[] KerasLayers =
        ["Conv2d 32 3 ReLU", "MaxPool2d 2", "Conv2d 64 3 ReLU", "MaxPool2d 2", "Dropout 0.5", "Dense 10 Softmax"];

    public static void Run(int runs)
    {
        MnistDataSet test = MnistFiles.Load(train: false);
        var network = new Network([1, 28, 28], LayerSpec.ParseAll(KerasLayers), Loss.CrossEntropy, Initializer.Default, seed: 1);
        var evaluator = new Evaluator(network);
        var predictor = new Predictor(network);
        var scores = new float[test.Count * network.OutputSize];
        Console.WriteLine($"Inference, Keras convnet, {test.Count:N0} test images; chunks of {predictor.ChunkRows} images; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; " +
            $"load {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine();
        Console.WriteLine($"| what | threads | ms, median of {runs} | min | max |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (int? threads in new int?[] { null, 1 })
        {
            string label = threads is null ? "auto" : "1";
            Time("Test-Network (Evaluator)", label, runs, () => evaluator.Evaluate(test, threadCount: threads));
            Time("Get-Classification of the set (calls of 2,048)", label, runs, () =>
            {
                for (int start = 0; start < test.Count; start += 2048)
                {
                    int rows = Math.Min(2048, test.Count - start);
                    predictor.PredictPixels(test.Pixels.Slice(start * 784, rows * 784), rows, scores.AsSpan(start * 10), threads);
                }
            });
            Time("Get-Classification of 1,000 single images", label, runs, () =>
            {
                for (int i = 0; i < 1000; i++) predictor.PredictPixels(test.GetPixels(i), 1, scores, threads);
            });
        }
        Console.WriteLine();
        Breakdown(network, test, predictor.ChunkRows);
        Console.WriteLine();
        ChunkSizes(network, test);
    }

    private static void Time(string what, string threads, int runs, Action work)
    {
        work();
        var ms = new List<double>();
        for (int run = 0; run < runs; run++)
        {
            long start = Stopwatch.GetTimestamp();
            work();
            ms.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        Console.WriteLine($"| {what} | {threads} | {EndToEnd.Median(ms):F1} | {ms.Min():F1} | {ms.Max():F1} |");
    }

    /// <summary>One thread's pass over the set in chunks of <paramref name="chunk"/>, part by part (thread CPU ms).</summary>
    private static void Breakdown(Network network, MnistDataSet test, int chunk)
    {
        IReadOnlyList<Layer> layers = network.Stack.Layers;
        var buffers = new BatchBuffers(network.Stack, chunk, training: false, lanes: 1);
        var parts = new double[layers.Count + 3];
        var withPrevious = new bool[layers.Count];
        var confusion = new int[100];
        for (int pass = 0; pass < 2; pass++) // the first pass compiles and warms; the second is reported
        {
            Array.Clear(parts);
            for (int start = 0; start < test.Count; start += chunk)
            {
                int rows = Math.Min(chunk, test.Count - start);
                double t0 = ThreadClock.Seconds() ?? 0;
                PixelScaling.ToInputs(test.Pixels.Slice(start * 784, rows * 784), buffers.Input.AsSpan(0, rows * 784));
                double t = ThreadClock.Seconds() ?? 0;
                parts[0] += t - t0;
                for (int l = 0; l < layers.Count; l++)
                {
                    // As the predictor runs them: a layer and the next as one pass where they can.
                    LayerLane lane = buffers.Lane(layers, l, 0, rows, 0, LaneKey.Inference);
                    bool pair = l + 1 < layers.Count
                        && layers[l].ForwardWithNext(network.Stack.Parameters, lane, layers[l + 1], buffers.Lane(layers, l + 1, 0, rows, 0, LaneKey.Inference));
                    if (!pair) layers[l].Forward(network.Stack.Parameters, lane);
                    double next = ThreadClock.Seconds() ?? 0;
                    parts[l + 1] += next - t;
                    t = next;
                    if (pair) withPrevious[++l] = true;
                }
                Propagation.Forward(network.Stack, buffers, 0, rows, 0, LaneKey.Inference, firstLayer: layers.Count); // the softmax alone
                double softmax = ThreadClock.Seconds() ?? 0;
                parts[layers.Count + 1] += softmax - t;
                for (int r = 0; r < rows; r++) buffers.Labels[r] = test.GetLabel(start + r);
                Propagation.Loss(network.Stack, buffers, 0, rows);
                for (int r = 0; r < rows; r++)
                    confusion[buffers.Labels[r] * 10 + Classification.PredictedClass(buffers.Scores.AsSpan(r * 10, 10))]++;
                parts[layers.Count + 2] += (ThreadClock.Seconds() ?? 0) - softmax;
            }
        }
        Console.WriteLine($"Where one thread's pass goes (thread CPU ms over {test.Count:N0} images, chunks of {chunk}):");
        Console.WriteLine();
        Console.WriteLine("| part | CPU ms |");
        Console.WriteLine("|---|---|");
        Console.WriteLine($"| pixel scaling | {parts[0] * 1e3:F1} |");
        for (int l = 0; l < layers.Count; l++)
            Console.WriteLine(withPrevious[l] ? $"| layer {l} {layers[l].GetType().Name} forward | in layer {l - 1}'s pass |"
                : $"| layer {l} {layers[l].GetType().Name} forward{(l + 1 < layers.Count && withPrevious[l + 1] ? $" with layer {l + 1}" : "")} | {parts[l + 1] * 1e3:F1} |");
        Console.WriteLine($"| softmax | {parts[layers.Count + 1] * 1e3:F1} |");
        Console.WriteLine($"| loss and confusion counts | {parts[layers.Count + 2] * 1e3:F1} |");
        Console.WriteLine($"| **total** | **{parts.Sum() * 1e3:F1}** |");
    }

    /// <summary>One thread's forward over the first 2,000 images at several chunk sizes (thread CPU µs per image, best of 3).</summary>
    private static void ChunkSizes(Network network, MnistDataSet test)
    {
        Console.WriteLine("Forward on one thread by chunk size (thread CPU µs per image, best of 3 passes over 2,000 images):");
        Console.WriteLine();
        Console.WriteLine("| images per chunk | µs per image |");
        Console.WriteLine("|---|---|");
        const int images = 2000;
        foreach (int chunk in new[] { 1, 2, 4, 6, 8, 12, 16, 24, 32, 64 })
        {
            var buffers = new BatchBuffers(network.Stack, chunk, training: false, lanes: 1);
            double best = double.MaxValue;
            for (int pass = 0; pass < 3; pass++)
            {
                double t0 = ThreadClock.Seconds() ?? 0;
                for (int start = 0; start < images; start += chunk)
                {
                    int rows = Math.Min(chunk, images - start);
                    PixelScaling.ToInputs(test.Pixels.Slice(start * 784, rows * 784), buffers.Input.AsSpan(0, rows * 784));
                    Propagation.Forward(network.Stack, buffers, 0, rows, 0, LaneKey.Inference, everyOutput: false);
                }
                best = Math.Min(best, (ThreadClock.Seconds() ?? 0) - t0);
            }
            Console.WriteLine($"| {chunk} | {best * 1e6 / images:F1} |");
        }
    }
}
