using System.Management.Automation;
using MnistTools.Errors;
using MnistTools.Imaging;

namespace MnistTools.Infrastructure;

/// <summary>
/// What every Export-* picture cmdlet shares: the output path (-Path / -LiteralPath), -Force, -PassThru,
/// ShouldProcess, the graphics-library check, and the atomic write. One picture per call, so failing to write it
/// is a terminating error; an input object that cannot be drawn is a non-terminating one.
/// </summary>
public abstract class PictureExportCommand : OutputFileCommand
{
    /// <summary>Whether the picture has text (captions, axes), so a missing font deserves a warning.</summary>
    protected virtual bool DrawsText => true;

    /// <summary>The resolved output path, set in BeginProcessing.</summary>
    protected string OutputPath { get; private set; } = "";

    protected override void BeginProcessing()
    {
        try
        {
            GraphicsGuard.EnsureAvailable();
            OutputPath = ResolveTarget();
            if (RefuseExisting(OutputPath) is MnistToolsException exists) throw exists;
        }
        catch (MnistToolsException e)
        {
            ThrowTerminatingError(ErrorRecords.From(e));
        }
        if (DrawsText && !GraphicsGuard.HasFonts())
            WriteWarning("No font is installed, so labels and axis text will be missing from the picture (on Linux, install a font package such as fonts-dejavu-core).");
    }

    /// <summary>Renders (only if ShouldProcess agrees) and writes the picture atomically; terminating errors on failure.</summary>
    protected void WritePicture(Func<byte[]> render, string what)
    {
        if (!ShouldProcess(OutputPath, $"Write {what}")) return;
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            byte[] png = render();
            PngFile.WriteAtomic(OutputPath, png, overwrite: Force);
            WriteVerbose($"Wrote {what} to '{OutputPath}' ({png.Length:N0} bytes) in {clock.Elapsed.TotalMilliseconds:F0} ms.");
        }
        catch (MnistToolsException e)
        {
            ThrowTerminatingError(ErrorRecords.From(e));
        }
        catch (Exception e) when (GraphicsGuard.IsNativeFailure(e))
        {
            ThrowTerminatingError(ErrorRecords.From(GraphicsGuard.FromNativeFailure(e)));
        }
        WritePassThru(OutputPath);
    }
}
