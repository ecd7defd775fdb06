using System.Management.Automation;
using System.Runtime.CompilerServices;
using MnistTools.Imaging;

namespace MnistTools.Commands;

/// <summary>
/// The picture cmdlets' gate to the graphics library: checks it loads before any work, and maps its failure
/// (or a missing MnistTools.Imaging / SkiaSharp assembly) to one ErrorRecord, id GraphicsLibraryUnavailable,
/// category ResourceUnavailable. Nothing outside the picture cmdlets touches MnistTools.Imaging, so a broken
/// graphics library never stops the rest of the module.
/// </summary>
internal static class GraphicsGuard
{
    public const string UnavailableErrorId = "GraphicsLibraryUnavailable";

    /// <summary>Null when the graphics library works, else the record to throw.</summary>
    public static ErrorRecord? Check()
    {
        try
        {
            CheckCore();
            return null;
        }
        catch (MnistToolsException e)
        {
            return ToRecord(e);
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException or TypeLoadException)
        {
            var exception = new MnistToolsException(UnavailableErrorId, FailureKind.InvalidResult,
                $"The picture support (MnistTools.Imaging and SkiaSharp) could not be loaded; every other MnistTools command still works. Cause: {e.Message}",
                "SkiaSharp", e);
            return ToRecord(exception);
        }
    }

    /// <summary>Whether any font is installed (call only after <see cref="Check"/> succeeded).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static bool HasFonts() => GraphicsLibrary.HasFonts;

    // Not inlined: if MnistTools.Imaging.dll or SkiaSharp.dll is missing, the JIT fails here, inside Check's try.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CheckCore() => GraphicsLibrary.EnsureAvailable();

    /// <summary>
    /// True for the exceptions a native library that loaded only in part throws later (HarfBuzz for text, say);
    /// they become the same GraphicsLibraryUnavailable record through <see cref="FromNativeFailure"/>.
    /// </summary>
    public static bool IsNativeFailure(Exception e) =>
        e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException or TypeInitializationException;

    public static ErrorRecord FromNativeFailure(Exception e) =>
        ToRecord(new MnistToolsException(UnavailableErrorId, FailureKind.InvalidResult,
            $"The graphics library failed while drawing; every other MnistTools command still works. Cause: {e.GetBaseException().Message}",
            "SkiaSharp", e));

    /// <summary>ErrorRecords.From, except that the graphics library's failure is ResourceUnavailable.</summary>
    public static ErrorRecord ToRecord(MnistToolsException exception) =>
        exception.ErrorId == UnavailableErrorId
            ? new ErrorRecord(exception, exception.ErrorId, ErrorCategory.ResourceUnavailable, exception.Target)
            : ErrorRecords.From(exception);
}
