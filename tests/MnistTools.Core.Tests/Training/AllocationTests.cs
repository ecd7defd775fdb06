using MnistTools.Layers;
using MnistTools.Numerics;
using MnistTools.Training;
using Xunit.Abstractions;

namespace MnistTools.Tests.Training;

/// <summary>
/// Workspaces are reused: a training step in steady state allocates nothing, and an evaluation after the first allocates
/// only its result. Measured with <see cref="GC.GetAllocatedBytesForCurrentThread"/>. A garbage collection during a
/// measured window adds the unused rest of the thread's allocation buffer (up to 8 KiB) to that counter without any
/// allocation, so a window in which a collection ran (<see cref="GC.GetTotalPauseDuration"/> moved) is measured again.
/// </summary>
[Collection(AllocationCollection.Name)]
public class AllocationTests(ITestOutputHelper output)
{
    /// <summary>Bytes <paramref name="work"/> allocates on this thread, from a window in which no collection ran.</summary>
    internal static long Allocated(Action work)
    {
        for (int attempt = 0; attempt < 5; attempt++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            TimeSpan pausedBefore = GC.GetTotalPauseDuration();
            long before = GC.GetAllocatedBytesForCurrentThread();
            work();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (GC.GetTotalPauseDuration() == pausedBefore) return allocated;
        }
        throw new InvalidOperationException("Every measured window had a garbage collection in it.");
    }

    public static IEnumerable<object[]> Steps() =>
        (from optimizer in Enum.GetValues<Optimizer>()
         from sizes in new[] { "16-12-3", "784-96-10-3", "784-40-10-3" }
         from threads in new[] { 1, 2 }
         select new object[] { optimizer, sizes, threads, Augmentation.None })
        .Concat(from augmentation in new[] { Augmentation.Shift, Augmentation.Affine, Augmentation.Elastic }
                from threads in new[] { 1, 2 }
                select new object[] { Optimizer.Adam, "784-40-10-3", threads, augmentation });

    /// <summary>
    /// After 3 warm-up steps, 20 steps (Propagate, Begin, Update) and a Check allocate 0 bytes on this thread: on the
    /// narrow network, on the wide one (first layer forward by units, weight gradients by blocks of units), and on one whose
    /// layers all take per-lane weight gradients at this batch size. With two threads the calling thread allocates nothing either.
    /// Distorted images (each lane's augmenter made in the warm-up) allocate nothing either.
    /// </summary>
    [Theory]
    [MemberData(nameof(Steps))]
    public void ASteadyStateStepAllocatesNothing(Optimizer optimizer, string sizes, int threads, Augmentation augmentation)
    {
        int[] layerSizes = sizes.Split('-').Select(int.Parse).ToArray();
        var network = new Network(layerSizes, Activation.ReLU, Activation.Softmax, Loss.CrossEntropy, seed: 3);
        MnistDataSet data = layerSizes[0] == 16 ? SyntheticData.Create(64 * 23, seed: 2) : SyntheticData.Images(64 * 23, seed: 2);
        int[] order = Enumerable.Range(0, data.Count).ToArray();
        var options = new TrainingOptions { Optimizer = optimizer, BatchSize = 64, LearningRate = 0.001f, L2 = 0.001f, Augmentation = augmentation };
        var state = OptimizerState.Create(optimizer, network.ParameterCount);
        using var scope = ComputeSettings.Override(threads: threads);
        var step = new TrainingStep(network, options.BatchSize, options.Augmentation);

        void Steps(int first, int count)
        {
            for (int s = first; s < first + count; s++)
            {
                step.Propagate(new TrainingStep.Batch(data, order, s * 64, 64, new LaneKey(true, 1, 1, state.Step, 0)));
                Assert.True(step.Update(state, Optimizers.Begin(state, options, options.EffectiveLearningRate)));
            }
            step.Check(new TrainingStep.Batch(data, order, 0, 64, LaneKey.Inference));
        }
        Steps(0, 3);
        long allocated = Allocated(() => Steps(3, 20));
        output.WriteLine($"{allocated} bytes over 20 steps");
        Assert.Equal(0, allocated);
    }

    /// <summary>
    /// After the first call, an evaluation allocates only its result (the confusion matrix and per-class rows: a size set by
    /// the classes, not the images): under 4 KiB for 3 classes, and no more for 20,000 images than for 1,000.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void EvaluationAfterTheFirstAllocatesASmallBoundedAmount(int threads)
    {
        var network = new Network(new[] { 16, 12, 3 }, Activation.Tanh, Activation.Softmax, Loss.CrossEntropy, seed: 3);
        MnistDataSet large = SyntheticData.Create(20_000, seed: 4), small = SyntheticData.Create(1_000, seed: 5);
        using var scope = ComputeSettings.Override(threads: threads);
        var evaluator = new Evaluator(network);
        Assert.Equal(20_000, evaluator.Evaluate(large).Total);

        long onLarge = Allocated(() => evaluator.Evaluate(large));
        long onSmall = Allocated(() => evaluator.Evaluate(small));
        output.WriteLine($"{onLarge} bytes for 20,000 images, {onSmall} for 1,000");
        Assert.InRange(onLarge, 1, 4096);
        Assert.InRange(onSmall, 1, 4096);
        Assert.True(onLarge <= onSmall, $"{onLarge} bytes for 20,000 images against {onSmall} for 1,000");
    }
}
