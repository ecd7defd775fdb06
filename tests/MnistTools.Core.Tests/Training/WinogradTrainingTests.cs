using MnistTools.Layers;
using MnistTools.Numerics;
using MnistTools.Randomness;
using MnistTools.Training;
using Xunit.Abstractions;

namespace MnistTools.Tests.Training;

/// <summary>
/// Training with <see cref="ConvolutionAlgorithm.Winograd"/>: the production step's gradient against central differences
/// of a double reference, the same bits on one thread and two and from run to run, a short training run that learns as
/// the direct one does, and the setting reaching the chunks <see cref="ParallelWorker"/>'s thread runs.
/// </summary>
public class WinogradTrainingTests(ITestOutputHelper log)
{
    private const int Channels = 8, Side = 6, Classes = 3, Rows = 6;

    /// <summary>[8 x 6 x 6] → Conv2d 8 3 same Tanh → Conv2d 8 3 Tanh (4x4) → Dense 3 Softmax: both convolutions forward
    /// and their weight gradients through Winograd.</summary>
    private static Network TinyNet() =>
        new([Channels, Side, Side], LayerSpec.ParseAll(["Conv2d 8 3 padding=same Tanh", "Conv2d 8 3 Tanh", "Dense 3 Softmax"]),
            Loss.CrossEntropy, Initializer.Default, seed: 5);

    private static MnistDataSet TinyData()
    {
        var random = new SeededRandom(9);
        byte[] pixels = new byte[Rows * Channels * Side * Side], labels = new byte[Rows];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)random.NextInt(256);
        for (int i = 0; i < Rows; i++) labels[i] = (byte)(i % Classes);
        return new MnistDataSet("tiny", null, Channels * Side, Side, pixels, labels, classCount: Classes);
    }

    /// <summary>The tiny net's mean cross-entropy in double. Parameters: W1 [8 x 8 x 3 x 3], b1 [8], W2 [8 x 8 x 3 x 3], b2 [8],
    /// W3 [3 x 128], b3 [3].</summary>
    private static double ReferenceLoss(double[] p, double[] x, int[] labels, int rows)
    {
        int w1 = 0, b1 = w1 + 576, w2 = b1 + 8, b2 = w2 + 576, w3 = b2 + 8, b3 = w3 + Classes * 128;
        double loss = 0;
        for (int r = 0; r < rows; r++)
        {
            double[] image = x.AsSpan(r * 288, 288).ToArray();
            double[] a1 = Convolve(image, p, w1, b1, Side, pad: 1, Side);
            double[] a2 = Convolve(a1, p, w2, b2, Side, pad: 0, Side - 2);
            var logits = new double[Classes];
            for (int k = 0; k < Classes; k++)
            {
                logits[k] = p[b3 + k];
                for (int j = 0; j < 128; j++) logits[k] += p[w3 + k * 128 + j] * a2[j];
            }
            double max = logits.Max();
            loss += max + Math.Log(logits.Sum(v => Math.Exp(v - max))) - logits[labels[r]];
        }
        return loss / rows;
    }

    /// <summary>tanh(W ⊛ X + b), 8 channels to 8 filters, 3x3, stride 1, zero padding <paramref name="pad"/>.</summary>
    private static double[] Convolve(double[] x, double[] p, int weights, int biases, int side, int pad, int outputSide)
    {
        var y = new double[8 * outputSide * outputSide];
        for (int f = 0; f < 8; f++)
            for (int oy = 0; oy < outputSide; oy++)
                for (int ox = 0; ox < outputSide; ox++)
                {
                    double sum = p[biases + f];
                    for (int c = 0; c < 8; c++)
                        for (int ky = 0; ky < 3; ky++)
                            for (int kx = 0; kx < 3; kx++)
                            {
                                int iy = oy - pad + ky, ix = ox - pad + kx;
                                if (iy >= 0 && iy < side && ix >= 0 && ix < side)
                                    sum += p[weights + ((f * 8 + c) * 3 + ky) * 3 + kx] * x[(c * side + iy) * side + ix];
                            }
                    y[(f * outputSide + oy) * outputSide + ox] = Math.Tanh(sum);
                }
        return y;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void TheStepsGradientMatchesCentralDifferencesOfADoubleReference(int threads)
    {
        Network network = TinyNet();
        StepHarness.RandomizeBiases(network, 0.3, 3);
        MnistDataSet data = TinyData();
        int[] order = Enumerable.Range(0, Rows).ToArray();
        float[] gradient;
        double lossSum;
        using (ComputeSettings.Override(threads: threads, convolution: ConvolutionAlgorithm.Winograd))
        {
            foreach (Conv2dLayer conv in network.Stack.Layers.OfType<Conv2dLayer>())
                Assert.True(Conv2dWinograd.Applies(conv.Shape), $"{conv.Shape} is not on the Winograd path");
            (gradient, lossSum, _, _, _) = StepHarness.Gradient(network, data, order, 0, Rows, batchSize: Rows);
        }
        (double[] x, int[] labels) = StepHarness.Rows(data, order, 0, Rows);
        double[] p = StepHarness.ToDouble(network.Parameters);
        Assert.Equal(ReferenceLoss(p, x, labels, Rows), lossSum / Rows, 5);
        const double h = 1e-6;
        double largest = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double saved = p[i];
            p[i] = saved + h;
            double plus = ReferenceLoss(p, x, labels, Rows);
            p[i] = saved - h;
            double minus = ReferenceLoss(p, x, labels, Rows);
            p[i] = saved;
            double numeric = (plus - minus) / (2 * h);
            largest = Math.Max(largest, Math.Abs(numeric));
            Assert.True(Math.Abs(gradient[i] - numeric) <= 1e-4 * Math.Max(1, Math.Abs(numeric)), $"parameter {i}: step {gradient[i]:R}, central difference {numeric:R}");
        }
        Assert.True(largest > 1e-2, "the gradient is too small to be a meaningful check");
    }

    private static readonly MnistDataSet Images = SyntheticData.Images(600, seed: 2);

    /// <summary>Conv2d 8 3 ReLU → MaxPool2d 2 → Conv2d 16 3 ReLU → MaxPool2d 2 → Dense 3 Softmax on 28x28 images: the second
    /// convolution (8 channels, 13x13) goes through Winograd, forward and weight gradient.</summary>
    private static (float[] Parameters, double Loss, float[] Scores) Train(ConvolutionAlgorithm algorithm, int threads)
    {
        using var scope = ComputeSettings.Override(convolution: algorithm);
        var network = new Network([1, 28, 28], LayerSpec.ParseAll(["Conv2d 8 3 ReLU", "MaxPool2d 2", "Conv2d 16 3 ReLU", "MaxPool2d 2", "Dense 3 Softmax"]),
            Loss.CrossEntropy, Initializer.Default, seed: 7);
        var trainer = new Trainer(network, new TrainingOptions { Optimizer = Optimizer.Adam, LearningRate = 0.003f, BatchSize = 100, ThreadCount = threads });
        trainer.TrainEpoch(Images);
        trainer.TrainEpoch(Images);
        double loss = new Evaluator(network).Evaluate(Images, threadCount: threads).Loss;
        float[] scores = new float[Images.Count * Classes];
        network.PredictPixels(Images.Pixels, Images.Count, scores, threads);
        return (network.Parameters.ToArray(), loss, scores);
    }

    [Fact]
    public void OneThreadAndTwoAndTwoRunsGiveTheSameBitsAndLearnAsTheDirectPath()
    {
        var one = Train(ConvolutionAlgorithm.Winograd, 1);
        var two = Train(ConvolutionAlgorithm.Winograd, 2);
        var again = Train(ConvolutionAlgorithm.Winograd, 2);
        var direct = Train(ConvolutionAlgorithm.Direct, 2);
        foreach ((string name, var run) in new[] { ("two threads", two), ("a second run", again) })
        {
            Assert.True(one.Parameters.AsSpan().SequenceEqual(run.Parameters), $"parameters, {name}");
            Assert.Equal(BitConverter.DoubleToInt64Bits(one.Loss), BitConverter.DoubleToInt64Bits(run.Loss));
            Assert.True(one.Scores.AsSpan().SequenceEqual(run.Scores), $"scores, {name}");
        }
        log.WriteLine($"loss after 2 epochs: Winograd {one.Loss:R}, Direct {direct.Loss:R} (ln 3 = {Math.Log(3):F4} untrained)");
        Assert.False(one.Parameters.AsSpan().SequenceEqual(direct.Parameters), "Winograd trained the direct path's bits: did it run?");
        Assert.True(direct.Loss < 0.5 * Math.Log(3), $"the direct run did not learn: loss {direct.Loss}");
        Assert.True(Math.Abs(one.Loss - direct.Loss) <= 0.05 * direct.Loss + 1e-3, $"Winograd loss {one.Loss}, Direct {direct.Loss}");
    }

    /// <summary>A wider net whose Winograd layers take every register tile of the AVX-512 route: 16 → 64 filters (64-filter
    /// tiles) and 64 → 40 (32 + 16, padded to 48), one epoch; the same bits on one thread and two.</summary>
    [Fact]
    public void AWideNetTrainsToTheSameBitsOnOneThreadAndTwo()
    {
        var images = SyntheticData.Images(256, seed: 4);
        (float[] Parameters, double Loss) Run(int threads)
        {
            using var scope = ComputeSettings.Override(convolution: ConvolutionAlgorithm.Winograd);
            var network = new Network([1, 28, 28],
                LayerSpec.ParseAll(["Conv2d 16 3 ReLU", "MaxPool2d 2", "Conv2d 64 3 ReLU", "Conv2d 40 3 padding=same ReLU", "MaxPool2d 2", "Dense 3 Softmax"]),
                Loss.CrossEntropy, Initializer.Default, seed: 11);
            foreach (Conv2dLayer conv in network.Stack.Layers.OfType<Conv2dLayer>().Skip(1))
                Assert.True(Conv2dWinograd.Applies(conv.Shape), $"{conv.Shape} is not on the Winograd path");
            var trainer = new Trainer(network, new TrainingOptions { Optimizer = Optimizer.Adam, LearningRate = 0.003f, BatchSize = 64, ThreadCount = threads });
            trainer.TrainEpoch(images);
            return (network.Parameters.ToArray(), new Evaluator(network).Evaluate(images, threadCount: threads).Loss);
        }
        var one = Run(1);
        var two = Run(2);
        Assert.True(one.Parameters.AsSpan().SequenceEqual(two.Parameters), "parameters, one thread against two");
        Assert.Equal(BitConverter.DoubleToInt64Bits(one.Loss), BitConverter.DoubleToInt64Bits(two.Loss));
        Assert.True(one.Loss < Math.Log(3), $"the wide net did not learn: loss {one.Loss}");
    }

    /// <summary>Chunk 0 waits until chunk 1 has started, so the worker (which claims from the back) runs chunk 1.</summary>
    private sealed class SettingsJob : ParallelJob
    {
        public readonly ConvolutionAlgorithm[] Seen = new ConvolutionAlgorithm[2];
        public readonly InstructionSet[] Sets = new InstructionSet[2];
        public readonly int[] Threads = new int[2];
        private int _started;

        public SettingsJob() : base(2) { }

        public override void RunChunk(int chunk, int thread)
        {
            Seen[chunk] = ComputeSettings.Convolution;
            Sets[chunk] = ComputeSettings.InstructionSet;
            Threads[chunk] = thread;
            if (chunk == 1) Volatile.Write(ref _started, 1);
            else SpinWait.SpinUntil(() => Volatile.Read(ref _started) == 1, TimeSpan.FromSeconds(30));
        }
    }

    [Fact]
    public void TheWorkerRunsAJobUnderThePostingThreadsSettings()
    {
        foreach (ConvolutionAlgorithm algorithm in Enum.GetValues<ConvolutionAlgorithm>())
            foreach (InstructionSet set in ComputeSettings.Supported)
            {
                using var scope = ComputeSettings.Override(set, threads: 2, convolution: algorithm);
                var job = new SettingsJob();
                Assert.True(ParallelWorker.Run(job, ParallelWorker.ShouldTry(large: true)), "the job was not offered to the worker");
                Assert.Equal(new[] { 0, 1 }, job.Threads);
                Assert.Equal(new[] { algorithm, algorithm }, job.Seen);
                Assert.Equal(new[] { set, set }, job.Sets);
            }
    }
}

/// <summary>A training step with Winograd convolutions allocates nothing once warm (alone, as the other allocation windows).</summary>
[Collection(AllocationCollection.Name)]
public class WinogradAllocationTests
{
    private static readonly MnistDataSet s_images = SyntheticData.Images(256, seed: 2);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ASteadyStateStepAllocatesNothing(int threads)
    {
        using var scope = ComputeSettings.Override(threads: threads, convolution: ConvolutionAlgorithm.Winograd);
        var network = new Network([1, 28, 28], LayerSpec.ParseAll(["Conv2d 8 3 ReLU", "MaxPool2d 2", "Conv2d 16 3 padding=same ReLU", "MaxPool2d 2", "Dense 3 Softmax"]),
            Loss.CrossEntropy, Initializer.Default, seed: 7);
        int[] order = Enumerable.Range(0, s_images.Count).ToArray();
        var options = new TrainingOptions { Optimizer = Optimizer.Adam, BatchSize = 32, LearningRate = 0.001f };
        var state = OptimizerState.Create(Optimizer.Adam, network.ParameterCount);
        var step = new TrainingStep(network, options.BatchSize);
        void Steps(int first, int count)
        {
            for (int s = first; s < first + count; s++)
            {
                step.Propagate(new TrainingStep.Batch(s_images, order, s % 8 * 32, 32, new LaneKey(true, 1, 1, state.Step, 0)));
                Assert.True(step.Update(state, Optimizers.Begin(state, options, options.EffectiveLearningRate)));
            }
        }
        Steps(0, 3);
        long allocated = AllocationTests.Allocated(() => Steps(3, 20));
        Assert.Equal(0, allocated);
    }
}
