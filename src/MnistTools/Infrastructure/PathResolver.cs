using System.Management.Automation;
using MnistTools.Errors;

namespace MnistTools.Infrastructure;

/// <summary>Resolves -Path (wildcards) and -LiteralPath through the PowerShell provider to file-system paths.</summary>
internal static class PathResolver
{
    /// <summary>
    /// Resolves an existing item. Throws <see cref="MnistToolsException"/> (NotFound, id <c>PathNotFound</c>)
    /// when nothing matches, or (InvalidArgument, id <c>PathNotFileSystem</c>) for a non-file-system provider.
    /// </summary>
    public static IReadOnlyList<string> ResolveExisting(PSCmdlet cmdlet, string path, bool literal)
    {
        try
        {
            if (literal)
            {
                string resolved = cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out ProviderInfo provider, out _);
                EnsureFileSystem(provider, path);
                if (!File.Exists(resolved) && !Directory.Exists(resolved))
                    throw new MnistToolsException(ErrorIds.PathNotFound, FailureKind.NotFound, $"Cannot find path '{resolved}' because it does not exist.", resolved);
                return new[] { resolved };
            }
            var paths = cmdlet.SessionState.Path.GetResolvedProviderPathFromPSPath(path, out ProviderInfo p);
            EnsureFileSystem(p, path);
            return paths;
        }
        catch (ItemNotFoundException e)
        {
            throw new MnistToolsException(ErrorIds.PathNotFound, FailureKind.NotFound, e.Message, path, e);
        }
        catch (System.Management.Automation.DriveNotFoundException e)
        {
            throw new MnistToolsException(ErrorIds.PathNotFound, FailureKind.NotFound, e.Message, path, e);
        }
    }

    /// <summary>
    /// The items of several -Path (or -LiteralPath) values, in order. A value that resolves to nothing is reported
    /// through the cmdlet's WriteError (PathNotFound, PathNotFileSystem) and the others still come.
    /// </summary>
    public static IEnumerable<string> ResolveEach(PSCmdlet cmdlet, IEnumerable<string> paths, bool literal)
    {
        foreach (string path in paths)
        {
            IReadOnlyList<string> items;
            try
            {
                items = ResolveExisting(cmdlet, path, literal);
            }
            catch (MnistToolsException e)
            {
                cmdlet.WriteError(ErrorRecords.From(e));
                continue;
            }
            foreach (string item in items) yield return item;
        }
    }

    /// <summary>Resolves a path that may not exist yet (an output file or folder).</summary>
    public static string ResolveForWrite(PSCmdlet cmdlet, string path)
    {
        string resolved = cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out ProviderInfo provider, out _);
        EnsureFileSystem(provider, path);
        return resolved;
    }

    private static void EnsureFileSystem(ProviderInfo provider, string path)
    {
        if (!string.Equals(provider.Name, "FileSystem", StringComparison.OrdinalIgnoreCase))
            throw new MnistToolsException(ErrorIds.PathNotFileSystem, FailureKind.InvalidArgument,
                $"The path '{path}' is on the {provider.Name} provider; only file-system paths are supported.", path);
    }
}
