namespace MnistTools.Benchmarks;

/// <summary>One GEMM problem: C[m x n] = op(A)[m x k] . op(B)[k x n].</summary>
public sealed record GemmShape(string Name, int M, int N, int K, bool TransposeA, bool TransposeB)
{
    /// <summary>Floating-point operations of one multiply (a multiply-add counts 2).</summary>
    public double Flops => 2.0 * M * N * K;

    public override string ToString() => Name;

    /// <summary>The shapes the issue names: the square reference, the three products of a 784-128-10 batch-64 step,
    /// 784-800-10's first layer, and the skinny 784-20-16-10 batch-100 seed network.</summary>
    public static IReadOnlyList<GemmShape> All { get; } =
    [
        new("1024^3", 1024, 1024, 1024, false, false),
        new("Z=X.Wt 64x128x784", 64, 128, 784, false, true),
        new("dW=dZt.X 128x784x64", 128, 784, 64, true, false),
        new("dX=dZ.W 64x784x128", 64, 784, 128, false, false),
        new("Z=X.Wt 64x800x784", 64, 800, 784, false, true),
        new("dW=dZt.X 800x784x64", 800, 784, 64, true, false),
        new("Z=X.Wt 100x20x784", 100, 20, 784, false, true),
        new("dW=dZt.X 20x784x100", 20, 784, 100, true, false),
        new("Z=X.Wt 100x16x20", 100, 16, 20, false, true),
        new("Z=X.Wt 100x10x16", 100, 10, 16, false, true),
        // Half batches: each of the two training lanes multiplies its half of the rows.
        new("Z=X.Wt 32x128x784", 32, 128, 784, false, true),
        new("dW=dZt.X 128x784x32", 128, 784, 32, true, false),
        new("Z=X.Wt 32x800x784", 32, 800, 784, false, true),
        new("dW=dZt.X 800x784x32", 800, 784, 32, true, false),
        new("Z=X.Wt 50x20x784", 50, 20, 784, false, true),
        new("dW=dZt.X 20x784x50", 20, 784, 50, true, false),
        // The update pass: weight-gradient blocks of a few output units over the whole batch; a wide first layer's forward per half.
        new("dW=dZt.X 32x784x64", 32, 784, 64, true, false),
        new("dW=dZt.X 96x784x64", 96, 784, 64, true, false),
        new("Z=X.Wt 64x400x784", 64, 400, 784, false, true),
    ];
}
