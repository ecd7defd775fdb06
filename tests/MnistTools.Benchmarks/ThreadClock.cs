using System.Runtime.InteropServices;

namespace MnistTools.Benchmarks;

/// <summary>
/// CPU time of the calling thread (Linux clock_gettime(CLOCK_THREAD_CPUTIME_ID)). On a machine shared with other
/// processes wall time includes time the thread was descheduled; a single-threaded kernel's GFLOP per CPU-second is
/// its speed when it runs. Returns null where the call is unavailable.
/// </summary>
public static partial class ThreadClock
{
    private const int ThreadCpuTimeId = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec { public long Seconds; public long Nanoseconds; }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    public static double? Seconds()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try { return ClockGetTime(ThreadCpuTimeId, out TimeSpec t) == 0 ? t.Seconds + t.Nanoseconds * 1e-9 : null; }
        catch (DllNotFoundException) { return null; }
        catch (EntryPointNotFoundException) { return null; }
    }
}
