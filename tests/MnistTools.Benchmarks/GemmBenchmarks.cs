using BenchmarkDotNet.Attributes;
using MnistTools.Numerics;

namespace MnistTools.Benchmarks;

/// <summary>
/// BenchmarkDotNet: one multiply per invocation for every shape x supported path x thread count.
/// The GFLOP/s column is 2·m·n·k / median time (see <see cref="GflopsColumn"/>).
/// </summary>
[Config(typeof(KernelConfig))]
public class GemmBenchmarks
{
    private GemmData _data = null!;
    private ComputeSettings.Scope _scope;

    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; } = null!;

    [ParamsSource(nameof(Paths))]
    public InstructionSet Path { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    public static IEnumerable<GemmShape> Shapes => GemmShape.Issue;

    public static IEnumerable<InstructionSet> Paths => Enum.GetValues<InstructionSet>().Reverse().Where(ComputeSettings.IsSupported);

    [GlobalSetup]
    public void Setup()
    {
        _data = new GemmData(Shape);
        // The override is per thread; BenchmarkDotNet runs setup and the benchmark on the same thread.
        _scope = ComputeSettings.Override(Path, Threads);
        _data.Run();
    }

    [GlobalCleanup]
    public void Cleanup() => _scope.Dispose();

    [Benchmark]
    public void Multiply() => _data.Run();
}
