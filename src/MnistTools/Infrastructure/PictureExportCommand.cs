using System.Management.Automation;
using MnistTools.Imaging;

namespace MnistTools.Commands;

/// <summary>
/// What every Export-* picture cmdlet shares: the output path (-Path / -LiteralPath), -Force, -PassThru,
/// ShouldProcess, the graphics-library check, and the atomic write.
/// </summary>
public abstract class PictureExportCommand : OutputFileCommand
{
    /// <summary>Whether the picture has text (captions, axes), so a missing font deserves a warning.</summary>
    protected virtual bool DrawsText => true;

    /// <summary>The resolved output path, set in BeginProcessing.</summary>
    protected string OutputPath { get; private set; } = "";

    protected override void BeginProcessing()
    {
        if (GraphicsGuard.Check() is ErrorRecord unavailable) ThrowTerminatingError(unavailable);
        if (DrawsText && !GraphicsGuard.HasFonts())
            WriteWarning("No font is installed, so labels and axis text will be missing from the picture (on Linux, install a font package such as fonts-dejavu-core).");
        try
        {
            OutputPath = PathResolver.ResolveForWrite(this, RequestedPath.Path);
        }
        catch (MnistToolsException e)
        {
            ThrowTerminatingError(GraphicsGuard.ToRecord(e));
        }
        if (!Force && File.Exists(OutputPath))
            ThrowTerminatingError(GraphicsGuard.ToRecord(new MnistToolsException("ImageFileExists", FailureKind.AlreadyExists,
                $"The file '{OutputPath}' already exists. Use -Force to overwrite it.", OutputPath)));
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
            ThrowTerminatingError(GraphicsGuard.ToRecord(e));
        }
        catch (Exception e) when (GraphicsGuard.IsNativeFailure(e))
        {
            ThrowTerminatingError(GraphicsGuard.FromNativeFailure(e));
        }
        WritePassThru(OutputPath);
    }
}
