using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MnistTools.Numerics;

/// <summary>The instruction-set paths of <see cref="Gemm"/>.</summary>
public enum GemmPath
{
    /// <summary>System.Numerics.Vector&lt;float&gt; (any hardware; scalar when no SIMD).</summary>
    Portable,
    /// <summary>Vector256 with FMA3 (x64 with AVX2 and FMA).</summary>
    Avx2,
    /// <summary>Vector512 with AVX-512F fused multiply-add.</summary>
    Avx512,
}

/// <summary>
/// Which path <see cref="Gemm"/> uses, and how many threads all of MnistTools' parallel work uses (the GEMM, the
/// training step and evaluation, through <see cref="ParallelWorker"/>). Defaults: the widest path the CPU accelerates and up to
/// two threads. Environment overrides, read once: MNISTTOOLS_GEMM_PATH=Avx512|Avx2|Portable and
/// MNISTTOOLS_GEMM_THREADS=1|2. Tests and benchmarks override per calling thread with <see cref="Override"/>.
/// A path the CPU lacks is never used: forcing it falls back to the best supported one.
/// </summary>
public static class GemmSettings
{
    /// <summary>The widest path this CPU runs.</summary>
    public static GemmPath BestSupportedPath { get; } =
        Avx512F.IsSupported && Vector512.IsHardwareAccelerated ? GemmPath.Avx512
        : Avx2.IsSupported && Fma.IsSupported ? GemmPath.Avx2
        : GemmPath.Portable;

    private static readonly GemmPath? s_environmentPath = ReadPath(Environment.GetEnvironmentVariable("MNISTTOOLS_GEMM_PATH"));
    private static readonly int? s_environmentThreads = ReadThreads(Environment.GetEnvironmentVariable("MNISTTOOLS_GEMM_THREADS"));

    [ThreadStatic] private static GemmPath? t_path;
    [ThreadStatic] private static int? t_threads;

    /// <summary>The path calls on this thread use.</summary>
    public static GemmPath Path => Supported(t_path ?? s_environmentPath ?? BestSupportedPath);

    /// <summary>Forced thread count (1 or 2) for parallel work started on this thread, or null to decide by problem size.</summary>
    public static int? ForcedThreads => t_threads ?? s_environmentThreads;

    /// <summary>Whether <paramref name="path"/> runs on this CPU.</summary>
    public static bool IsSupported(GemmPath path) => path switch
    {
        GemmPath.Avx512 => BestSupportedPath == GemmPath.Avx512,
        GemmPath.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        _ => true,
    };

    /// <summary>Forces path and/or thread count for calls made on the current thread until the scope is disposed.</summary>
    public static Scope Override(GemmPath? path = null, int? threads = null)
    {
        if (threads is not null and not (1 or 2)) throw new ArgumentOutOfRangeException(nameof(threads), "Thread count must be 1 or 2.");
        var scope = new Scope(t_path, t_threads);
        if (path is not null) t_path = path;
        if (threads is not null) t_threads = threads;
        return scope;
    }

    /// <summary>Restores the previous overrides when disposed.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly GemmPath? _path;
        private readonly int? _threads;
        internal Scope(GemmPath? path, int? threads) { _path = path; _threads = threads; }
        /// <summary>Restores the overrides that were active before this scope.</summary>
        public void Dispose() { t_path = _path; t_threads = _threads; }
    }

    private static GemmPath Supported(GemmPath path) => IsSupported(path) ? path : BestSupportedPath;

    private static GemmPath? ReadPath(string? value) =>
        Enum.TryParse(value, ignoreCase: true, out GemmPath path) && Enum.IsDefined(path) ? path : null;

    private static int? ReadThreads(string? value) =>
        int.TryParse(value, out int threads) && threads is 1 or 2 ? threads : null;
}
