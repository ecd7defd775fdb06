using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MnistTools.Errors;
using SkiaSharp;

namespace MnistTools.Imaging;

/// <summary>
/// Makes the native Skia and HarfBuzz libraries load from the folder this assembly lives in, and turns a
/// failure to load them into one clear <see cref="MnistToolsException"/> (id <see cref="ErrorIds.GraphicsLibraryUnavailable"/>).
/// </summary>
/// <remarks>
/// A PowerShell module is not an application: pwsh's deps.json knows nothing of it, so the runtime never
/// looks in the module's runtimes/&lt;rid&gt;/native/ folders. A DllImport resolver on the SkiaSharp and
/// HarfBuzzSharp assemblies looks there first; when it finds nothing the default probing still runs, which
/// is what an ordinary .NET application (or the test host, whose deps.json lists the natives) relies on.
/// Every entry point of this assembly that touches SkiaSharp calls <see cref="EnsureAvailable"/> first.
/// </remarks>
public static class GraphicsLibrary
{
    private static readonly string[] NativeNames = { "libSkiaSharp", "libHarfBuzzSharp" };
    private static readonly Lazy<Exception?> LoadFailure = new(Probe, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// True when the system has at least one font for captions and chart text. Skia's Linux build without
    /// dependencies reads fonts from the usual folders (/usr/share/fonts...); without any, pictures are still
    /// drawn but their text is missing.
    /// </summary>
    public static bool HasFonts
    {
        get
        {
            EnsureAvailable();
            return SKFontManager.Default.FontFamilyCount > 0;
        }
    }

    /// <summary>The folder searched for runtimes/&lt;rid&gt;/native (the folder holding this assembly).</summary>
    public static string? BaseDirectory => Path.GetDirectoryName(typeof(GraphicsLibrary).Assembly.Location);

    /// <summary>Throws <see cref="MnistToolsException"/> (<see cref="ErrorIds.GraphicsLibraryUnavailable"/>, Unavailable) unless the graphics library works.</summary>
    public static void EnsureAvailable()
    {
        if (LoadFailure.Value is Exception failure)
            throw new MnistToolsException(ErrorIds.GraphicsLibraryUnavailable, FailureKind.Unavailable,
                $"The graphics library (SkiaSharp and its native libSkiaSharp for {RuntimeInformation.RuntimeIdentifier}) could not be loaded, " +
                $"so pictures cannot be read or written; every other MnistTools command still works. " +
                $"Looked in '{Path.Combine(BaseDirectory ?? ".", "runtimes")}'. Cause: {failure.GetBaseException().Message}",
                "SkiaSharp", failure);
    }

    private static Exception? Probe()
    {
        try
        {
            InstallResolvers();
            DrawOnePixel();
            return null;
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or BadImageFormatException
                                  or EntryPointNotFoundException or FileNotFoundException or FileLoadException
                                  or MarshalDirectiveException or InvalidOperationException)
        {
            return e;
        }
    }

    // Separate methods, not inlined: a missing managed SkiaSharp.dll then fails here, inside the try.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void InstallResolvers()
    {
        foreach (Assembly assembly in new[] { typeof(SKBitmap).Assembly, typeof(HarfBuzzSharp.Blob).Assembly })
        {
            try { NativeLibrary.SetDllImportResolver(assembly, Resolve); }
            catch (InvalidOperationException) { /* a host already installed one: leave its choice alone */ }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void DrawOnePixel()
    {
        using var bitmap = new SKBitmap(new SKImageInfo(1, 1, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        if (bitmap.GetPixel(0, 0) != SKColors.White)
            throw new InvalidOperationException("libSkiaSharp loaded but does not draw.");
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        string? name = NativeNames.FirstOrDefault(n => libraryName.StartsWith(n, StringComparison.Ordinal));
        string? baseDirectory = BaseDirectory;
        if (name is null || baseDirectory is null) return IntPtr.Zero;
        string fileName = name + (OperatingSystem.IsWindows() ? ".dll" : OperatingSystem.IsMacOS() ? ".dylib" : ".so");
        foreach (string rid in CandidateRuntimeIds())
        {
            string candidate = Path.Combine(baseDirectory, "runtimes", rid, "native", fileName);
            if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out IntPtr handle)) return handle;
        }
        return IntPtr.Zero; // default probing (deps.json, the assembly's folder, the system)
    }

    /// <summary>Runtime ids to try, most specific first, in the folder names the SkiaSharp packages use.</summary>
    internal static IEnumerable<string> CandidateRuntimeIds()
    {
        string arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        if (OperatingSystem.IsWindows()) return new[] { $"win-{arch}" };
        if (OperatingSystem.IsMacOS()) return new[] { "osx", $"osx-{arch}" };
        bool musl = RuntimeInformation.RuntimeIdentifier.Contains("musl", StringComparison.OrdinalIgnoreCase);
        return musl ? new[] { $"linux-musl-{arch}" } : new[] { $"linux-{arch}" };
    }
}
