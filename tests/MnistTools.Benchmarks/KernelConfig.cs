using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace MnistTools.Benchmarks;

/// <summary>
/// A short in-process job (the whole kernel suite runs in a couple of minutes on 2 vCPUs) with a GFLOP/s column and
/// the memory diagnoser (allocated bytes per multiply, expected 0).
/// </summary>
public sealed class KernelConfig : ManualConfig
{
    public KernelConfig()
    {
        AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance)
            .WithWarmupCount(3).WithIterationCount(7).WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(150))
            .WithId("short"));
        AddColumn(new GflopsColumn());
        AddDiagnoser(MemoryDiagnoser.Default);
        HideColumns(Column.Error, Column.StdDev, Column.Job);
        WithOption(ConfigOptions.JoinSummary, true);
    }
}

/// <summary>2·m·n·k / median time, from the benchmark's Shape parameter.</summary>
public sealed class GflopsColumn : IColumn
{
    public string Id => nameof(GflopsColumn);
    public string ColumnName => "GFLOP/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "2*m*n*k / median time, in 10^9 floating-point operations per second";
    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        var shape = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == nameof(GemmBenchmarks.Shape))?.Value as GemmShape;
        if (report?.ResultStatistics is not { } statistics || shape is null) return "-";
        return (shape.Flops / statistics.Median).ToString("F1"); // flops per ns = GFLOP/s
    }
}
