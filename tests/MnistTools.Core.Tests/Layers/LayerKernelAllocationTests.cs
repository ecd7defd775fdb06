using MnistTools.Layers;
using MnistTools.Numerics;
using MnistTools.Randomness;
using MnistTools.Tests.Training;

namespace MnistTools.Tests.Layers;

/// <summary>After a first call (the GEMM's per-thread packing buffers, JIT), the layer kernels allocate nothing per call.
/// Measured in a window without a garbage collection, alone (<see cref="AllocationCollection"/>): collections set off by
/// other classes' buffers made the plain counter difference fail now and then.</summary>
[Collection(AllocationCollection.Name)]
public class LayerKernelAllocationTests
{
    [SkippableTheory]
    [InlineData(InstructionSet.Avx512)]
    [InlineData(InstructionSet.Avx2)]
    [InlineData(InstructionSet.Portable)]
    public void TheKernelsAllocateNothingPerCall(InstructionSet path)
    {
        Skip.IfNot(ComputeSettings.IsSupported(path), $"This CPU does not run {path}.");
        using var scope = ComputeSettings.Override(path, threads: 1);
        const int rows = 9;
        var convolution = Conv2dShape.Create(3, 13, 13, 8, 3, 1, Padding.Same);
        var pooling = MaxPool2dShape.Create(8, 13, 13, 2, 2);
        var random = new Random(1);
        float[] x = ReferenceLayers.RandomFloats(random, rows * convolution.InputSize), w = ReferenceLayers.RandomFloats(random, convolution.WeightCount);
        float[] b = new float[8], y = new float[rows * convolution.OutputSize], dy = ReferenceLayers.RandomFloats(random, y.Length);
        float[] dw = new float[w.Length], db = new float[8], dx = new float[x.Length], scratch = new float[convolution.ScratchFloats(rows)];
        byte[] winners = new byte[rows * pooling.OutputSize];
        float[] pooled = new float[rows * pooling.OutputSize], pooledGradient = ReferenceLayers.RandomFloats(random, pooled.Length), dropped = new float[y.Length];
        var key = new CounterRandom(1, 2, 3);
        void Step()
        {
            Conv2dKernels.Conv2dForward(x, w, b, convolution, y, scratch, rows);
            MaxPool2dKernels.MaxPool2dForward(y, pooling, pooled, winners, rows);
            DropoutKernels.DropoutForward(y, key, 0.5f, 4, convolution.OutputSize, dropped, rows);
            DropoutKernels.DropoutBackward(dy, key, 0.5f, 4, convolution.OutputSize, dropped, rows);
            MaxPool2dKernels.MaxPool2dBackward(pooledGradient, y, pooled, winners, pooling, dropped, rows);
            Conv2dKernels.Conv2dBackward(dy, x, w, convolution, dw, db, dx, scratch, rows);
        }
        Step();
        Assert.Equal(0, AllocationTests.Allocated(() =>
        {
            for (int i = 0; i < 5; i++) Step();
        }));
    }
}
