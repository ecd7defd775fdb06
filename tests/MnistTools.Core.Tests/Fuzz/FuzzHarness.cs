using CsCheck;
using MnistTools.Errors;

namespace MnistTools.Tests.Fuzz;

/// <summary>
/// Runs one fuzz case under three rules: the call either returns (the caller then checks the result)
/// or throws <see cref="MnistToolsException"/>; it finishes within <see cref="CaseTimeout"/>; and the managed bytes it
/// allocates (GC.GetAllocatedBytesForCurrentThread on the thread that runs it) stay under the caller's bound.
/// </summary>
internal static class FuzzHarness
{
    /// <summary>Generous for a few-KB input (a case takes well under a millisecond); a hang is what it catches.</summary>
    public static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Fixed allowance for buffers that do not scale with the input (file and gzip buffers, the 1 MiB first chunk of an untrusted gzip read).</summary>
    public const long FixedAllowance = 2L << 20;

    /// <summary>
    /// Cases to run: MNISTTOOLS_FUZZ_SECONDS (a long run, see ./build.ps1 fuzz) turns the count into a time budget;
    /// otherwise <paramref name="ciCases"/>.
    /// </summary>
    public static (long Cases, TimeSpan Budget) Budget(long ciCases)
    {
        string? seconds = Environment.GetEnvironmentVariable("MNISTTOOLS_FUZZ_SECONDS");
        return int.TryParse(seconds, out int s) && s > 0 ? (long.MaxValue, TimeSpan.FromSeconds(s)) : (ciCases, TimeSpan.MaxValue);
    }

    /// <summary>The PCG seed: fixed for CI (reproducible), MNISTTOOLS_FUZZ_SEED for long runs that explore elsewhere.</summary>
    public static ulong Seed(ulong ciSeed) =>
        ulong.TryParse(Environment.GetEnvironmentVariable("MNISTTOOLS_FUZZ_SEED"), out ulong s) ? s : ciSeed;

    public sealed class Tally
    {
        private readonly SortedDictionary<string, long> _outcomes = new(StringComparer.Ordinal);

        public long Cases { get; private set; }

        public long MaxAllocated { get; private set; }

        public void Add(string outcome, long allocated)
        {
            Cases++;
            _outcomes[outcome] = _outcomes.GetValueOrDefault(outcome) + 1;
            MaxAllocated = Math.Max(MaxAllocated, allocated);
        }

        public long Count(string outcome) => _outcomes.GetValueOrDefault(outcome);

        public override string ToString() =>
            $"{Cases} cases, max allocated {MaxAllocated / 1024} KiB: " + string.Join(", ", _outcomes.Select(p => $"{p.Key} {p.Value}"));
    }

    /// <summary>
    /// Generates inputs from <paramref name="gen"/> with a seeded PCG and runs <paramref name="body"/> on each;
    /// body returns (outcome name, allocation bound, the call to measure). Failures name the case number and seed.
    /// </summary>
    public static Tally Drive<T>(string name, Gen<T> gen, ulong seed, long ciCases, Func<T, (long Bound, Func<string> Call)> body,
        Func<T, string> describe, Action<string>? log = null)
    {
        var (cases, budget) = Budget(ciCases);
        var pcg = new PCG(0x5EED, Seed(seed));
        var tally = new Tally();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (long i = 0; i < cases && clock.Elapsed < budget; i++)
        {
            T input = gen.Generate(pcg, null, out _);
            var (bound, call) = body(input);
            string outcome;
            long allocated;
            try
            {
                (outcome, allocated) = RunOne(call);
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"{name}: case {i} (seed {Seed(seed)}) [{describe(input)}]: {e.Message}", e);
            }
            if (allocated > bound)
                throw new Xunit.Sdk.XunitException($"{name}: case {i} (seed {Seed(seed)}) [{describe(input)}] allocated {allocated} bytes, over its bound of {bound}.");
            tally.Add(outcome, allocated);
            if (log is not null && budget != TimeSpan.MaxValue && i % 100_000 == 0 && i > 0) log($"{name}: {tally}");
        }
        log?.Invoke($"{name}: {tally} in {clock.Elapsed.TotalSeconds:0.0} s");
        return tally;
    }

    /// <summary>Runs <paramref name="call"/> on its own thread; returns its outcome ("Loaded" or the error id) and allocated bytes.</summary>
    private static (string Outcome, long Allocated) RunOne(Func<string> call)
    {
        string? outcome = null;
        Exception? escaped = null;
        long allocated = 0;
        var thread = new Thread(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                outcome = call();
            }
            catch (MnistToolsException e)
            {
                outcome = e.ErrorId;
            }
            catch (Exception e)
            {
                escaped = e;
            }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }, maxStackSize: 1 << 20) { IsBackground = true };
        thread.Start();
        if (!thread.Join(CaseTimeout))
            throw new TimeoutException($"did not finish within {CaseTimeout.TotalSeconds} s (hang).");
        if (escaped is not null)
            throw new InvalidOperationException($"{escaped.GetType().Name} escaped instead of MnistToolsException: {escaped.Message}", escaped);
        return (outcome!, allocated);
    }
}
