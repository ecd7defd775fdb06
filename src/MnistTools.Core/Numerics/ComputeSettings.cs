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

/// <summary>How the 3x3 stride-1 convolutions over several channels are computed.</summary>
public enum ConvolutionAlgorithm
{
    /// <summary>Every output one multiply-add chain over its patch (im2col + GEMM, or the direct and implicit kernels).</summary>
    Direct,
    /// <summary>Winograd F(2x2, 3x3) for 3x3 stride-1 convolutions of 8 or more input channels: 16 products per 2x2 output
    /// tile instead of 36, at float rounding a little above the direct sums' (the forward pass and the weight gradient, and
    /// on AVX-512 the input gradient; other convolutions stay direct).</summary>
    Winograd,
}

/// <summary>
/// How MnistTools computes: which <see cref="InstructionSet"/> the kernels use, which <see cref="ConvolutionAlgorithm"/>
/// the convolutions use, and how many threads all parallel work uses (the GEMM, the training step and evaluation, through
/// <see cref="ParallelWorker"/>). Defaults: the widest instruction set the CPU accelerates, the convolution algorithm of
/// <see cref="DefaultConvolution"/> for the instruction set in use, and up to two threads. Environment overrides, read once: MNISTTOOLS_THREADS=1|2, MNISTTOOLS_INSTRUCTION_SET=Avx512|Avx2|Portable
/// (MNISTTOOLS_GEMM_THREADS and MNISTTOOLS_GEMM_PATH are read as aliases) and MNISTTOOLS_CONVOLUTION=Direct|Winograd; an
/// instruction set the CPU lacks in the environment is ignored. Tests and benchmarks override per calling thread with
/// <see cref="Override"/>, which refuses an instruction set the CPU lacks, so a test never passes on a path it did not
/// run. A parallel job runs its chunks on the worker under the overrides of the thread that posted it.
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

    private static readonly ConvolutionAlgorithm? s_environmentConvolution =
        ReadConvolution(Environment.GetEnvironmentVariable("MNISTTOOLS_CONVOLUTION"));

    [ThreadStatic] private static InstructionSet? t_set;
    [ThreadStatic] private static int? t_threads;
    [ThreadStatic] private static ConvolutionAlgorithm? t_convolution;

    /// <summary>The instruction set kernels called on this thread use.</summary>
    public static InstructionSet InstructionSet => t_set ?? s_environmentSet ?? BestSupported;

    /// <summary>The convolution algorithm kernels called on this thread use: the thread's override, else
    /// MNISTTOOLS_CONVOLUTION, else <see cref="DefaultConvolution"/> of the thread's <see cref="InstructionSet"/>.</summary>
    public static ConvolutionAlgorithm Convolution => t_convolution ?? s_environmentConvolution ?? DefaultConvolution(InstructionSet);

    /// <summary>The convolution algorithm used when nothing overrides it: Winograd on AVX-512, whose register tiles
    /// measured faster than the direct kernels on every 3x3 layer of the Keras net and the bnnet; Direct on the other
    /// instruction sets, where Winograd takes the packed GEMM and measured no faster.</summary>
    public static ConvolutionAlgorithm DefaultConvolution(InstructionSet set) =>
        set == InstructionSet.Avx512 ? ConvolutionAlgorithm.Winograd : ConvolutionAlgorithm.Direct;

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

    /// <summary>Forces the instruction set, thread count and/or convolution algorithm for calls made on the current thread
    /// until the scope is disposed.</summary>
    /// <exception cref="PlatformNotSupportedException">The CPU lacks <paramref name="set"/>.</exception>
    public static Scope Override(InstructionSet? set = null, int? threads = null, ConvolutionAlgorithm? convolution = null)
    {
        if (threads is not null and not (1 or 2)) throw new ArgumentOutOfRangeException(nameof(threads), "Thread count must be 1 or 2.");
        if (set is { } wanted && !IsSupported(wanted))
            throw new PlatformNotSupportedException($"This CPU does not run the {wanted} instruction set.");
        if (convolution is { } algorithm && !Enum.IsDefined(algorithm))
            throw new ArgumentOutOfRangeException(nameof(convolution), $"Unknown convolution algorithm {algorithm}.");
        var scope = new Scope(t_set, t_threads, t_convolution);
        if (set is not null) t_set = set;
        if (threads is not null) t_threads = threads;
        if (convolution is not null) t_convolution = convolution;
        return scope;
    }

    /// <summary>The calling thread's overrides that decide what a kernel computes (not the thread count), for
    /// <see cref="ParallelWorker"/> to run a job's chunks on its thread as the posting thread would.</summary>
    internal static Kernels Capture() => new(t_set, t_convolution);

    /// <summary>Makes <paramref name="kernels"/> the current thread's overrides (the worker's, before each job).</summary>
    internal static void Adopt(Kernels kernels)
    {
        t_set = kernels.Set;
        t_convolution = kernels.Convolution;
    }

    /// <summary>A thread's kernel overrides (null: the environment's or the default).</summary>
    internal readonly record struct Kernels(InstructionSet? Set, ConvolutionAlgorithm? Convolution);

    /// <summary>Restores the previous overrides when disposed.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly InstructionSet? _set;
        private readonly int? _threads;
        private readonly ConvolutionAlgorithm? _convolution;
        internal Scope(InstructionSet? set, int? threads, ConvolutionAlgorithm? convolution) { _set = set; _threads = threads; _convolution = convolution; }
        /// <summary>Restores the overrides that were active before this scope.</summary>
        public void Dispose() { t_set = _set; t_threads = _threads; t_convolution = _convolution; }
    }

    private static InstructionSet? ReadSet(string? value) =>
        Enum.TryParse(value, ignoreCase: true, out InstructionSet set) && Enum.IsDefined(set) && IsSupported(set) ? set : null;

    private static ConvolutionAlgorithm? ReadConvolution(string? value) =>
        Enum.TryParse(value, ignoreCase: true, out ConvolutionAlgorithm algorithm) && Enum.IsDefined(algorithm) ? algorithm : null;

    private static int? ReadThreads(string? value) =>
        int.TryParse(value, out int threads) && threads is 1 or 2 ? threads : null;
}
