using System.Runtime.Intrinsics.X86;
using System.Runtime.Intrinsics;
using MnistTools.Errors;

namespace MnistTools.Numerics;

/// <summary>The SIMD instruction sets the kernels (GEMM, pixel scaling) are written for.</summary>
public enum InstructionSet
{
    /// <summary>System.Numerics.Vector&lt;float&gt; (any hardware; scalar when no SIMD).</summary>
    Portable,
    /// <summary>Vector256 with FMA3 (x64 with AVX2 and FMA).</summary>
    Avx2,
    /// <summary>Vector512 with AVX-512F fused multiply-add.</summary>
    Avx512,
}

/// <summary>
/// How MnistTools computes: which <see cref="InstructionSet"/> the kernels use, and how many threads all parallel work
/// uses (the GEMM, the training step and evaluation, through <see cref="ParallelWorker"/>). Defaults: the widest
/// instruction set the CPU accelerates and up to two threads. Environment overrides, read once:
/// MNISTTOOLS_THREADS=1|2 and MNISTTOOLS_INSTRUCTION_SET=Avx512|Avx2|Portable (MNISTTOOLS_GEMM_THREADS and
/// MNISTTOOLS_GEMM_PATH are read as aliases); an instruction set the CPU lacks in the environment is ignored.
/// Tests and benchmarks override per calling thread with <see cref="Override"/>, which refuses an instruction set the
/// CPU lacks, so a test never passes on a path it did not run.
/// </summary>
public static class ComputeSettings
{
    /// <summary>The most threads parallel work uses: the caller and <see cref="ParallelWorker"/>'s one background thread.</summary>
    public const int MaxThreads = 2;

    /// <summary>Checks a caller's thread count (null: the default, decided by problem size and MNISTTOOLS_THREADS).</summary>
    /// <exception cref="MnistToolsException">ThreadCountOutOfRange (InvalidArgument).</exception>
    public static void CheckThreadCount(int? threads)
    {
        if (threads is < 1 or > MaxThreads)
            throw new MnistToolsException(ErrorIds.ThreadCountOutOfRange, FailureKind.InvalidArgument,
                $"ThreadCount must be in 1..{MaxThreads}; got {threads}.", "ThreadCount");
    }

    /// <summary>The widest instruction set this CPU runs.</summary>
    public static InstructionSet BestSupported { get; } =
        Avx512F.IsSupported && Vector512.IsHardwareAccelerated ? InstructionSet.Avx512
        : Avx2.IsSupported && Fma.IsSupported ? InstructionSet.Avx2
        : InstructionSet.Portable;

    private static readonly InstructionSet? s_environmentSet =
        ReadSet(Environment.GetEnvironmentVariable("MNISTTOOLS_INSTRUCTION_SET") ?? Environment.GetEnvironmentVariable("MNISTTOOLS_GEMM_PATH"));
    private static readonly int? s_environmentThreads =
        ReadThreads(Environment.GetEnvironmentVariable("MNISTTOOLS_THREADS") ?? Environment.GetEnvironmentVariable("MNISTTOOLS_GEMM_THREADS"));

    [ThreadStatic] private static InstructionSet? t_set;
    [ThreadStatic] private static int? t_threads;

    /// <summary>The instruction set kernels called on this thread use.</summary>
    public static InstructionSet InstructionSet => t_set ?? s_environmentSet ?? BestSupported;

    /// <summary>Forced thread count (1 or 2) for parallel work started on this thread, or null to decide by problem size.</summary>
    public static int? ForcedThreads => t_threads ?? s_environmentThreads;

    /// <summary>Whether <paramref name="set"/> runs on this CPU.</summary>
    public static bool IsSupported(InstructionSet set) => set switch
    {
        InstructionSet.Avx512 => BestSupported == InstructionSet.Avx512,
        InstructionSet.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        _ => true,
    };

    /// <summary>The instruction sets this CPU runs, narrowest first.</summary>
    public static IReadOnlyList<InstructionSet> Supported { get; } =
        Enum.GetValues<InstructionSet>().Where(IsSupported).ToArray();

    /// <summary>Forces the instruction set and/or thread count for calls made on the current thread until the scope is disposed.</summary>
    /// <exception cref="PlatformNotSupportedException">The CPU lacks <paramref name="set"/>.</exception>
    public static Scope Override(InstructionSet? set = null, int? threads = null)
    {
        if (threads is not null and not (1 or 2)) throw new ArgumentOutOfRangeException(nameof(threads), "Thread count must be 1 or 2.");
        if (set is { } wanted && !IsSupported(wanted))
            throw new PlatformNotSupportedException($"This CPU does not run the {wanted} instruction set.");
        var scope = new Scope(t_set, t_threads);
        if (set is not null) t_set = set;
        if (threads is not null) t_threads = threads;
        return scope;
    }

    /// <summary>Restores the previous overrides when disposed.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly InstructionSet? _set;
        private readonly int? _threads;
        internal Scope(InstructionSet? set, int? threads) { _set = set; _threads = threads; }
        /// <summary>Restores the overrides that were active before this scope.</summary>
        public void Dispose() { t_set = _set; t_threads = _threads; }
    }

    private static InstructionSet? ReadSet(string? value) =>
        Enum.TryParse(value, ignoreCase: true, out InstructionSet set) && Enum.IsDefined(set) && IsSupported(set) ? set : null;

    private static int? ReadThreads(string? value) =>
        int.TryParse(value, out int threads) && threads is 1 or 2 ? threads : null;
}
