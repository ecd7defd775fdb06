using System.Runtime.CompilerServices;
using MnistTools.Errors;
using MnistTools.Imaging;

namespace MnistTools.Infrastructure;

/// <summary>
/// The gate to the graphics library (MnistTools.Imaging, SkiaSharp and its native parts) for the commands that read or
/// draw pictures: the Export-* picture cmdlets, ConvertTo-MnistImage, and Get-Classification for picture files. They
/// call <see cref="EnsureAvailable"/> before their first use of it, and every failure to load it, or a missing
/// assembly, becomes one <see cref="MnistToolsException"/>: id GraphicsLibraryUnavailable, kind Unavailable. No other
/// path reaches the graphics library, so a broken one stops only those commands (tests/pester/GraphicsLibrary.Tests.ps1
/// removes it and runs the rest).
/// </summary>
internal static class GraphicsGuard
{
    // A constant: compiled into this assembly, so reading it does not load MnistTools.Imaging.
    /// <summary>Returns when the graphics library works.</summary>
    /// <exception cref="MnistToolsException">GraphicsLibraryUnavailable (Unavailable, target "SkiaSharp").</exception>
    public static void EnsureAvailable()
    {
        try
        {
            CheckCore();
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException or TypeLoadException)
        {
            throw new MnistToolsException(ErrorIds.GraphicsLibraryUnavailable, FailureKind.Unavailable,
                $"The picture support (MnistTools.Imaging and SkiaSharp) could not be loaded; every other MnistTools command still works. Cause: {e.Message}",
                "SkiaSharp", e);
        }
    }

    /// <summary>Whether any font is installed (call only after <see cref="EnsureAvailable"/> succeeded).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static bool HasFonts() => GraphicsLibrary.HasFonts;

    // Not inlined: if MnistTools.Imaging.dll or SkiaSharp.dll is missing, the JIT fails here, inside EnsureAvailable's try.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CheckCore() => GraphicsLibrary.EnsureAvailable();

    /// <summary>
    /// True for the exceptions a native library that loaded only in part throws later (HarfBuzz for text, say);
    /// <see cref="FromNativeFailure"/> turns them into the same GraphicsLibraryUnavailable failure.
    /// </summary>
    public static bool IsNativeFailure(Exception e) =>
        e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException or TypeInitializationException;

    /// <summary>The GraphicsLibraryUnavailable failure (Unavailable) for a native failure met while drawing.</summary>
    public static MnistToolsException FromNativeFailure(Exception e) =>
        new(ErrorIds.GraphicsLibraryUnavailable, FailureKind.Unavailable,
            $"The graphics library failed while drawing; every other MnistTools command still works. Cause: {e.GetBaseException().Message}",
            "SkiaSharp", e);
}
