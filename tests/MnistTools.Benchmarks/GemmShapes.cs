namespace MnistTools.Benchmarks;

/// <summary>One GEMM problem: C[m x n] = op(A)[m x k] . op(B)[k x n].</summary>
public sealed record GemmShape(string Name, int M, int N, int K, bool TransposeA, bool TransposeB)
{
    /// <summary>Floating-point operations of one multiply (a multiply-add counts 2).</summary>
    public double Flops => 2.0 * M * N * K;

    public override string ToString() => Name;

    /// <summary>The shapes the issue names: the square reference, the three products of a 784-128-10 batch-64 step,
    /// 784-800-10's first layer, and the skinny 784-20-16-10 batch-100 seed network (BenchmarkDotNet runs these).</summary>
    public static IReadOnlyList<GemmShape> Issue { get; } =
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
    ];

    /// <summary>The large products the two-core training step actually multiplies (see TrainingStep): the seed network's
    /// lanes (50 rows each), the wide first layers' forward per half of the units and their weight-gradient blocks.</summary>
    public static IReadOnlyList<GemmShape> Step { get; } =
    [
        new("Z=X.Wt 50x20x784", 50, 20, 784, false, true),
        new("dW=dZt.X 20x784x50", 20, 784, 50, true, false),
        new("Z=X.Wt 64x64x784", 64, 64, 784, false, true),
        new("dW=dZt.X 64x784x64", 64, 784, 64, true, false),
        new("Z=X.Wt 64x400x784", 64, 400, 784, false, true),
        new("dW=dZt.X 96x784x64", 96, 784, 64, true, false),
        new("dW=dZt.X 16x784x64", 16, 784, 64, true, false),
    ];

    /// <summary>Every shape (the --quick table).</summary>
    public static IReadOnlyList<GemmShape> All { get; } = [.. Issue, .. Step];
}
