using MnistTools.Layers;
using MnistTools.Numerics;
using MnistTools.Training;
using Xunit.Abstractions;

namespace MnistTools.Tests.Training;

/// <summary>A steady-state training step of networks with <see cref="MnistTools.Layers.BatchNormLayer"/> allocates nothing;
/// measured alone (<see cref="AllocationCollection"/>), as every allocation window is.</summary>
[Collection(AllocationCollection.Name)]
public class BatchNormAllocationTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1, "conv")]
    [InlineData(2, "conv")]
    [InlineData(2, "pooled")]
    public void ASteadyStateStepAllocatesNothing(int threads, string kind)
    {
        Network network = kind == "conv" ? BatchNormTrainingTests.ConvNet() : BatchNormTrainingTests.PooledNet();
        MnistDataSet data = SyntheticData.Images(32 * 8, seed: 2);
        int[] order = Enumerable.Range(0, data.Count).ToArray();
        var options = new TrainingOptions { Optimizer = Optimizer.Adam, BatchSize = 32, LearningRate = 0.001f };
        var state = OptimizerState.Create(Optimizer.Adam, network.ParameterCount);
        using var scope = ComputeSettings.Override(threads: threads);
        var step = new TrainingStep(network, options.BatchSize);
        void Steps(int first, int count)
        {
            for (int s = first; s < first + count; s++)
            {
                step.Propagate(new TrainingStep.Batch(data, order, s % 8 * 32, 32, new LaneKey(true, 1, 1, state.Step, 0)));
                Assert.True(step.Update(state, Optimizers.Begin(state, options, options.EffectiveLearningRate)));
            }
            step.Check(new TrainingStep.Batch(data, order, 0, 32, new LaneKey(true, 1, 1, 0, 0)));
        }
        Steps(0, 3);
        long allocated = AllocationTests.Allocated(() => Steps(3, 20));
        output.WriteLine($"{allocated} bytes over 20 steps");
        Assert.Equal(0, allocated);
    }
}
