using System.Globalization;
using BenchmarkDotNet.Running;
using MnistTools.Benchmarks;
using MnistTools.Numerics;

// ./build.ps1 bench [-BenchArgs ...]
//   (no arguments)      BenchmarkDotNet GEMM kernels, then the end-to-end table
//   --kernels [BDN args] BenchmarkDotNet only (e.g. --kernels --filter *1024*)
//   --e2e [epochs] [filter]  end-to-end only (default 5 epochs per network: the first one includes JIT compilation, the
//                       median is over the others); filter: only networks whose name contains it (e.g. conv, LeNet, Keras, 784)
//   --quick [shape] [path] [threads]  Stopwatch GFLOP/s table (seconds, no BDN)
//   --profile [epochs]  where a training step goes: the dense networks' phases (StepProfile, run with MNISTTOOLS_THREADS=1),
//                       then the convolutional networks' per-layer profile (ConvStepProfile: LeNet-5, Keras convnet, bnnet)
//   --profile-dense [epochs]  the dense part alone
//   --profile-conv [filter]  the convolutional part alone: the step on one thread and two (the waits between the cores),
//                       each layer's forward, backward-data and weight gradient with the convolutions' GFLOP/s; filter:
//                       networks whose name contains it (e.g. LeNet, Keras, bnnet, Augment)
//   --denormals         cost of subnormal velocities in a momentum update
//   --augment           each -Augment kind's CPU time per epoch of 60,000 images (one thread)
//   --conv [filter]     convolution kernels' GFLOP/s per layer shape (single thread) next to the 1024^3 GEMM; pooling and dropout times
//   --inference [runs]  Test-Network and Get-Classification (a set, 1,000 single images) of the Keras convnet on the test set;
//                       where one thread's pass goes; forward time by chunk size
//   --batchnorm [rounds] a small conv net's training step with and without BatchNorm (one thread, alternating rounds): the ratio;
//                       then each BatchNorm layer's kernels alone against the plain step
// `pwsh -File build.ps1 bench -BenchArgs a,b` (e.g. from bash or CI) passes "a,b" as one string: split it.
args = args.SelectMany(a => a.Split(',', StringSplitOptions.RemoveEmptyEntries)).ToArray();
int Index(string flag) => Array.IndexOf(args, flag);
string? After(int at, int offset) => at >= 0 && args.Length > at + offset && !args[at + offset].StartsWith("--") ? args[at + offset] : null;
int IntAfter(string flag, int fallback) => After(Index(flag), 1) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

if (Index("--e2e-one") is var one and >= 0)
{
    EndToEnd.RunOne(int.Parse(args[one + 1], CultureInfo.InvariantCulture), int.Parse(args[one + 2], CultureInfo.InvariantCulture));
    return 0;
}
if (Index("--quick") is var quick and >= 0)
{
    QuickGemm.Run(After(quick, 1), After(quick, 2) is { } p ? Enum.Parse<InstructionSet>(p, true) : null,
        After(quick, 3) is { } t ? int.Parse(t, CultureInfo.InvariantCulture) : null);
    return 0;
}
if (Index("--profile-conv") is var profileConv and >= 0) { ConvStepProfile.Run(After(profileConv, 1)); return 0; }
if (Index("--profile-dense") >= 0) { StepProfile.Run(IntAfter("--profile-dense", 2)); return 0; }
if (Index("--profile") >= 0)
{
    StepProfile.Run(IntAfter("--profile", 2));
    Console.WriteLine();
    ConvStepProfile.Run(null);
    return 0;
}
if (Index("--denormals") >= 0) { Denormals.Run(); return 0; }
if (Index("--augment") >= 0) { AugmentationBenchmarks.Run(); return 0; }
if (Index("--inference") >= 0) { InferenceBenchmark.Run(IntAfter("--inference", 9)); return 0; }
if (Index("--batchnorm") >= 0) { BatchNormBenchmark.Run(IntAfter("--batchnorm", 15)); return 0; }
if (Index("--conv") is var conv and >= 0) { ConvBenchmarks.Run(After(conv, 1)); return 0; }
if (Index("--e2e") is var e2e and >= 0) { EndToEnd.Run(IntAfter("--e2e", 5), After(e2e, 2)); return 0; }

string[] bdnArgs = args.Where(a => a != "--kernels").ToArray();
var summaries = BenchmarkSwitcher.FromAssembly(typeof(GemmBenchmarks).Assembly)
    .Run(bdnArgs.Length == 0 ? ["--filter", "*"] : bdnArgs);
if (Index("--kernels") < 0 && args.Length == 0)
{
    Console.WriteLine();
    EndToEnd.Run(5);
    Console.WriteLine();
    AugmentationBenchmarks.Run();
}
return summaries.Any(s => s.HasCriticalValidationErrors) ? 1 : 0;
