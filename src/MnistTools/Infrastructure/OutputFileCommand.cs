using System.Management.Automation;
using MnistTools.Errors;
using MnistTools.Files;
using MnistTools.Persistence;

namespace MnistTools.Infrastructure;

/// <summary>
/// What every cmdlet that writes one file shares (Save-Network, Export-Network, the Export-* picture cmdlets):
/// -Path (position 0) or -LiteralPath (aliases PSPath, LP), -Force and -PassThru, resolving the target, the
/// no-clobber rule, and the FileInfo -PassThru emits.
/// </summary>
public abstract class OutputFileCommand : PSCmdlet
{
    protected const string PathSet = "Path";
    protected const string LiteralPathSet = "LiteralPath";

    /// <summary>The file to write.</summary>
    [Parameter(ParameterSetName = PathSet, Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>Like -Path, taken exactly as written (no wildcards).</summary>
    [Parameter(ParameterSetName = LiteralPathSet, Mandatory = true)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string? LiteralPath { get; set; }

    /// <summary>Overwrite an existing file.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Emit the written file (FileInfo).</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>
    /// The file-system path to write. -LiteralPath is taken as written. A -Path with wildcards must match exactly one
    /// existing item (the file to overwrite); one without is the name it spells, escapes removed ('a`[1`].png' is a[1].png).
    /// </summary>
    /// <exception cref="MnistToolsException">PathNotFound, PathAmbiguous, PathNotFileSystem.</exception>
    protected string ResolveTarget()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        string path = literal ? LiteralPath! : Path!;
        if (literal) return PathResolver.ResolveForWrite(this, path);
        if (!WildcardPattern.ContainsWildcardCharacters(path)) return PathResolver.ResolveForWrite(this, WildcardPattern.Unescape(path));
        IReadOnlyList<string> matches = PathResolver.ResolveExisting(this, path, literal: false);
        if (matches.Count == 0)
            throw new MnistToolsException(ErrorIds.PathNotFound, FailureKind.NotFound,
                $"The path '{path}' matches no file; a path with wildcards must name one existing file (use -LiteralPath for names with wildcard characters).", path);
        if (matches.Count != 1)
            throw new MnistToolsException(ErrorIds.PathAmbiguous, FailureKind.InvalidArgument,
                $"The path '{path}' matches {matches.Count} items; name one file (use -LiteralPath for names with wildcard characters).", path);
        return matches[0];
    }

    /// <summary>
    /// Why <paramref name="target"/> may not be written, else null: PathIsDirectory or PathNotRegularFile (a folder,
    /// device, FIFO or socket, whatever -Force says), or FileExists when it exists and -Force was not given.
    /// </summary>
    protected MnistToolsException? RefuseExisting(string target)
    {
        try { RegularFile.CheckReplaceable(target); }
        catch (MnistToolsException e) { return e; }
        return !Force && File.Exists(target) ? AtomicFile.ExistsError(target) : null;
    }

    /// <summary>With -PassThru, the written file as the FileSystem provider gives it (as Get-Item would).</summary>
    protected void WritePassThru(string target)
    {
        if (PassThru) WriteObject(InvokeProvider.Item.Get(new[] { target }, force: true, literalPath: true), enumerateCollection: true);
    }
}
