using MnistTools.Errors;
using MnistTools.Layers;
using MnistTools.Training;

namespace MnistTools.Tests.Training;

/// <summary>WorkingMemory: the estimate is what the buffers allocate, and a call beyond the bound is refused before allocating.</summary>
public class WorkingMemoryTests
{
    private static Network Convolutional(int layers, int channels = 1, int size = 28)
    {
        var specs = Enumerable.Repeat(LayerSpec.Parse("Conv2d 1 1 ReLU"), layers).Append(LayerSpec.Parse("Dense 10 Softmax")).ToArray();
        return new Network(new[] { channels, size, size }, specs, Loss.CrossEntropy, seed: 1);
    }

    public static TheoryData<string, int> Cases => new()
    {
        { "Dense 20 Sigmoid, Dense 10 Softmax", 1 },
        { "Dense 20 Sigmoid, Dense 10 Softmax", 100 },
        { "Conv2d 4 3 ReLU, MaxPool2d 2, Dropout 0.5, Dense 10 Softmax", 1 },
        { "Conv2d 4 3 ReLU, MaxPool2d 2, Dropout 0.5, Dense 10 Softmax", 33 },
        { "Conv2d 8 5 stride=2 padding=same Tanh, Conv2d 6 3 ReLU, Dense 32 ReLU, Dense 10 Softmax", 128 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void TheEstimateIsWhatTheBuffersAllocate(string architecture, int rows)
    {
        var network = new Network(new[] { 1, 28, 28 }, LayerSpec.ParseAll(architecture.Split(", ")), Loss.CrossEntropy, seed: 1);
        foreach ((bool training, int lanes) in new[] { (true, 2), (false, 1), (true, 1) })
        {
            var buffers = new BatchBuffers(network.Stack, rows, training, lanes);
            long allocated = buffers.Input.Length + buffers.Labels.Length + buffers.Scores.Length + buffers.RowMax.Length + buffers.RowSum.Length
                + buffers.Outputs.Sum(b => (long)b.Length) + buffers.Saved.Sum(b => (long)b.Length) + buffers.Gradients.Sum(b => (long)b.Length)
                + buffers.Statistics.Sum(b => (long)b.Length) + buffers.Scratch.Sum(b => (long)b.Length);
            Assert.Equal(allocated, BatchBuffers.Floats(network.Stack, rows, training, lanes));
        }
    }

    [Fact]
    public void TenThousandOneByOneConvolutionsAtBatch128AreRefusedWithTheFigure()
    {
        // The repro: 27,850 parameters, but 10,000 layers of 784 values, each kept three times (output, saved, gradient) for 128 images.
        Network network = Convolutional(10_000);
        long bytes = WorkingMemory.TrainingBytes(network.Stack, 128, TrainingStep.Lanes);
        Assert.InRange(bytes, 12_000_000_000L, 12_100_000_000L);
        var e = Assert.Throws<MnistToolsException>(() => new Trainer(network, new TrainingOptions { BatchSize = 128 }));
        Assert.Equal(ErrorIds.WorkingMemoryTooLarge, e.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, e.Kind);
        Assert.Equal("BatchSize", e.Target);
        Assert.Contains(WorkingMemory.Format(bytes), e.Message);
        Assert.Contains("11.2 GiB", e.Message);
        Assert.Contains("-BatchSize ", e.Message);

        // The batch the message offers fits, one more does not.
        int fits = int.Parse(System.Text.RegularExpressions.Regex.Match(e.Message, @"-BatchSize (\d+) or less").Groups[1].Value);
        Assert.True(WorkingMemory.TrainingBytes(network.Stack, fits, TrainingStep.Lanes) <= WorkingMemory.LimitBytes);
        Assert.True(WorkingMemory.TrainingBytes(network.Stack, fits + 1, TrainingStep.Lanes) > WorkingMemory.LimitBytes);
        new Trainer(network, new TrainingOptions { BatchSize = Math.Min(fits, 4) });
    }

    [Fact]
    public void InferenceOfANetworkTooLargeForOneImageIsRefused()
    {
        // 1,100 layers of 64 filters over 128x128: 4 MiB of output per layer for a single image, 4.3 GiB in all.
        var specs = Enumerable.Repeat(LayerSpec.Parse("Conv2d 64 1 ReLU"), 1100).Append(LayerSpec.Parse("Dense 10 Softmax")).ToArray();
        var network = new Network(new[] { 64, 128, 128 }, specs, Loss.CrossEntropy, seed: 1);
        Assert.True(WorkingMemory.InferenceBytes(network.Stack, 1) > WorkingMemory.LimitBytes);
        var e = Assert.Throws<MnistToolsException>(() => new Evaluator(network));
        Assert.Equal(ErrorIds.WorkingMemoryTooLarge, e.ErrorId);
        Assert.Equal("Network", e.Target);
        e = Assert.Throws<MnistToolsException>(() => network.PredictPixels(new byte[network.InputSize], 1, new float[10]));
        Assert.Equal(ErrorIds.WorkingMemoryTooLarge, e.ErrorId);
        e = Assert.Throws<MnistToolsException>(() => network.GetLayerOutputs(new byte[network.InputSize]));
        Assert.Equal(ErrorIds.WorkingMemoryTooLarge, e.ErrorId);
    }

    [Fact]
    public void TheLimitIsAtMostFourGiBAndAtMostHalfTheAvailableMemory()
    {
        Assert.True(WorkingMemory.LimitBytes <= WorkingMemory.MaxBytes);
        Assert.True(WorkingMemory.LimitBytes <= GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2 || GC.GetGCMemoryInfo().TotalAvailableMemoryBytes <= 0);
        Assert.True(WorkingMemory.LimitBytes > 0);
    }
}
