using System.Diagnostics;
using MnistTools.Layers;
using MnistTools.Numerics;
using MnistTools.Training;

namespace MnistTools.Benchmarks;

/// <summary>
/// `--batchnorm [rounds]`: what BatchNorm adds to a training step. Two small convolutional networks, the same but for
/// the normalisation: Conv2d 32 3 → Conv2d 32 3 → MaxPool2d 2 → Dense 128 → Dense 10, each hidden layer with ReLU
/// (plain), or without bias and followed by BatchNorm ReLU (normalised). Steps of 64 images (Adam) on one thread, timed
/// by the thread's CPU time (wall when the platform has no thread clock), the two networks in alternating rounds so
/// both see the same machine; the ratio of the medians is the cost. Then each BatchNorm layer's kernels alone (forward and
/// backward with the fused ReLU over the whole batch, warm, the best of <see cref="KernelRepeats"/>) against the plain step.
/// </summary>
public static class BatchNormBenchmark
{
    private const int Batch = 64, StepsPerRound = 20, KernelRepeats = 40;

    public static void Run(int rounds)
    {
        MnistDataSet train = MnistFiles.Load(train: true);
        Console.WriteLine($"BatchNorm cost: {ComputeSettings.InstructionSet}, clock: {(ThreadClock.Seconds() is null ? "wall" : "thread CPU time")}, " +
            $"one thread, batch {Batch}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        using var single = ComputeSettings.Override(threads: 1);
        var cases = new[] { new Case("plain", Create(normalised: false), train), new Case("BatchNorm", Create(normalised: true), train) };
        foreach (Case c in cases) c.Steps(10);
        for (int round = 0; round < rounds; round++)
            foreach (Case c in round % 2 == 0 ? cases : cases.Reverse())
                c.Time();
        double plain = cases[0].Median, normalised = cases[1].Median;
        Console.WriteLine($"plain     {plain * 1e3:F2} ms per step ({cases[0].Network.ParameterCount:N0} parameters)");
        Console.WriteLine($"BatchNorm {normalised * 1e3:F2} ms per step ({cases[1].Network.ParameterCount:N0} parameters)");
        Console.WriteLine($"ratio     {normalised / plain:F3} (medians of {rounds} rounds of {StepsPerRound} steps)");
        foreach (Layer layer in cases[1].Network.Stack.Layers)
            if (layer is BatchNormLayer)
            {
                (double forward, double backward) = KernelTimes(layer.InputShape.Channels, layer.InputShape.Height * layer.InputShape.Width);
                Console.WriteLine($"  layer BatchNorm ReLU on {layer.InputShape}: forward {forward * 1e3:F3} ms, backward {backward * 1e3:F3} ms " +
                    $"({(forward + backward) / plain:P1} of the plain step; kernels alone, warm, best of {KernelRepeats})");
            }
    }

    /// <summary>Seconds of one forward and one backward of the BatchNorm kernels with the fused ReLU over a batch of C x S values per image.</summary>
    private static (double Forward, double Backward) KernelTimes(int channels, int spatial)
    {
        var random = new Random(1);
        int size = Batch * channels * spatial;
        float[] x = new float[size], y = new float[size], dy = new float[size], dx = new float[size];
        for (int i = 0; i < size; i++) (x[i], dy[i]) = ((float)random.NextDouble() * 2 - 0.5f, ((float)random.NextDouble() - 0.5f) * 1e-3f);
        float[] gamma = Enumerable.Repeat(1f, channels).ToArray(), beta = new float[channels], mean = new float[channels], inverse = new float[channels];
        float[] runningMean = new float[channels], runningVariance = new float[channels], dGamma = new float[channels], dBeta = new float[channels];
        double forward = Best(() => BatchNormKernels.TrainingForward(x, gamma, beta, y, mean, inverse, runningMean, runningVariance, Batch, channels, spatial,
            0, channels, BatchNormLayer.DefaultMomentum, BatchNormLayer.DefaultEpsilon, updateRunning: true, relu: true));
        double backward = Best(() => BatchNormKernels.TrainingBackward(dy, x, gamma, mean, inverse, dGamma, dBeta, dx, Batch, channels, spatial, 0, channels, beta));
        return (forward, backward);

        static double Best(Action run)
        {
            run();
            double best = double.MaxValue;
            for (int k = 0; k < KernelRepeats; k++)
            {
                double? cpu = ThreadClock.Seconds();
                long start = Stopwatch.GetTimestamp();
                run();
                best = Math.Min(best, ThreadClock.Seconds() is { } end && cpu is { } begin ? end - begin : Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
            return best;
        }
    }

    private static Network Create(bool normalised) =>
        new([1, 28, 28], LayerSpec.ParseAll(normalised
                ? ["Conv2d 32 3 bias=false", "BatchNorm ReLU", "Conv2d 32 3 bias=false", "BatchNorm ReLU", "MaxPool2d 2", "Dense 128 bias=false", "BatchNorm ReLU", "Dense 10 Softmax"]
                : ["Conv2d 32 3 ReLU", "Conv2d 32 3 ReLU", "MaxPool2d 2", "Dense 128 ReLU", "Dense 10 Softmax"]),
            Loss.CrossEntropy, Initializer.Default, 1);

    private sealed class Case
    {
        private readonly TrainingStep _step;
        private readonly OptimizerState _state;
        private readonly TrainingOptions _options = new() { Optimizer = Optimizer.Adam, LearningRate = 0.001f, BatchSize = Batch };
        private readonly MnistDataSet _data;
        private readonly int[] _order;
        private readonly List<double> _times = new();
        private int _position;

        public Case(string name, Network network, MnistDataSet data)
        {
            Name = name;
            Network = network;
            _data = data;
            _step = new TrainingStep(network, Batch);
            _state = OptimizerState.Create(Optimizer.Adam, network.ParameterCount);
            _order = new int[data.Count];
            ShuffleOrder.Fill(_order, 1, 1);
        }

        public string Name { get; }

        public Network Network { get; }

        public double Median => EndToEnd.Median(_times);

        public void Steps(int count)
        {
            for (int s = 0; s < count; s++)
            {
                if (_position + Batch > _order.Length) _position = 0;
                _step.Propagate(new TrainingStep.Batch(_data, _order, _position, Batch, new LaneKey(true, 1, 1, _state.Step, 0)));
                _step.Update(_state, Optimizers.Begin(_state, _options, _options.EffectiveLearningRate));
                _position += Batch;
            }
        }

        public void Time()
        {
            double? cpu = ThreadClock.Seconds();
            long start = Stopwatch.GetTimestamp();
            Steps(StepsPerRound);
            double seconds = ThreadClock.Seconds() is { } end && cpu is { } begin ? end - begin : Stopwatch.GetElapsedTime(start).TotalSeconds;
            _times.Add(seconds / StepsPerRound);
        }
    }
}
